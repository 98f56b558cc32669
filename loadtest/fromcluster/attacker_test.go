package fromcluster

import "testing"

// An attacker's index: --index when given, else the Job's completion index, else 0.
func TestIndex(t *testing.T) {
	for _, tt := range []struct {
		flag int
		env  string
		want int
		err  bool
	}{{-1, "", 0, false}, {2, "", 2, false}, {-1, "3", 3, false}, {1, "3", 1, false}, {-1, "x", 0, true}} {
		t.Setenv("JOB_COMPLETION_INDEX", tt.env)
		got, err := Index(tt.flag)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Index(%d) with $JOB_COMPLETION_INDEX %q: %d, %v", tt.flag, tt.env, got, err)
		}
	}
}
