package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/util/yaml"
)

// TestRenderAgreesWithKubectl renders every overlay with `kubectl kustomize` too (the
// renderer users type) and wants the same objects as Render's.
func TestRenderAgreesWithKubectl(t *testing.T) {
	t.Parallel()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	for _, root := range []string{"overlays", "fast"} {
		cfgs, err := RenderAll(filepath.Join("..", "..", "k8s", root))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cfgs {
			t.Run(root+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				out, err := exec.Command(kubectl, "kustomize", c.Dir).Output()
				if err != nil {
					t.Fatalf("kubectl kustomize %s: %v", c.Dir, err)
				}
				dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
				var objs []map[string]any
				for {
					var m map[string]any
					if err := dec.Decode(&m); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						t.Fatal(err)
					}
					objs = append(objs, m)
				}
				if len(objs) != len(c.Objects) {
					t.Fatalf("kubectl rendered %d objects, Render %d", len(objs), len(c.Objects))
				}
				for i, u := range c.Objects {
					if !reflect.DeepEqual(normalize(t, u.Object), normalize(t, objs[i])) {
						t.Errorf("object %d (%s %s) differs:\nRender:  %v\nkubectl: %v", i, u.GetKind(), u.GetName(), u.Object, objs[i])
					}
				}
			})
		}
	}
}

// normalize round-trips an object through JSON so that numbers compare alike.
func normalize(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
