package manifest

import (
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// BudgetStatus is the status the disruption controller computes for a PodDisruptionBudget
// (pkg/controller/disruption of Kubernetes v1.34: getExpectedPodCount, updatePdbStatus):
// scale is the replicas of the workload whose pods it selects, pods how many pods it
// selects (terminating ones too), healthy how many of those are ready and not terminating.
//
// ExpectedPods is pods for an integer minAvailable, else scale, and 0 when neither field is
// set. DesiredHealthy is minAvailable (a percentage of scale, rounded up), or scale less
// maxUnavailable (a percentage of scale, rounded up), at least 0. DisruptionsAllowed is
// CurrentHealthy less DesiredHealthy, at least 0, and 0 when no pod is expected: the
// Eviction API lets that many ready pods go and answers 429 TooManyRequests to the next.
// A budget the API server would refuse (both fields, a negative value, more than 100 %) is
// an error.
func BudgetStatus(pdb *policyv1.PodDisruptionBudget, scale, pods, healthy int32) (policyv1.PodDisruptionBudgetStatus, error) {
	st := policyv1.PodDisruptionBudgetStatus{CurrentHealthy: healthy}
	minAvailable, maxUnavailable := pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable
	if minAvailable != nil && maxUnavailable != nil {
		return st, fmt.Errorf("PodDisruptionBudget %s: minAvailable and maxUnavailable cannot be both set", pdb.Name)
	}
	scaled := func(field string, v *intstr.IntOrString) (int32, error) {
		n, err := intstr.GetScaledValueFromIntOrPercent(v, int(scale), true)
		if err == nil {
			// Of 100, a percentage is itself: the API server wants 0 to 100 %, or a number ≥ 0.
			if p, _ := intstr.GetScaledValueFromIntOrPercent(v, 100, true); p < 0 || v.Type == intstr.String && p > 100 {
				err = fmt.Errorf("%s: want a number ≥ 0 or a percentage up to 100%%", v)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("PodDisruptionBudget %s: %s: %w", pdb.Name, field, err)
		}
		return int32(n), nil
	}
	switch {
	case maxUnavailable != nil:
		n, err := scaled("maxUnavailable", maxUnavailable)
		if err != nil {
			return st, err
		}
		st.ExpectedPods, st.DesiredHealthy = scale, max(scale-n, 0)
	case minAvailable != nil && minAvailable.Type == intstr.Int:
		if _, err := scaled("minAvailable", minAvailable); err != nil {
			return st, err
		}
		st.ExpectedPods, st.DesiredHealthy = pods, minAvailable.IntVal
	case minAvailable != nil:
		n, err := scaled("minAvailable", minAvailable)
		if err != nil {
			return st, err
		}
		st.ExpectedPods, st.DesiredHealthy = scale, n
	}
	if st.ExpectedPods > 0 {
		st.DisruptionsAllowed = max(healthy-st.DesiredHealthy, 0)
	}
	return st, nil
}
