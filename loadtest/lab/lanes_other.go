//go:build !unix

package lab

// openFileLimit: there is no open-file limit to read here (and the local lab, which
// needs one, does not run where there are no process groups).
func openFileLimit() (uint64, bool) { return 0, false }
