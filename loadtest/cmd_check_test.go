package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helmTemplate is a multi-document file as `helm template` prints it: a Deployment with
// containers web and envoy, a StatefulSet, a PDB, a ConfigMap, comments, an empty document.
var helmTemplate = filepath.Join("manifest", "testdata", "helm-template.yaml")

func TestRunCheck(t *testing.T) {
	t.Parallel()
	overlay := func(root, name string) string { return filepath.Join("..", "k8s", root, name) }
	helm, err := os.ReadFile(helmTemplate)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join("manifest", "testdata", "bad.yaml")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     []string // each must appear
		stderr     string   // all of stderr, when it is one line; else what it must contain
		wantFailed int      // lines starting with ✗
	}{
		{name: "graceful passes", args: []string{overlay("overlays", "graceful")}, code: 0,
			stdout: []string{"✓ deployment/hello[hello] grace-period — ", "grace period 20s > preStop 0s + shutdown delay 5s + drain 10s",
				"✓ deployment/hello pdb — "}},
		{name: "naive fails", args: []string{overlay("overlays", "naive")}, code: 1,
			stdout: []string{"✗ deployment/hello[hello] readiness — ", "✗ deployment/hello pdb — "}, wantFailed: 6},
		{name: "a budget beyond the shutdown delay", args: []string{"--propagation=6s", overlay("overlays", "graceful")}, code: 1,
			stdout: []string{"✗ deployment/hello[hello] propagation — ", "= 5s < propagation budget 6s"}, wantFailed: 1},
		{name: "a root of overlays", args: []string{overlay("fast", "")}, code: 1,
			stdout: []string{overlay("fast", "naive") + "\n✗ deployment/hello[hello] readiness", "\n\n" + overlay("fast", "prestop-sleep") + "\n"}, wantFailed: 6 + 4},
		{name: "helm template on stdin", args: []string{"-"}, stdin: string(helm), code: 1,
			stdout: []string{
				"✓ deployment/shop-web[web] propagation — ", "✗ deployment/shop-web[envoy] sidecar — ",
				"✗ deployment/shop-web[envoy] requests — ", "✓ deployment/shop-web pdb — ",
				"\n\n✗ statefulset/shop-db[postgres] readiness — ", "✓ statefulset/shop-db[log-shipper] sidecar — ",
				"✓ statefulset/shop-db max-unavailable — "},
			wantFailed: 5},
		{name: "a plain file", args: []string{helmTemplate}, code: 1, stdout: []string{"✗ statefulset/shop-db pdb — "}, wantFailed: 5},
		{name: "the lab's refusals do not apply", args: []string{filepath.Join("manifest", "testdata", "exec-prestop")}, code: 1,
			stdout: []string{`preStop exec ["/bin/sh" "-c" "kill -QUIT 1"] is not a recognisable sleep: counted as 0`}, wantFailed: 6},
		{name: "a bad file", args: []string{bad}, code: 2,
			stderr: "loadtest check: " + bad + ": document 2 at line 7: yaml: line 10: did not find expected key\n"},
		{name: "bad stdin", args: []string{"-"}, stdin: "apiVersion: v1\nkind: [\n", code: 2, stderr: "loadtest check: stdin: document 1 at line 1: yaml: line 2"},
		{name: "no such path", args: []string{overlay("overlays", "nope")}, code: 2,
			stderr: "loadtest check: " + overlay("overlays", "nope") + ": no such file or directory\n"},
		{name: "stdin twice", args: []string{"-", "-"}, code: 2, stderr: "more than once"},
		{name: "no args", args: nil, code: 2, stderr: "Usage: loadtest check"},
		{name: "bad flag", args: []string{"--propagation=soon", "x"}, code: 2, stderr: "Usage: loadtest check"},
		{name: "negative budget", args: []string{"--propagation=-1s", "x"}, code: 2, stderr: "negative"},
		{name: "bad format", args: []string{"--format=xml", "x"}, code: 2, stderr: `--format "xml": want text or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"check"}, tt.args...), streams{strings.NewReader(tt.stdin), &stdout, &stderr})
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			if strings.HasSuffix(tt.stderr, "\n") && stderr.String() != tt.stderr {
				t.Errorf("stderr = %q, want %q", &stderr, tt.stderr)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
			if code == 2 && stdout.Len() > 0 {
				t.Errorf("a failure to read wrote stdout:\n%s", &stdout)
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

func TestRunCheckJSON(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "--format=json", helmTemplate, filepath.Join("..", "k8s", "overlays", "graceful")}, streams{nil, &stdout, &stderr})
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr: %s", code, &stderr)
	}
	var fs []struct {
		Source, Object, Container, Rule, Why, Detail string
		OK                                           bool
	}
	if err := json.Unmarshal(stdout.Bytes(), &fs); err != nil {
		t.Fatalf("stdout is not a JSON list of findings: %v\n%s", err, &stdout)
	}
	if want := 6 + 4 + 2 + 6 + 1 + 2 + 6 + 2; len(fs) != want { // web, envoy a sidecar, the workload; shop-db; graceful
		t.Errorf("%d findings, want %d", len(fs), want)
	}
	got := map[string]bool{}
	for _, f := range fs {
		got[f.Source+" "+f.Object+"["+f.Container+"] "+f.Rule] = f.OK
		if f.Why == "" || f.Detail == "" {
			t.Errorf("%+v: empty why or detail", f)
		}
	}
	for key, ok := range map[string]bool{
		helmTemplate + " deployment/shop-web[envoy] sidecar":                                        false,
		helmTemplate + " deployment/shop-web[web] readiness":                                        true,
		helmTemplate + " statefulset/shop-db[] pdb":                                                 false,
		filepath.Join("..", "k8s", "overlays", "graceful") + " deployment/hello[hello] propagation": true,
	} {
		if v, found := got[key]; !found || v != ok {
			t.Errorf("%s: found %v, OK %v; want OK %v", key, found, v, ok)
		}
	}
}

// sidecarOverlay is a safe service with a sidecar: api serves the Service's targetPort
// 8080 with a readiness probe, a preStop sleep of 4 s and a grace period of 10 s; SIDECAR
// stands for the container beside it.
const sidecarOverlay = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: api
        image: example/api:1
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        lifecycle: {preStop: {sleep: {seconds: 4}}}
        resources: {requests: {cpu: 100m, memory: 64Mi}}
      SIDECAR
`

// TestCheckSidecarProcess runs `loadtest check` as a process (the test binary as loadtest's
// main) on a kustomize overlay it writes: a log shipper beside the app passes, a mesh
// proxy that stops before the app fails on the sidecar rule, and the lines say the roles.
func TestCheckSidecarProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sidecar string
		code    int
		stdout  []string // each must appear
		absent  []string // none may
	}{
		{name: "a log shipper", sidecar: "{name: logs, image: fluent/fluent-bit:3.1, resources: {requests: {cpu: 10m, memory: 16Mi}}}", code: 0,
			stdout: []string{
				"✓ deployment/web[api] readiness — ", "— serving: has port 8080, a targetPort of Service web\n",
				"✓ deployment/web[logs] sidecar — ", "/ no port: it carries no traffic, and need not outlive the app — sidecar: no port is a targetPort of Service web\n"},
			absent: []string{"✗", "[logs] readiness", "[logs] startup", "[logs] propagation"}},
		{name: "a mesh proxy that stops first", code: 1,
			sidecar: "{name: proxy, image: envoyproxy/envoy:v1.31.0, ports: [{containerPort: 15001}], lifecycle: {preStop: {sleep: {seconds: 2}}}, resources: {requests: {cpu: 10m, memory: 16Mi}}}",
			stdout:  []string{"✗ deployment/web[proxy] sidecar — ", "/ has port 15001: preStop 2s < api's preStop 4s + shutdown delay 0s = 4s"},
			absent:  []string{"✗ deployment/web[api]", "[proxy] readiness"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, body := range map[string]string{
				"kustomization.yaml": "resources: [web.yaml]\n",
				"web.yaml":           strings.Replace(sidecarOverlay, "SIDECAR", "- "+tt.sidecar, 1),
			} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(os.Args[0], "check", dir)
			cmd.Env = append(os.Environ(), asMainEnv+"=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if cmd.ProcessState == nil {
				t.Fatal(err)
			}
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Errorf("exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", code, err, tt.code, &stdout, &stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(stdout.String(), s) {
					t.Errorf("stdout has %q:\n%s", s, &stdout)
				}
			}
		})
	}
}
