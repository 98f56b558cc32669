package main

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD: getrusage of the calling thread alone.
const rusageThread = 1

// threadCPU is a clock of the calling thread's CPU time (user and system), to the
// microsecond: getrusage(RUSAGE_THREAD), whose two times add up to the scheduler's exact
// runtime of the thread. The caller must stay on its thread (runtime.LockOSThread). Should
// the call ever fail, the clock is the wall clock, as elsewhere (cpu_other.go).
func threadCPU() func() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		start := time.Now()
		return func() time.Duration { return time.Since(start) }
	}
	return func() time.Duration {
		_ = syscall.Getrusage(rusageThread, &ru) // it worked on this thread a moment ago
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
}
