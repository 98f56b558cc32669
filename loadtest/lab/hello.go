package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FindHello finds the hello binary the lab runs: given, else hello beside this
// executable, else bin/hello.
func FindHello(given string) (string, error) {
	candidates := []string{given}
	if given == "" {
		candidates = []string{filepath.Join("bin", "hello")}
		if exe, err := os.Executable(); err == nil {
			candidates = append([]string{filepath.Join(filepath.Dir(exe), "hello")}, candidates...)
		}
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", fmt.Errorf("no hello binary at %s: run `make build` or pass --hello", strings.Join(candidates, " or "))
}
