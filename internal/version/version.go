// Package version is what `hello version` and `loadtest version` print. make dist sets
// Version with -ldflags '-X scalelab/internal/version.Version=v0.x.y' (git describe); any
// other build says the main module's version the Go toolchain recorded, if any, or "devel".
package version

import "runtime/debug"

// Version is the release, set at link time by make dist; empty in other builds.
var Version string

// String is Version, else the main module's version from the build info, else "devel".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
