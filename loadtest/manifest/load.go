package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Stdin is the path that names the standard input: `helm template … | loadtest check -`.
const Stdin = "-"

// Manifests are what a user has, as `loadtest check` judges it: the objects of one source
// and, among them, the workloads (apps/v1 Deployments and StatefulSets), the Services (v1)
// and the PodDisruptionBudgets (policy/v1). The lab's own validation does not apply.
type Manifests struct {
	Source    string                                   // the path as given, Stdin for the standard input
	Objects   []*unstructured.Unstructured             // every object, in the source's order, Lists unfolded
	Workloads []*Workload                              // in the source's order
	Services  []*corev1.Service                        // in the source's order
	PDBs      []*policyv1.PodDisruptionBudget          // in the source's order
	HPAs      []*autoscalingv2.HorizontalPodAutoscaler // autoscaling/v2, in the source's order
}

// Sources resolves a path given to check into the sources it names. Stdin, a file, a
// kustomize directory (one with a kustomization file) and a directory of YAML or JSON
// files are one source each; a directory with none of these but overlays below it (as
// k8s/overlays) names each overlay, in RenderAll's order.
func Sources(path string) ([]string, error) {
	if path == Stdin {
		return []string{path}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	if !fi.IsDir() || IsOverlay(path) {
		return []string{path}, nil
	}
	files, err := yamlFiles(path)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		return []string{path}, nil
	}
	names, err := overlayNames(path)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no kustomization, no YAML or JSON file and no overlay in it", path)
	}
	srcs := make([]string, len(names))
	for i, n := range names {
		srcs[i] = filepath.Join(path, n)
	}
	return srcs, nil
}

// Load reads one source (see Sources): Stdin from stdin, a kustomize directory rendered
// with the kustomize API (a kustomization file given as the path renders its directory),
// a directory's *.yaml, *.yml and *.json files in name order, or one such file. A file
// holds YAML or JSON documents separated by "---" lines, as `helm template` prints them:
// comments, empty documents and List kinds are fine. Kinds other than the workloads, the
// Services, the PDBs and the HorizontalPodAutoscalers are skipped. A document that is not YAML or not an
// object, a workload, PDB or HPA of another API version, or one that does not decode into
// its API type (an unknown field is a typo the rules would misread) is an error naming the
// file, the document and the object; so is an HPA whose scaleTargetRef names a Deployment
// or StatefulSet that is not there.
func Load(path string, stdin io.Reader) (*Manifests, error) {
	m := &Manifests{Source: path}
	var err error
	switch fi, statErr := os.Stat(path); {
	case path == Stdin:
		m.Objects, err = decodeDocuments("stdin", stdin)
	case statErr != nil:
		return nil, pathError(path, statErr)
	case fi.IsDir() && IsOverlay(path):
		m.Objects, err = kustomize(path)
	case !fi.IsDir() && isKustomization(path):
		m.Objects, err = kustomize(filepath.Dir(path))
	case fi.IsDir():
		m.Objects, err = readDir(path)
	default:
		m.Objects, err = readFile(path)
	}
	if err != nil {
		return nil, err
	}
	name := path
	if path == Stdin {
		name = "stdin"
	}
	if err := m.sort(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := m.checkAutoscalers(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(m.Workloads) == 0 {
		return nil, fmt.Errorf("%s: no Deployment or StatefulSet (apps/v1) in it", name)
	}
	return m, nil
}

// PDBFor is the first PodDisruptionBudget of m that selects w's pods (nil when none
// does). A PDB or workload with no namespace is taken to share the other's. As in
// policy/v1, an empty selector selects every pod and a null one none.
func (m *Manifests) PDBFor(w *Workload) *policyv1.PodDisruptionBudget {
	pods := labels.Set(w.Template.Labels)
	for _, p := range m.PDBs {
		if !sameNamespace(p.Namespace, w.Meta.Namespace) {
			continue
		}
		if sel, err := pdbSelector(p); err == nil && sel.Matches(pods) {
			return p
		}
	}
	return nil
}

// ServicesFor are the Services of m that route to w's pods, in the source's order (a
// namespace as in PDBFor; a Service with no selector routes to none).
func (m *Manifests) ServicesFor(w *Workload) []*corev1.Service {
	var svcs []*corev1.Service
	for _, s := range m.Services {
		if sameNamespace(s.Namespace, w.Meta.Namespace) && selects(s, w.Template.Labels) {
			svcs = append(svcs, s)
		}
	}
	return svcs
}

// sameNamespace reports whether two objects may share a namespace: an object with none is
// taken to share the other's.
func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }

// sort decodes the workloads, the Services and the PDBs among the objects.
func (m *Manifests) sort() error {
	for _, u := range m.Objects {
		gvk := u.GroupVersionKind()
		var into any
		switch gvk.GroupKind().String() {
		case "Deployment.apps":
			into = &appsv1.Deployment{}
		case "StatefulSet.apps":
			into = &appsv1.StatefulSet{}
		case "PodDisruptionBudget.policy":
			into = &policyv1.PodDisruptionBudget{}
		case "Service":
			into = &corev1.Service{}
		case hpaGroupKind:
			h, err := decodeHPA(u)
			if err != nil {
				return err
			}
			m.HPAs = append(m.HPAs, h)
			continue
		default:
			continue
		}
		what := strings.ToLower(gvk.Kind) + "/" + u.GetName()
		if want := (schema.GroupVersion{Group: gvk.Group, Version: "v1"}).String(); u.GetAPIVersion() != want {
			return fmt.Errorf("%s: apiVersion %s: want %s", what, u.GetAPIVersion(), want)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		switch o := into.(type) {
		case *policyv1.PodDisruptionBudget:
			m.PDBs = append(m.PDBs, o)
			continue
		case *corev1.Service:
			m.Services = append(m.Services, o)
			continue
		}
		w, _ := WorkloadOf(into)
		for _, name := range declarable {
			if _, _, err := annotation(w, name); err != nil {
				return err
			}
		}
		m.Workloads = append(m.Workloads, w)
	}
	return nil
}

// kustomize renders the kustomization in dir, as Render does.
func kustomize(dir string) ([]*unstructured.Unstructured, error) {
	objs, err := renderKustomization(dir)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	return objs, nil
}

func isKustomization(path string) bool {
	return slices.Contains(kustomizationFiles, filepath.Base(path))
}

// yamlFiles are the YAML and JSON files directly in dir, in name order.
func yamlFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, pathError(dir, err)
	}
	var files []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	return files, nil
}

