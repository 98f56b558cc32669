//go:build unix

package attack

import (
	"bufio"
	"context"
	"io"
	"os"
	"testing"
	"time"
)

// Cancelling an --at command kills what its shell started too: the background sleep
// holds the output open, so the output ends only when the sleep is dead.
func TestCancelKillsWhatTheShellStarted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x := shellCommand(ctx, "sleep 30 & echo started; wait")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x.Stdout = w
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := bufio.NewReader(r)
	if line, err := out.ReadString('\n'); line != "started\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	cancel()
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, out); close(eof) }()
	select {
	case <-eof:
	case <-time.After(10 * time.Second):
		t.Fatal("10s after the cancel the shell's child still holds its output: it was not killed")
	}
	if err := x.Wait(); err == nil {
		t.Error("a killed shell exited 0")
	}
}
