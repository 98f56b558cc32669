package manifest

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/result"
)

// HelloDurationFlags are hello's flags that take a duration.
var HelloDurationFlags = []string{"startup-delay", "request-delay", "max-delay", "request-cpu", "max-cpu", "shutdown-delay", "drain-timeout"}

// validate refuses what the lab cannot honour, each error naming the field.
func (c *Config) validate() error {
	var errs []error
	switch c.Promise {
	case result.PromiseNothing, result.PromiseScaleUp, result.PromiseZero:
	default:
		errs = append(errs, fmt.Errorf("metadata.annotations[%s] of Deployment %s: unknown promise %q (want %s, %s or %s)",
			PromiseAnnotation, c.Deployment.Name, c.Promise, result.PromiseNothing, result.PromiseScaleUp, result.PromiseZero))
	}
	for _, p := range []struct {
		field string
		probe *corev1.Probe
	}{
		{"startupProbe", c.Container.StartupProbe},
		{"readinessProbe", c.Container.ReadinessProbe},
		{"livenessProbe", c.Container.LivenessProbe},
	} {
		if err := c.validateProbe(p.field, p.probe); err != nil {
			errs = append(errs, err)
		}
	}
	ps, err := c.PreStop()
	if err != nil {
		errs = append(errs, err)
	} else if ps.Kind == PreStopHTTPGet {
		if _, err := c.ContainerPort(ps.HTTPGet.Port); err != nil {
			errs = append(errs, fmt.Errorf("%s.lifecycle.preStop.httpGet.port: %w", containerField, err))
		}
	}
	for _, name := range HelloDurationFlags {
		if _, err := c.HelloDuration(name); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range declarable {
		if _, ok := c.Deployment.Spec.Template.Annotations[AnnotationPrefix+name]; ok {
			errs = append(errs, fmt.Errorf("spec.template.metadata.annotations[%s%s] of Deployment %s: the lab's hello reads its flags, not annotations: set --%s",
				AnnotationPrefix, name, c.Deployment.Name, name))
		}
	}
	if ru := c.Deployment.Spec.Strategy.RollingUpdate; ru != nil {
		for field, v := range map[string]*intstr.IntOrString{"maxSurge": ru.MaxSurge, "maxUnavailable": ru.MaxUnavailable} {
			if v == nil {
				continue
			}
			if n, err := intstr.GetScaledValueFromIntOrPercent(v, int(c.Replicas()), true); err != nil || n < 0 {
				errs = append(errs, fmt.Errorf("spec.strategy.rollingUpdate.%s of Deployment %s: invalid value %q", field, c.Deployment.Name, v.String()))
			}
		}
	}
	return errors.Join(errs...)
}

// validateProbe accepts the probe handlers the lab can run: httpGet and tcpSocket.
func (c *Config) validateProbe(field string, p *corev1.Probe) error {
	if p == nil {
		return nil
	}
	field = containerField + "." + field
	var port intstr.IntOrString
	switch {
	case p.Exec != nil:
		return fmt.Errorf("%s: exec probes are not supported by the lab", field)
	case p.GRPC != nil:
		return fmt.Errorf("%s: grpc probes are not supported by the lab", field)
	case p.HTTPGet != nil:
		field, port = field+".httpGet.port", p.HTTPGet.Port
	case p.TCPSocket != nil:
		field, port = field+".tcpSocket.port", p.TCPSocket.Port
	default:
		return fmt.Errorf("%s: no handler (want httpGet or tcpSocket)", field)
	}
	if _, err := c.ContainerPort(port); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// ContainerPort resolves a probe's or hook's port, a number or the name of one of the hello
// container's ports, to a number.
func (c *Config) ContainerPort(p intstr.IntOrString) (int32, error) { return c.target().Port(p) }

// Port resolves a probe's or hook's port, a number or the name of one of the container's
// ports, to a number.
func (t Target) Port(p intstr.IntOrString) (int32, error) {
	if p.Type == intstr.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("port %d out of range", p.IntVal)
		}
		return p.IntVal, nil
	}
	for _, cp := range t.Spec.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("no container port named %q", p.StrVal)
}
