package lab

import (
	"os"
	"testing"
	"time"
)

// processCPU reads this process's own CPU time, which grows as it works.
func TestProcessCPU(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the count has grown by 50 ms: on a busy machine that takes longer than
	// 50 ms of wall time, but it comes; a count that never moves fails after a minute.
	x := uint64(1)
	for start := time.Now(); ; {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		after, err := processCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after-before >= 50*time.Millisecond && x != 0 {
			return
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("CPU time %s then %s after a minute busy: want 50 ms more", before, after)
		}
	}
}
