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
	x := uint64(1)
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		x = x*6364136223846793005 + 1442695040888963407
	}
	after, err := processCPU(os.Getpid())
	if err != nil || after-before < 50*time.Millisecond || x == 0 {
		t.Fatalf("CPU time %s then %s (%v): want at least 50 ms more after 200 ms busy", before, after, err)
	}
}
