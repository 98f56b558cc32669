package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// loadtest version (and --version) prints "loadtest VERSION" on stdout and exits 0; the
// usage lists it.
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), []string{arg}, streams{nil, &out, &errs}); code != 0 || errs.Len() != 0 ||
			!strings.HasPrefix(out.String(), "loadtest ") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and one line", arg, code, &out, &errs)
		}
	}
	var out bytes.Buffer
	usage(&out)
	if !strings.Contains(out.String(), "\n  version ") {
		t.Errorf("usage lists no version:\n%s", &out)
	}
}
