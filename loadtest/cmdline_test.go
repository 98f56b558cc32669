package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"scalelab/internal/testbin"
)

// mainProcess runs loadtest as a process of its own, the test binary as its main, with
// args and env (over the test's own), and returns its exit status and output.
func mainProcess(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), asMainEnv+"=1"), env...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errs.String()
}

// Bad input fails before any load is sent and before the cluster is asked anything:
// exit 2, one line naming the flag (then, for bad usage, the synopsis). Each case has a
// server of its own, the target of attack and the API server of the kubeconfig of
// scenario and matrix, which must see no request.
func TestBadInputFailsBeforeAnyLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs loadtest")
	}
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	taken := testbin.Refused(t) // bound: --live cannot listen there
	noKube := []string{"KUBECONFIG=", "HOME=" + t.TempDir(), "KUBERNETES_SERVICE_HOST=", "KUBERNETES_SERVICE_PORT="}
	scenario := []string{"scenario", "scale-up", "--platform", "kube", "--kubeconfig", "$KUBECONFIG", "--config", "../k8s/fast/naive"}
	matrix := []string{"matrix", "--platform", "kube", "--kubeconfig", "$KUBECONFIG", "--set", "../k8s/fast"}
	tests := []struct {
		name string
		args []string // $URL: the server's; $KUBECONFIG: a kubeconfig of it; $FILE: a file
		env  []string
		line string // the first line of stderr
	}{
		{"attack: --out a file", []string{"attack", "--target", "$URL", "--out", "$FILE"}, nil,
			"loadtest attack: --out $FILE: not a directory"},
		{"attack: --out under a file", []string{"attack", "--target", "$URL", "--out", "$FILE/run"}, nil,
			"loadtest attack: --out $FILE/run: mkdir $FILE: not a directory"},
		{"attack: --live taken", []string{"attack", "--target", "$URL", "--live", taken}, nil,
			"loadtest attack: --live " + taken + ": listen tcp " + taken + ": bind: address already in use"},
		{"attack: --timeout 0", []string{"attack", "--target", "$URL", "--timeout", "0"}, nil,
			"loadtest attack: --timeout 0s: want > 0"},
		{"attack: --max-failed -5", []string{"attack", "--target", "$URL", "--max-failed", "-5"}, nil,
			`loadtest attack: --max-failed "-5": want ≥ -1 (-1: no limit)`},
		{"attack: no scheme", []string{"attack", "--target", "127.0.0.1:8080/"}, nil,
			`loadtest attack: --target "127.0.0.1:8080/": missing http:// or https://`},

		{"scenario: --junit where no directory can be made", append(scenario, "--junit", "$FILE/sub/j.xml"), nil,
			"loadtest scenario: --junit $FILE/sub/j.xml: mkdir $FILE: not a directory"},
		{"scenario: --trials 0", append(scenario, "--trials", "0"), nil,
			`loadtest scenario: --trials "0": want ≥ 1`},
		{"scenario: --out a file", append(scenario, "--out", "$FILE"), nil,
			"loadtest scenario: --out $FILE: not a directory"},
		{"scenario: --live taken", append(scenario, "--live", taken), nil,
			"loadtest scenario: --live " + taken + ": listen tcp " + taken + ": bind: address already in use"},
		{"scenario: --max-failed -5", append(scenario, "--max-failed", "-5"), nil,
			`loadtest scenario: --max-failed "-5": want ≥ -1 (-1: no limit)`},
		{"scenario: --settle 0", append(scenario, "--settle", "0"), nil,
			"loadtest scenario: --settle 0s: want > 0"},
		{"scenario: a target without a scheme", append(scenario, "--target", "web=127.0.0.1:1/"), nil,
			`loadtest scenario: --target "web=127.0.0.1:1/": "127.0.0.1:1/": missing http:// or https://`},
		{"scenario: an ingress without a scheme", append(scenario, "--ingress-url", "localhost:30081/"), nil,
			`loadtest scenario: --ingress-url "localhost:30081/": missing http:// or https://`},
		{"scenario: no kubeconfig", []string{"scenario", "scale-up", "--platform", "kube", "--config", "../k8s/fast/naive"}, noKube,
			"loadtest scenario: no kubeconfig: give --kubeconfig, set KUBECONFIG or write ~/.kube/config (in a pod, its service account is used)"},

		{"matrix: --lanes -1", append(matrix, "--lanes", "-1"), nil,
			`loadtest matrix: --lanes "-1": want ≥ 0`},
		{"matrix: --junit under a file", append(matrix, "--junit", "$FILE/j.xml"), nil,
			"loadtest matrix: --junit $FILE/j.xml: mkdir $FILE: not a directory"},
		{"matrix: --junit a directory", append(matrix, "--junit", "."), nil,
			"loadtest matrix: --junit .: is a directory"},
		{"matrix: --trials -2", append(matrix, "--trials", "-2"), nil,
			`loadtest matrix: --trials "-2": want ≥ 1`},
		{"matrix: --out a file", append(matrix, "--out", "$FILE"), nil,
			"loadtest matrix: --out $FILE: not a directory"},
		{"matrix: --timeout -1s", append(matrix, "--timeout", "-1s"), nil,
			"loadtest matrix: --timeout -1s: want ≥ 0"},
		{"matrix: a budget below zero", append(matrix, "--budget", "502=-1"), nil,
			`loadtest matrix: --budget "502=-1": "502=-1": want a count ≥ 0`},

		{"compare: --out under a file", []string{"compare", "--out", "$FILE/c.md", "../results/lab-fast", "../results/bare"}, nil,
			"loadtest compare: --out $FILE/c.md: mkdir $FILE: not a directory"},
		{"compare: --out a directory", []string{"compare", "--out", ".", "../results/lab-fast", "../results/bare"}, nil,
			"loadtest compare: --out .: is a directory"},

		{"report: no such directory", []string{"report", "/no/such/dir"}, nil,
			"loadtest report: /no/such/dir: no such file or directory"},
		{"report: a file", []string{"report", "$FILE"}, nil,
			"loadtest report: $FILE: not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
			if err := os.WriteFile(kubeconfig, []byte(kubeconfigOf(srv.URL)), 0o600); err != nil {
				t.Fatal(err)
			}
			expand := strings.NewReplacer("$URL", srv.URL, "$KUBECONFIG", kubeconfig, "$FILE", file).Replace
			var args []string
			for _, a := range tc.args {
				args = append(args, expand(a))
			}
			code, stdout, stderr := mainProcess(t, tc.env, args...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != 2 || lines[0] != expand(tc.line) {
				t.Errorf("exit %d, first line\n%s\nwant 2 and\n%s", code, lines[0], expand(tc.line))
			}
			for _, l := range lines[1:] { // bad usage: the synopsis and where the rest is; nothing else
				if !strings.HasPrefix(l, "Usage: loadtest ") && !strings.HasPrefix(l, "Run 'loadtest ") {
					t.Errorf("a line besides the error: %q", l)
				}
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the server saw %d requests", n)
			}
		})
	}
}

// kubeconfigOf is a kubeconfig whose cluster is the API server at url.
func kubeconfigOf(url string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "` + url + `"}
users:
- name: test
  user: {token: test}
contexts:
- name: test
  context: {cluster: test, user: test}
current-context: test
`
}
