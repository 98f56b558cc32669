package scenario

import "scalelab/loadtest/manifest"

// Shared is a scenario the matrix of cfgs × scs runs that changes what the lanes on a
// cluster share (drain: it cordons a node every lane's pods may run on); "" when none
// does.
func Shared(cfgs []*manifest.Config, scs []Scenario) string {
	var shared string
	for _, name := range Columns(cfgs, scs) {
		if sc, err := Lookup(name); err == nil && sc.Needs.Shared() {
			shared = name
		}
	}
	return shared
}
