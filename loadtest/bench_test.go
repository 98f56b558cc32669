//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/internal/testbin"
	"scalelab/loadtest/attack"
)

// benchDuration is how long each attack of the benchmark lasts.
const benchDuration = 5 * time.Second

// BenchmarkAgainstVegeta attacks one real hello process on loopback at 1,000 and
// 5,000 requests/s, once with this harness and once with the vegeta CLI at the same
// settings, and reports for each the achieved rate as a share of the target and the
// CPU (user + system) spent per request. Run it once: make bench, i.e.
//
//	go test -run '^$' -bench AgainstVegeta -benchtime 1x ./loadtest
func BenchmarkAgainstVegeta(b *testing.B) {
	veg := installVegeta(b)
	target := "http://" + testbin.StartHello(b, []string{"POD_NAME=hello-test"}).Addr(b) + "/"
	for _, rate := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			for range b.N {
				oursRate, oursCPU := attackOurs(b, target, rate)
				vegRate, vegCPU := attackVegeta(b, veg, target, rate)
				b.ReportMetric(100*oursRate/float64(rate), "rate-%")
				b.ReportMetric(100*vegRate/float64(rate), "vegeta-rate-%")
				b.ReportMetric(oursCPU, "cpu-µs/req")
				b.ReportMetric(vegCPU, "vegeta-cpu-µs/req")
				b.ReportMetric(oursCPU/vegCPU, "cpu-x-vegeta")
			}
		})
	}
}

// attackOurs runs attack.Run in this process and returns the achieved rate and the
// CPU this process spent per request meanwhile.
func attackOurs(b *testing.B, target string, rate int) (achieved, cpuPerReq float64) {
	before := selfCPU(b)
	r, err := attack.Run(context.Background(), attack.Options{
		Target: target, Rate: rate, Duration: benchDuration, KeepAlive: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	cpu := selfCPU(b) - before
	if r.Failed() > 0 {
		b.Errorf("harness: %d of %d requests failed: %v", r.Failed(), r.Requests, r.Errors)
	}
	return r.AchievedRate, float64(cpu.Microseconds()) / float64(r.Requests)
}

// attackVegeta runs the vegeta CLI at the same settings and returns its achieved
// rate (as vegeta reports it) and the CPU its process spent per request.
func attackVegeta(b *testing.B, bin, target string, rate int) (achieved, cpuPerReq float64) {
	out := filepath.Join(b.TempDir(), "results.bin")
	cmd := exec.Command(bin, "attack", "-rate", fmt.Sprint(rate), "-duration", benchDuration.String(),
		"-keepalive", "-output", out)
	cmd.Stdin = strings.NewReader("GET " + target + "\n")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("vegeta: %v", err)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	f, err := os.Open(out)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var m vegeta.Metrics
	dec := vegeta.NewDecoder(f)
	for {
		var res vegeta.Result
		if err := dec.Decode(&res); err == io.EOF {
			break
		} else if err != nil {
			b.Fatalf("vegeta results: %v", err)
		}
		m.Add(&res)
	}
	m.Close()
	if m.Success < 1 {
		b.Errorf("vegeta: success %.4f", m.Success)
	}
	return m.Rate, float64(cpu.Microseconds()) / float64(m.Requests)
}

// installVegeta builds the vegeta CLI of the version the module requires.
func installVegeta(b *testing.B) string {
	dir := b.TempDir()
	cmd := exec.Command("go", "install", "github.com/tsenart/vegeta/v12@v12.13.0")
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("cannot build the vegeta CLI: %v\n%s", err, out)
	}
	return filepath.Join(dir, "vegeta")
}

// selfCPU is the user + system CPU time this process has used.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
