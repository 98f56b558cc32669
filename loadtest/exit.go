package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"scalelab/loadtest/result"
)

// The errors a command returns, by what they mean for the exit status. Any other error is
// one the work met (an API call, a file written): exit 1. errors.Join of several exits
// with the highest.

// usageError is bad usage, a flag's value or an argument: exit 2, the synopsis after it.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// setupError is what the flags asked for and could not be had before any load: no
// kubeconfig, an unreachable cluster, a configuration or a file that cannot be read.
// Exit 2.
type setupError struct{ error }

// verdict is the outcome of a run or a matrix that did not pass: exit 1 when it failed, 2
// when it proves nothing, and when a signal ended it, 128 + the signal's number. why are
// the lines that say so, none where the report on stdout said it already.
type verdict struct {
	status result.Status
	why    []string
}

func (v verdict) Error() string { return strings.Join(v.why, "\n") }

// judged is nil when st passed, else its verdict.
func judged(st result.Status, why ...string) error {
	if st != result.StatusFail && st != result.StatusInvalid {
		return nil
	}
	return verdict{st, why}
}

// signalled is the cause of a context that a signal cancelled.
type signalled struct{ os.Signal }

func (s signalled) Error() string { return s.String() }

// exit prints err, every line of it as `loadtest NAME: line`, and after bad usage the
// synopsis and where the rest is (the whole usage screen would push the line that
// matters out of sight); it returns the exit status.
func exit(ctx context.Context, stderr io.Writer, name, synopsis string, err error) int {
	if err == nil {
		return 0
	}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if line != "" {
			fmt.Fprintf(stderr, "loadtest %s: %s\n", name, line)
		}
	}
	if errors.As(err, new(usageError)) {
		fmt.Fprintf(stderr, "Usage: %s\nRun 'loadtest %s --help' for the flags, examples and exit status.\n", synopsis, name)
	}
	return status(ctx, err)
}

// status is the exit status of err.
func status(ctx context.Context, err error) int {
	var v verdict
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		code := 0
		for _, e := range joined.Unwrap() {
			code = max(code, status(ctx, e))
		}
		return code
	}
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(usageError)), errors.As(err, new(setupError)):
		return 2
	case !errors.As(err, &v):
		return 1
	case v.status == result.StatusInvalid && ctx.Err() != nil:
		return interrupted(ctx)
	case v.status == result.StatusInvalid:
		return 2
	case v.status == result.StatusFail:
		return 1
	}
	return 0
}

// interrupted is the exit status of a run ctx cut short: 128 + the number of the signal
// that ended it, as a shell says it (130 for SIGINT, 143 for SIGTERM); 130 for a cancel
// without one.
func interrupted(ctx context.Context) int {
	var s signalled
	if errors.As(context.Cause(ctx), &s) {
		if n, ok := s.Signal.(syscall.Signal); ok {
			return 128 + int(n)
		}
	}
	return 130
}
