package main

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is hello's /metrics: requests by code, in flight, the lifecycle state and the
// configured delays. Each server has its own registry; nothing is global.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
}

func newMetrics(s *server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hello_requests_total",
			Help: "Requests answered, by the route's pattern and the status code (\"canceled\": the client left before the answer).",
		}, []string{"route", "code"}),
	}
	m.registry.MustRegister(
		m.requests,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hello_requests_in_flight", Help: "Requests being answered now.",
		}, func() float64 { return float64(s.inFlight.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hello_ready", Help: "1 when /readyz answers 200.",
		}, func() float64 { return boolFloat(s.ready()) }),
	)
	for st, name := range stateNames {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hello_state", Help: "The lifecycle state: 1 for the current one.",
			ConstLabels: prometheus.Labels{"state": name},
		}, func() float64 { return boolFloat(s.state.Load() == int32(st)) }))
	}
	for name, d := range map[string]float64{
		"startup_delay":  s.cfg.startupDelay.Seconds(),
		"request_delay":  s.cfg.requestDelay.Seconds(),
		"max_delay":      s.cfg.maxDelay.Seconds(),
		"shutdown_delay": s.cfg.shutdownDelay.Seconds(),
		"drain_timeout":  s.cfg.drainTimeout.Seconds(),
	} {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hello_config_seconds", Help: "The configured delays.",
			ConstLabels: prometheus.Labels{"setting": name},
		}, func() float64 { return d }))
	}
	return m
}

// observe counts one answer by the pattern of the route that took it ("" when none did:
// "unmatched"); code -1 is a request whose client left first. Patterns are few and fixed,
// so the labels stay bounded whatever a client asks for.
func (m *metrics) observe(route string, code int) {
	label := "canceled"
	if code >= 0 {
		label = strconv.Itoa(code)
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, label).Inc()
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
