package testbin

import (
	"os"
	"path/filepath"
)

// Skipper is the real Skipper the project builds (make skipper-build, or the bare
// cluster's build), or "" when there is none: $SCALELAB_SKIPPER, else the build cache.
func Skipper() string {
	if p := os.Getenv("SCALELAB_SKIPPER"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	p := filepath.Join(cache, "scalelab", "skipper", "v0.23.0", "bin", "skipper")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
