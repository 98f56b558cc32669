package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCheck(t *testing.T) {
	t.Parallel()
	overlay := func(root, name string) string { return filepath.Join("..", "k8s", root, name) }
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // each must appear
		stderr     string
		wantFailed int // lines starting with ✗
	}{
		{name: "graceful passes", args: []string{overlay("overlays", "graceful")}, code: 0,
			stdout: []string{"✓ grace-period — ", "grace period 20s > preStop 0s + shutdown delay 5s + drain 10s"}},
		{name: "naive fails", args: []string{overlay("overlays", "naive")}, code: 1,
			stdout: []string{"✗ readiness — ", "✗ pdb — "}, wantFailed: 6},
		{name: "a budget beyond the shutdown delay", args: []string{"--propagation=6s", overlay("overlays", "graceful")}, code: 1,
			stdout: []string{"✗ propagation — ", "= 5s < propagation budget 6s"}, wantFailed: 1},
		{name: "a root of overlays", args: []string{overlay("fast", "")}, code: 1,
			stdout: []string{"naive (", "prestop-sleep ("}, wantFailed: 6 + 4},
		{name: "no such dir", args: []string{overlay("overlays", "nope")}, code: 2,
			stderr: "loadtest check: " + overlay("overlays", "nope") + ": no such file or directory\n"},
		{name: "a file", args: []string{"cmd_check.go"}, code: 2, stderr: "loadtest check: cmd_check.go: not a directory\n"},
		{name: "a manifest the lab refuses", args: []string{filepath.Join("manifest", "testdata", "exec-probe")}, code: 2,
			stderr: "livenessProbe: exec probes are not supported by the lab"},
		{name: "no args", args: nil, code: 2, stderr: "Usage: loadtest check"},
		{name: "bad flag", args: []string{"--propagation=soon", "x"}, code: 2, stderr: "Usage: loadtest check"},
		{name: "negative budget", args: []string{"--propagation=-1s", "x"}, code: 2, stderr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := runCheck(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
			failed := 0
			for _, line := range strings.Split(stdout.String(), "\n") {
				if strings.HasPrefix(line, "✗ ") {
					failed++
				}
			}
			if failed != tt.wantFailed {
				t.Errorf("%d failed rules, want %d:\n%s", failed, tt.wantFailed, &stdout)
			}
		})
	}
}
