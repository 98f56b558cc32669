package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"syscall"
	"time"
)

// ingress is an L7 reverse proxy over the propagated ready endpoints, round robin per
// request, answering each upstream failure with the status the project's real ingress
// (Skipper v0.23.0) gives, as the package doc lists them: refused 502, reset 503, closed
// without an answer 500, timed out 504, no endpoint left 502. Its upstream timeouts are
// Skipper's defaults (backendTimeout), so a request sent to a pod already gone (a hole)
// waits, as at Skipper, until its client gives up. Like a real proxy it keeps connections
// to the upstreams alive, so a pod that stops without saying "Connection: close" leaves
// stale connections behind; Go's transport retries an idempotent request once on a reused
// connection that fails before any answer, as Skipper's (the same transport) does.
type ingress struct {
	table *routeTable
	ln    net.Listener
	srv   *http.Server
	tr    *http.Transport

	ledger *ledger // which pod each request went to
}

// backendTimeout bounds the connect to a pod and the wait for its answer's headers, as
// Skipper's -timeout-backend and -response-header-timeout-backend do (both 60 s by
// default): a connect that times out is a 502, a missing answer a 504. Either is longer
// than any client of the matrix waits (the request delay + 10 s), so there a request to a
// pod that answers nothing ends in the client's timeout, on the cluster as in the lab.
// On loopback a connect is refused or done at once otherwise.
const backendTimeout = 60 * time.Second

// statusClientClosed is what Skipper (like nginx) logs when the client went away first.
const statusClientClosed = 499

type upstreamKey struct{}

func newIngress(table *routeTable, log *slog.Logger) (*ingress, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ingress: listen: %w", err)
	}
	in := &ingress{table: table, ln: ln, ledger: newLedger()}
	in.tr = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: backendTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: backendTimeout,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       60 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(pr.In.Context().Value(upstreamKey{}).(*url.URL))
			pr.Out.Host = pr.In.Host // an ingress passes the Host on
			pr.SetXForwarded()
		},
		Transport: in.tr,
		ErrorLog:  slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			code := upstreamStatus(err)
			log.Debug("upstream failed", "upstream", r.URL.Host, "status", code, "err", err)
			w.WriteHeader(code)
		},
	}
	in.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ep, ok := table.next()
			if !ok {
				http.Error(w, "no endpoint", http.StatusBadGateway)
				return
			}
			if k := seqKey(r.Header); k != "" {
				in.ledger.put(k, ep.Pod)
				defer in.ledger.end(k)
			}
			u := &url.URL{Scheme: "http", Host: ep.Addr}
			rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), upstreamKey{}, u)))
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() { _ = in.srv.Serve(ln) }() // ends with ErrServerClosed at close
	return in, nil
}

// upstreamStatus is the answer to a failed upstream round trip.
func upstreamStatus(err error) int {
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return statusClientClosed
	case errors.As(err, &op) && op.Op == "dial", errors.Is(err, syscall.ECONNREFUSED):
		return http.StatusBadGateway
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return http.StatusServiceUnavailable
	case errors.As(err, &ne) && ne.Timeout():
		return http.StatusGatewayTimeout
	default: // e.g. EOF: the upstream closed without an answer
		return http.StatusInternalServerError
	}
}

func (in *ingress) url() string { return "http://" + in.ln.Addr().String() + "/" }

func (in *ingress) close() error {
	err := in.srv.Close()
	in.tr.CloseIdleConnections()
	return err
}
