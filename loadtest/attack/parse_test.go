package attack

import (
	"maps"
	"strings"
	"testing"

	"scalelab/loadtest/result"
)

func TestParseBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want result.Counts
		err  string
	}{
		{"502=0", result.Counts{"502": 0}, ""},
		{"502=0, timeout=5", result.Counts{"502": 0, "timeout": 5}, ""},
		{"teapot=1", nil, `no class "teapot"`},
		{"502", nil, `"502": want CLASS=N`},
		{"502=-1", nil, `"502=-1": want a count ≥ 0`},
	}
	for _, tt := range tests {
		got := result.Counts{}
		err := ParseBudget(tt.s, got)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseBudget(%q): %v, want %q", tt.s, err, tt.err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tt.want) {
			t.Errorf("ParseBudget(%q) = %v, %v; want %v", tt.s, got, err, tt.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	if n, v, err := ParseHeader(" Host :  web.shop.test "); n != "Host" || v != "web.shop.test" || err != nil {
		t.Errorf("%q %q %v", n, v, err)
	}
	for _, bad := range []string{"nocolon", "X Foo: 1", ": 1", "X-A: 1\r\nX-B: 2"} {
		if _, _, err := ParseHeader(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
