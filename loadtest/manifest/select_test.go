package manifest

import (
	"slices"
	"strings"
	"testing"
)

// Select takes a set whole, or the named configurations of it in the order named, or an
// overlay directory of its own; a name the set has not is an error that lists the known.
func TestSelect(t *testing.T) {
	t.Parallel()
	names := func(cfgs []*Config) []string {
		var out []string
		for _, c := range cfgs {
			out = append(out, c.Name)
		}
		return out
	}
	tests := []struct {
		root  string
		names []string
		want  []string
		err   string
	}{
		{"../../k8s/fast", nil, []string{"naive", "probes", "graceful", "prestop-sleep"}, ""},
		{"../../k8s/fast", []string{"graceful", "naive"}, []string{"graceful", "naive"}, ""},
		{"no/such/set", []string{"../../k8s/fast/probes"}, []string{"probes"}, ""},
		{"../../k8s/fast", []string{"yolo"}, nil, `no configuration "yolo" under ../../k8s/fast (known: naive, probes, graceful, prestop-sleep)`},
		{"no/such/set", nil, nil, "no/such/set: no such file or directory"},
		{"select.go", []string{"naive"}, nil, "select.go: not a directory"},
	}
	for _, tt := range tests {
		cfgs, err := Select(tt.root, tt.names)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Select(%s, %q): %v, want %q", tt.root, tt.names, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(names(cfgs), tt.want) {
			t.Errorf("Select(%s, %q) = %q, %v; want %q", tt.root, tt.names, names(cfgs), err, tt.want)
		}
	}
	if got := SetDir("fast"); got != "k8s/fast" {
		t.Errorf("SetDir(fast) = %s", got)
	}
}
