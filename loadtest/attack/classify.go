package attack

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"scalelab/loadtest/result"
)

// Classify names the way one request failed. It returns failed == false for a 2xx or
// 3xx answer. A transport error is classified from its type, never from its text.
func Classify(res *http.Response, err error) (c result.Class, failed bool) {
	if err != nil {
		return ClassifyError(err), true
	}
	return ClassifyStatus(res.StatusCode)
}

// ClassifyStatus classifies an HTTP status code; failed is false for 2xx and 3xx.
func ClassifyStatus(code int) (c result.Class, failed bool) {
	switch {
	case code >= 200 && code < 400:
		return "", false
	case code == http.StatusBadGateway:
		return result.HTTP502, true
	case code == http.StatusServiceUnavailable:
		return result.HTTP503, true
	case code == http.StatusInternalServerError:
		return result.HTTP500, true
	case code == http.StatusGatewayTimeout:
		return result.HTTP504, true
	case code >= 500 && code < 600:
		return result.HTTP5xx, true
	case code >= 400 && code < 500:
		return result.HTTP4xx, true
	}
	return result.Other, true
}

// Windows' socket errors (Winsock's WSAE* codes): where Unix wraps ECONNREFUSED, a
// Windows client wraps these, and syscall.Errno on Windows does not match the one to
// the other. No Unix errno has these numbers.
const (
	wsaECONNABORTED syscall.Errno = 10053
	wsaECONNRESET   syscall.Errno = 10054
	wsaECONNREFUSED syscall.Errno = 10061
)

// ClassifyError classifies a transport error by what it wraps: an errno from the
// socket, io.EOF from a connection the server closed, or a deadline.
func ClassifyError(err error) result.Class {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, wsaECONNREFUSED):
		return result.Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), // EPIPE: we wrote to a socket the peer had reset
		errors.Is(err, wsaECONNRESET), errors.Is(err, wsaECONNABORTED):
		return result.Reset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return result.EOF
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return result.Timeout
	}
	return result.Other
}

// seqHeader is the header vegeta puts the sequence number of every request in; the
// same number is the Seq of the request's vegeta.Result.
const seqHeader = "X-Vegeta-Seq"

// tracer is the RoundTripper under vegeta's client. vegeta keeps only the text of an
// error, so tracer classifies the typed error where it happens — in RoundTrip, or
// while vegeta reads the body — and files the class under the request's sequence
// number, which vegeta itself sends in X-Vegeta-Seq and copies into Result.Seq. The
// attack takes the class back by Seq. Nothing is added to the request or the answer.
//
// tracer also applies the request timeout itself (instead of http.Client.Timeout), so
// a timeout is known from the request's own context rather than from a message.
//
// With conns set, it also notes the local address of the connection each failed request
// went on, so that an L4 proxy that knows its clients by address can name the pod behind.
type tracer struct {
	next    http.RoundTripper
	timeout time.Duration
	conns   bool

	mu      sync.Mutex
	classes map[uint64]filed
}

// filed is what the tracer knows of a failed request.
type filed struct {
	class result.Class
	local string // the local address of its connection; "" when none or not asked
}

func newTracer(next http.RoundTripper, timeout time.Duration, conns bool) *tracer {
	return &tracer{next: next, timeout: timeout, conns: conns, classes: make(map[uint64]filed)}
}

func (t *tracer) RoundTrip(req *http.Request) (*http.Response, error) {
	var (
		ctx    context.Context
		cancel context.CancelFunc
	)
	if t.timeout > 0 {
		ctx, cancel = context.WithTimeout(req.Context(), t.timeout)
	} else {
		ctx, cancel = context.WithCancel(req.Context())
	}
	var local *atomic.Pointer[string]
	if t.conns {
		local = new(atomic.Pointer[string])
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(ci httptrace.GotConnInfo) {
				a := ci.Conn.LocalAddr().String()
				local.Store(&a)
			},
		})
	}
	res, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		t.fail(req, ctx, local, err)
		cancel()
		return nil, err
	}
	res.Body = &tracedBody{ReadCloser: res.Body, t: t, req: req, ctx: ctx, cancel: cancel, local: local}
	return res, nil
}

// fail files the class of err for req, and the address of its connection when asked. A
// request whose own deadline passed is a timeout whatever error the transport saw when
// it tore the connection down.
func (t *tracer) fail(req *http.Request, ctx context.Context, local *atomic.Pointer[string], err error) {
	seq, perr := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	if perr != nil {
		return // not a vegeta request: nobody will ask for its class
	}
	f := filed{class: ClassifyError(err)}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		f.class = result.Timeout
	}
	if local != nil {
		if a := local.Load(); a != nil {
			f.local = *a
		}
	}
	t.mu.Lock()
	t.classes[seq] = f
	t.mu.Unlock()
}

// take returns and forgets what was filed for seq; class Other when nothing was.
func (t *tracer) take(seq uint64) filed {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.classes[seq]
	if !ok {
		return filed{class: result.Other}
	}
	delete(t.classes, seq)
	return f
}

// tracedBody classifies an error met while reading the answer and ends the request's
// deadline when the body is closed.
type tracedBody struct {
	io.ReadCloser
	t      *tracer
	req    *http.Request
	ctx    context.Context
	cancel context.CancelFunc
	local  *atomic.Pointer[string]
	failed bool
}

func (b *tracedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !b.failed {
		b.failed = true
		b.t.fail(b.req, b.ctx, b.local, err)
	}
	return n, err
}

func (b *tracedBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
