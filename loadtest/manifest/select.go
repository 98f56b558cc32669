package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SetDir is where a set of configurations lives: a directory as given, else the name of
// one under k8s/ (fast: k8s/fast).
func SetDir(set string) string {
	if st, err := os.Stat(set); err == nil && st.IsDir() {
		return set
	}
	return filepath.Join("k8s", set)
}

// Select renders every overlay under root, or only the named ones (a name, or a
// directory of its own), in lesson order.
func Select(root string, names []string) ([]*Config, error) {
	var out []*Config
	var fromRoot []string
	for _, n := range names {
		if st, err := os.Stat(n); err == nil && st.IsDir() && IsOverlay(n) {
			cfg, err := Render(n)
			if err != nil {
				return nil, err
			}
			out = append(out, cfg)
			continue
		}
		fromRoot = append(fromRoot, n)
	}
	if len(names) > 0 && len(fromRoot) == 0 {
		return out, nil
	}
	if err := IsDir(root); err != nil {
		return nil, err
	}
	all, err := RenderAll(root)
	if err != nil || len(names) == 0 {
		return all, err
	}
	for _, n := range fromRoot {
		i := slices.IndexFunc(all, func(c *Config) bool { return c.Name == n })
		if i < 0 {
			var known []string
			for _, c := range all {
				known = append(known, c.Name)
			}
			return nil, fmt.Errorf("no configuration %q under %s (known: %s)", n, root, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// IsDir says, naming the path, why path is not a directory: "k8s/nope: no such file or
// directory"; nil when it is one. A set's root is checked by it, and so is the run
// directory of loadtest report.
func IsDir(path string) error {
	st, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("%s: no such file or directory", path)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a directory", path)
	}
	return nil
}
