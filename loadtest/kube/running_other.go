//go:build !unix

package kube

// running cannot tell here: every holder counts as running, so no lane is taken for a
// leftover.
func running(int) bool { return true }
