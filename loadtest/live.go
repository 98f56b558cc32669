package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/live"
)

// liveFlag is --live ADDR, shared by attack, scenario and matrix.
type liveFlag struct{ addr string }

func (f *liveFlag) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "live", "", "serve the timeline, a lane per pod, live on a web page at `ADDR` while the load runs (a port alone: on the loopback, e.g. 8090; HOST:PORT to serve a room); the page keeps its last picture when the run ends")
}

// start serves the live page when --live was given and says where on w; the watcher is
// nil (and stop does nothing) when it was not.
func (f *liveFlag) start(w io.Writer) (watch attack.Watcher, stop func(), err error) {
	if f.addr == "" {
		return nil, func() {}, nil
	}
	s, err := live.Listen(f.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--live %s: %w", f.addr, err)
	}
	fmt.Fprintf(w, "live: %s\n", s.URL())
	return s, func() { _ = s.Close() }, nil
}