func readDir(dir string) ([]*unstructured.Unstructured, error) {
	files, err := yamlFiles(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no kustomization and no YAML or JSON file in it", dir)
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		o, err := readFile(f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

func readFile(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	defer f.Close()
	return decodeDocuments(path, f)
}

// decodeDocuments reads the YAML or JSON documents of r, separated by "---" lines, into
// objects; name is the file, for errors, which give the document's number (blank ones
// aside) and the file's line.
func decodeDocuments(name string, r io.Reader) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	n, start, line := 0, 1, 0
	var doc bytes.Buffer
	flush := func() error {
		defer doc.Reset()
		if len(bytes.TrimSpace(doc.Bytes())) == 0 {
			return nil
		}
		n++
		// Blank lines before the document make YAML's line numbers the file's.
		o, err := decodeDocument(append(bytes.Repeat([]byte("\n"), start-1), doc.Bytes()...))
		if err != nil {
			return fmt.Errorf("%s: document %d at line %d: %w", name, n, start, err)
		}
		objs = append(objs, o...)
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line++
		text := sc.Text()
		if rest, ok := strings.CutPrefix(text, "---"); ok {
			// As the apimachinery's YAML reader: only a comment may follow the separator.
			if rest = strings.TrimSpace(rest); rest != "" && rest[0] != '#' {
				return nil, fmt.Errorf("%s: line %d: a document separator followed by %q", name, line, rest)
			}
			if err := flush(); err != nil {
				return nil, err
			}
			start = line + 1
			continue
		}
		doc.WriteString(text)
		doc.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return objs, nil
}

// decodeDocument reads one document: nothing when it is empty or only comments, the items
// of a List, else one object, which must have an apiVersion and a kind.
func decodeDocument(b []byte) ([]*unstructured.Unstructured, error) {
	j, err := utilyaml.ToJSON(b)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object but a %T", v)
	}
	return unfold(obj)
}

// unfold is the object, or the items of a List (any kind ending in List with items).
func unfold(obj map[string]any) ([]*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: obj}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return nil, errors.New("not a Kubernetes object: no apiVersion or kind")
	}
	items, isList := obj["items"].([]any)
	if !isList || !strings.HasSuffix(u.GetKind(), "List") {
		return []*unstructured.Unstructured{u}, nil
	}
	var objs []*unstructured.Unstructured
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s item %d: not an object", u.GetKind(), i)
		}
		o, err := unfold(m)
		if err != nil {
			return nil, fmt.Errorf("%s item %d: %w", u.GetKind(), i, err)
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

// pathError says what is wrong with a path in one line: "x.yaml: no such file or
// directory" rather than "stat x.yaml: …".
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return err
}

// selects reports whether the Service s routes to pods with these labels. A Service with
// no selector selects none: its endpoints are set by hand.
func selects(s *corev1.Service, pods labels.Set) bool {
	return len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(pods)
}
