package manifest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// helmTemplate is a multi-document file as `helm template` prints it.
var helmTemplate = filepath.Join("testdata", "helm-template.yaml")

func TestLoadHelmTemplate(t *testing.T) {
	t.Parallel()
	m, err := Load(helmTemplate, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range m.Objects {
		kinds = append(kinds, o.GetKind())
	}
	// The empty document and the comments are no objects.
	if want := []string{"ConfigMap", "PodDisruptionBudget", "Service", "Deployment", "StatefulSet"}; !slices.Equal(kinds, want) {
		t.Errorf("kinds = %v, want %v", kinds, want)
	}
	if len(m.Workloads) != 2 || m.Workloads[0].String() != "deployment/shop-web" || m.Workloads[1].String() != "statefulset/shop-db" {
		t.Fatalf("workloads = %v, want deployment/shop-web, statefulset/shop-db", m.Workloads)
	}
	if p := m.PDBFor(m.Workloads[0]); p == nil || p.Name != "shop-web" {
		t.Errorf("PDB of shop-web = %v, want shop-web", p)
	}
	if p := m.PDBFor(m.Workloads[1]); p != nil {
		t.Errorf("PDB of shop-db = %s, want none: its selector does not match", p.Name)
	}
	if s := m.ServicesFor(m.Workloads[0]); len(s) != 1 || s[0].Name != "shop-web" {
		t.Errorf("Services of shop-web = %v, want shop-web", s)
	}
	if s := m.ServicesFor(m.Workloads[1]); len(s) != 0 {
		t.Errorf("Services of shop-db = %v, want none: its selector does not match", s)
	}
}

// deployment is a minimal Deployment with one container named web, as YAML.
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web
`

func TestLoadDocuments(t *testing.T) {
	t.Parallel()
	indent := func(s, by string) string {
		return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by)
	}
	tests := []struct {
		name      string
		in        string
		workloads []string
	}{
		{"one document", deployment, []string{"deployment/web"}},
		{"separators with comments and empty documents", "---\n# nothing\n---   # a comment\n" + deployment + "---\n\n---\n",
			[]string{"deployment/web"}},
		{"a List", "apiVersion: v1\nkind: List\nitems:\n- " + strings.TrimPrefix(indent(deployment, "  "), "  ") + "\n",
			[]string{"deployment/web"}},
		{"JSON", `{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
			"spec": {"selector": {"matchLabels": {"app": "db"}}, "template": {"metadata": {"labels": {"app": "db"}},
			"spec": {"containers": [{"name": "db", "image": "db"}]}}}}`, []string{"statefulset/db"}},
		{"CRDs and other kinds are skipped", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n" + deployment,
			[]string{"deployment/web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Load(Stdin, strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range m.Workloads {
				got = append(got, w.String())
			}
			if !slices.Equal(got, tt.workloads) {
				t.Errorf("workloads = %v, want %v", got, tt.workloads)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"not YAML", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\na: [b\n", "stdin: document 2 at line 5: yaml: line 5"},
		{"not an object", "just words\n", "stdin: document 1 at line 1: not an object"},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "no apiVersion or kind"},
		{"text after a separator", deployment + "--- foo: bar\n", "line 15: a document separator followed by"},
		{"an unknown field", strings.Replace(deployment, "image: web", "image: web\n        readinesProbe: {}", 1),
			`stdin: deployment/web: strict decoding error: unknown field "spec.template.spec.containers[0].readinesProbe"`},
		{"a removed API version", strings.Replace(deployment, "apps/v1", "apps/v1beta2", 1), "deployment/web: apiVersion apps/v1beta2: want apps/v1"},
		{"a bad annotation", strings.Replace(deployment, "labels: {app: web}\n    spec", "labels: {app: web}\n      annotations: {scalelab.dev/drain-timeout: soon}\n    spec", 1),
			`deployment/web: spec.template.metadata.annotations[scalelab.dev/drain-timeout]: time: invalid duration "soon"`},
		{"no workload", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "stdin: no Deployment or StatefulSet"},
		{"nothing", "", "stdin: no Deployment or StatefulSet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(Stdin, strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// A file's errors name it.
	_, err := Load(filepath.Join("testdata", "bad.yaml"), nil)
	if want := filepath.Join("testdata", "bad.yaml") + ": document 2 at line 7: yaml: line 10: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load(bad.yaml) error = %v, want it to start with %q", err, want)
	}
	_, err = Load("nope.yaml", nil)
	if want := "nope.yaml: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Load(nope.yaml) error = %v, want %q", err, want)
	}
}

// TestLoadOverlay: a kustomize directory, or its kustomization file, renders; the lab's
// refusals do not apply.
func TestLoadOverlay(t *testing.T) {
	t.Parallel()
	for _, path := range []string{filepath.Join(overlays, "graceful"), filepath.Join(overlays, "graceful", "kustomization.yaml")} {
		m, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Workloads) != 1 || m.Workloads[0].String() != "deployment/hello" || m.PDBFor(m.Workloads[0]) == nil {
			t.Errorf("%s: workloads %v, PDBs %d; want deployment/hello and its PDB", path, m.Workloads, len(m.PDBs))
		}
	}
}

func TestSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(deployment), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	var ordered []string
	for _, n := range []string{"naive", "probes", "graceful", "prestop-sleep"} {
		ordered = append(ordered, filepath.Join(overlays, n))
	}
	tests := []struct {
		path    string
		want    []string
		wantErr string
	}{
		{path: Stdin, want: []string{Stdin}},
		{path: helmTemplate, want: []string{helmTemplate}},
		{path: filepath.Join(overlays, "naive"), want: []string{filepath.Join(overlays, "naive")}},
		{path: overlays, want: ordered},
		{path: dir, want: []string{dir}},
		{path: empty, wantErr: empty + ": no kustomization, no YAML or JSON file and no overlay in it"},
		{path: "nope", wantErr: "nope: no such file or directory"},
	}
	for _, tt := range tests {
		got, err := Sources(tt.path)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Sources(%s) error = %v, want %q", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Sources(%s) = %v, %v; want %v", tt.path, got, err, tt.want)
		}
	}
	// A directory of YAML files reads them all; a PDB with an empty selector selects every pod.
	pdb := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: all}\nspec: {maxUnavailable: 1, selector: {}}\n"
	if err := os.WriteFile(filepath.Join(dir, "pdb.yml"), []byte(pdb), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, nil)
	if err != nil || len(m.Workloads) != 1 || m.PDBFor(m.Workloads[0]) == nil {
		t.Fatalf("Load(dir) = %+v, %v; want deployment/web and the PDB all", m, err)
	}
}
