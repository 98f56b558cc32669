//go:build !linux

package attack

import "syscall"

// wholeLoopbackNet: elsewhere (macOS) only 127.0.0.1 is configured, so no other source.
const wholeLoopbackNet = false

func bindNoPort(_, _ string, _ syscall.RawConn) error { return nil }
