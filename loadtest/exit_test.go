package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"scalelab/loadtest/result"
)

// One place prints an error, a line at a time, and maps it to the exit status: bad usage
// and setup 2 (the synopsis only after bad usage), a failed verdict 1, an invalid one 2,
// or 128 + the signal that cut it short, any other error 1; of several, the highest.
func TestExit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sigterm, cancel := context.WithCancelCause(ctx)
	cancel(signalled{syscall.SIGTERM})
	cancelled, stop := context.WithCancel(ctx)
	stop()
	usage := "Usage: loadtest x [flags]\nRun 'loadtest x --help' for the flags, examples and exit status.\n"
	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		code   int
		stderr string
	}{
		{"nil", ctx, nil, 0, ""},
		{"bad usage", ctx, usagef("--rate %d: want > 0", 0), 2, "loadtest x: --rate 0: want > 0\n" + usage},
		{"setup", ctx, setupError{errors.New("no kubeconfig")}, 2, "loadtest x: no kubeconfig\n"},
		{"a run-time error", ctx, errors.New("namespaces is forbidden"), 1, "loadtest x: namespaces is forbidden\n"},
		{"failed, said on stdout", ctx, verdict{status: result.StatusFail}, 1, ""},
		{"failed, with why", ctx, verdict{result.StatusFail, []string{"gate a failed", "gate b failed"}}, 1,
			"loadtest x: gate a failed\nloadtest x: gate b failed\n"},
		{"invalid", ctx, verdict{result.StatusInvalid, []string{"INVALID: short"}}, 2, "loadtest x: INVALID: short\n"},
		{"invalid by SIGTERM", sigterm, verdict{status: result.StatusInvalid}, 143, ""},
		{"invalid by a cancel", cancelled, verdict{status: result.StatusInvalid}, 130, ""},
		{"passed", ctx, judged(result.StatusPass, "ignored"), 0, ""},
		{"an error and a verdict", ctx, errors.Join(errors.New("attacker 1: gone"), verdict{status: result.StatusInvalid}), 2,
			"loadtest x: attacker 1: gone\n"},
		{"an error and a failure", ctx, errors.Join(errors.New("attacker 1: gone"), verdict{status: result.StatusFail}), 1,
			"loadtest x: attacker 1: gone\n"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if code := exit(tt.ctx, &stderr, "x", "loadtest x [flags]", tt.err); code != tt.code || stderr.String() != tt.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tt.name, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}

// An error met after the checks is no bad usage: `report` of a directory with no run in it
// exits 1, with no usage lines.
func TestRunTimeErrorIsNoBadUsage(t *testing.T) {
	t.Parallel()
	code, _, stderr := cli(context.Background(), "report", t.TempDir())
	if code != 1 || !strings.HasPrefix(stderr, "loadtest report: ") || strings.Contains(stderr, "Usage:") ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
