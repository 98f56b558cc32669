package manifest

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The disruption controller's arithmetic, case by case as pkg/controller/disruption has it.
func TestBudgetStatus(t *testing.T) {
	t.Parallel()
	i, pc := intstr.FromInt32, intstr.FromString
	tests := []struct {
		name                      string
		pdb                       *policyv1.PodDisruptionBudget
		scale, pods, healthy      int32
		expected, desired, allows int32
	}{
		{"maxUnavailable 1 of 3", pdb("max", i(1)), 3, 3, 3, 3, 2, 1},
		{"one of them not ready", pdb("max", i(1)), 3, 3, 2, 3, 2, 0},
		{"a percentage rounds up", pdb("max", pc("34%")), 3, 3, 3, 3, 1, 2},
		{"maxUnavailable 100%", pdb("max", pc("100%")), 3, 3, 3, 3, 0, 3},
		{"maxUnavailable above the replicas", pdb("max", i(5)), 3, 3, 3, 3, 0, 3},
		{"minAvailable counts the pods, terminating ones too", pdb("min", i(2)), 3, 4, 3, 4, 2, 1},
		{"minAvailable 50% rounds up", pdb("min", pc("50%")), 3, 3, 3, 3, 2, 1},
		{"minAvailable 0", pdb("min", i(0)), 3, 3, 3, 3, 0, 3},
		{"minAvailable all", pdb("min", pc("100%")), 3, 3, 3, 3, 3, 0},
		{"no pod expected allows nothing", pdb("min", i(0)), 3, 0, 0, 0, 0, 0},
		{"neither rule expects no pod", pdb("", i(0)), 3, 3, 3, 0, 0, 0},
	}
	for _, tt := range tests {
		st, err := BudgetStatus(tt.pdb, tt.scale, tt.pods, tt.healthy)
		if err != nil || st.ExpectedPods != tt.expected || st.DesiredHealthy != tt.desired ||
			st.CurrentHealthy != tt.healthy || st.DisruptionsAllowed != tt.allows {
			t.Errorf("%s: %+v, %v; want expected %d, desired %d, healthy %d, allowed %d",
				tt.name, st, err, tt.expected, tt.desired, tt.healthy, tt.allows)
		}
	}
	both := pdb("min", i(1))
	both.Spec.MaxUnavailable = both.Spec.MinAvailable
	for name, p := range map[string]*policyv1.PodDisruptionBudget{
		"both rules": both, "negative": pdb("max", i(-1)), "above 100%": pdb("min", pc("101%")), "no percent sign": pdb("max", pc("50")),
	} {
		if _, err := BudgetStatus(p, 3, 3, 3); err == nil {
			t.Errorf("%s: no error, want the API server's refusal", name)
		}
	}
}

// pdb is a PodDisruptionBudget with one of its two rules: "min" or "max", an int or a percent.
func pdb(rule string, v intstr.IntOrString) *policyv1.PodDisruptionBudget {
	p := &policyv1.PodDisruptionBudget{}
	p.Name = "hello"
	switch rule {
	case "min":
		p.Spec.MinAvailable = &v
	case "max":
		p.Spec.MaxUnavailable = &v
	}
	return p
}
