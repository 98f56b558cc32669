package result

import (
	"encoding/json"
	"slices"
	"testing"
)

// A matrix.json of schema 1 named two fields otherwise; both schemas read the same.
func TestCellReadsEverySchema(t *testing.T) {
	t.Parallel()
	for schema, doc := range map[int]string{
		1: `{"config":"short-grace","expected_zero":true,"expect":["loss","kills"],"verdict":"as expected"}`,
		2: `{"config":"short-grace","promised_zero":true,"expects":["loss","kills"],"verdict":"as expected"}`,
	} {
		var c Cell
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			t.Fatalf("schema %d: %v", schema, err)
		}
		if c.Config != "short-grace" || !c.PromisedZero || !slices.Equal(c.Expects, []Expectation{ExpectLoss, ExpectKills}) ||
			c.Verdict != VerdictAsExpected {
			t.Errorf("schema %d: read %+v", schema, c)
		}
	}
	b, err := json.Marshal(Cell{PromisedZero: true})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["promised_zero"] != true || back["expected_zero"] != nil {
		t.Errorf("written as %s: want promised_zero only", b)
	}
}
