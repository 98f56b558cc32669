package scenario

import (
	"path/filepath"
	"testing"
)

func TestDirs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dirs          Dirs
		trial, trials int
		want          string
	}{
		{MatrixDirs, 1, 1, "naive/scale-up-ingress"},
		{MatrixDirs, 0, 3, "naive/scale-up-ingress"},
		{MatrixDirs, 2, 3, "naive/scale-up-ingress/trial-2"},
		{ScenarioDirs(1), 1, 1, ""},
		{ScenarioDirs(1), 0, 3, ""},
		{ScenarioDirs(1), 3, 3, "trial-3"},
		{ScenarioDirs(2), 1, 1, "ingress"},
		{ScenarioDirs(2), 0, 3, "ingress"},
		{ScenarioDirs(2), 2, 3, "ingress/trial-2"},
	}
	for _, tt := range tests {
		if got := tt.dirs("naive", "scale-up", "ingress", tt.trial, tt.trials); got != filepath.FromSlash(tt.want) {
			t.Errorf("trial %d of %d: %q, want %q", tt.trial, tt.trials, got, tt.want)
		}
	}
}
