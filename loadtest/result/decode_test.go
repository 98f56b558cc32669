package result

import (
	"strings"
	"testing"
)

// A matrix.json is read from schema 1 up to SchemaVersion; a file of no schema or of a
// newer one is refused, naming the file.
func TestDecodeMatrixSchemas(t *testing.T) {
	t.Parallel()
	m, err := DecodeMatrix([]byte(`{"schema":1,"cells":[{"config":"graceful","expected_zero":true}]}`), "old/matrix.json")
	if err != nil || len(m.Cells) != 1 || !m.Cells[0].PromisedZero {
		t.Errorf("schema 1: %+v, %v; want its cell read, promised zero", m, err)
	}
	for _, doc := range []string{`{"cells":[]}`, `{"schema":99}`, `{`} {
		if _, err := DecodeMatrix([]byte(doc), "x/matrix.json"); err == nil || !strings.HasPrefix(err.Error(), "x/matrix.json: ") {
			t.Errorf("%s: error %v, want one naming x/matrix.json", doc, err)
		}
	}
}

// A run cut short before schema 4 said so with Interrupted alone: read now, it proves
// nothing (Upgrade).
func TestDecodeRunUpgrades(t *testing.T) {
	t.Parallel()
	r, err := DecodeRun([]byte(`{"schema":3,"interrupted":true,"meta":{"scenario":"scale-down"}}`), "run/summary.json")
	if err != nil || len(r.Invalid) == 0 {
		t.Errorf("a schema 3 run cut short: invalid %v, %v; want it invalid", r.Invalid, err)
	}
}
