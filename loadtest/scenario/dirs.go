package scenario

import (
	"fmt"
	"path/filepath"
)

// Dirs names where a matrix keeps a cell's runs, relative to the matrix's directory:
// trial 0 is the cell's own directory, trial i (1 to trials) the i-th run of the cell.
type Dirs func(config, scenario, via string, trial, trials int) string

// MatrixDirs is a matrix's layout, the default: config/scenario-via, and in it trial-N/
// when a cell runs more than once.
func MatrixDirs(config, scenario, via string, trial, trials int) string {
	return withTrial(filepath.Join(config, scenario+"-"+via), trial, trials)
}

// ScenarioDirs is the layout of a matrix of one configuration and one scenario, as
// `loadtest scenario` keeps it: the runs in the directory itself, in via/ when there are
// several paths, in trial-N/ when there are several trials.
func ScenarioDirs(vias int) Dirs {
	return func(_, _, via string, trial, trials int) string {
		dir := ""
		if vias > 1 {
			dir = via
		}
		return withTrial(dir, trial, trials)
	}
}

// dirs is o.Dirs, else MatrixDirs.
func (o MatrixOptions) dirs() Dirs {
	if o.Dirs == nil {
		return MatrixDirs
	}
	return o.Dirs
}

func withTrial(dir string, trial, trials int) string {
	if trial == 0 || trials <= 1 {
		return dir
	}
	return filepath.Join(dir, fmt.Sprintf("trial-%d", trial))
}
