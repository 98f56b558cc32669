//go:build !linux

package main

import "time"

// threadCPU is, where no per-thread CPU clock is at hand, the wall clock: on an idle core
// the same, on a busy one a request costs less CPU than it asks for.
func threadCPU() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
