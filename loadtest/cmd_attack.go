package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/report"
)

var attackHelp = help{
	synopsis: "loadtest attack --target URL [flags]",
	about: `Sends --rate requests/s to --target for --duration (0: until Ctrl-C) and names
every failed request by its class (502, refused, reset, timeout, ...). Each --at
command runs at its offset from the start; one still running --command-grace after
the load is killed: on Unix with everything it started, on Windows cmd.exe alone.
The report goes to stdout; --out also writes summary.json, report.md, report.txt and
the timeline (SVG, HTML) to a directory. The run is INVALID, and proves nothing, when
an --at command fails (exits non-zero, is not found, or is killed), when it sends less
than --min-rate of the requests --rate asks for, or when a signal cuts it short; with
--duration 0, Ctrl-C is its end, and it is judged.`,
	examples: []string{
		`loadtest attack --target http://127.0.0.1:8080/ --rate 200 --duration 60s \`,
		`  --at 20s='kubectl scale deploy/hello --replicas=1' --out results/run-x`,
		`loadtest attack --target http://127.0.0.1:30080/ --duration 5m --max-failed -1   # load while you act by hand`,
	},
	exit:    [3]string{"every gate held", "a gate failed", "bad usage, or the run is INVALID: an --at command failed, or the load fell short of --min-rate"},
	signals: true,
}

// attackFlags are the flags of `loadtest attack`.
type attackFlags struct {
	o          attack.Options
	gates      gateFlags
	body, out  string
	meta       map[string]string
	noProgress bool
	cluster    attackFromFlags // cmd_attack_from.go
}

func (f *attackFlags) register(fs *pflag.FlagSet) {
	fs.Var(urlFlag{&f.o.Target}, "target", "URL to attack (required)")
	fs.StringVar(&f.o.Method, "method", http.MethodGet, "HTTP method")
	f.o.Header = http.Header{}
	fs.Var(headerFlag{f.o.Header}, "header", "a header sent with every request, as `\"NAME: VALUE\"` (repeatable)")
	fs.StringVar(&f.body, "body", "", "request body")
	fs.IntVar(&f.o.Rate, "rate", 100, "requests per second")
	fs.DurationVar(&f.o.Duration, "duration", 10*time.Second, "how long to attack; 0: until Ctrl-C")
	fs.DurationVar(&f.o.Timeout, "timeout", attack.DefaultTimeout, "per-request timeout")
	fs.Uint64Var(&f.o.Workers, "workers", attack.DefaultWorkers, "initial number of workers")
	fs.Uint64Var(&f.o.MaxWorkers, "max-workers", 0, "maximum number of workers; 0: no limit")
	fs.BoolVar(&f.o.KeepAlive, "keepalive", true, "reuse connections (--keepalive=false: a new connection per request)")
	fs.DurationVar(&f.o.Interval, "interval", attack.DefaultInterval, "timeline interval")
	fs.Var((*atFlag)(&f.o.Commands), "at", "run a shell command at an offset, as `DURATION=COMMAND` (repeatable); /bin/sh on Unix; cmd.exe on Windows, where a kill stops cmd.exe alone, not what it started")
	fs.DurationVar(&f.o.CommandGrace, "command-grace", attack.DefaultGrace, "how long an --at command may outlive the load before it is killed (and the run is INVALID)")
	registerMinRate(fs, &f.o.MinRate)
	f.gates.register(fs, 0)
	fs.StringVar(&f.out, "out", "", "directory to write summary.json, report.md, report.txt, timeline.svg/html")
	fs.Var((*metaFlag)(&f.meta), "meta", "key=value recorded with the run (repeatable; the value may hold commas)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no live progress on stderr")
	f.cluster.register(fs)
}

// options checks the flags before any load is sent, each error naming its flag, and
// fills in the rest of the Options. A zero that attack.Options would read as its
// default is refused: --timeout 0 is no "no timeout".
func (f *attackFlags) options() (attack.Options, error) {
	o := f.o
	switch {
	case o.Target == "":
		return o, errors.New("no target URL: want --target http://HOST:PORT/PATH")
	case o.Rate <= 0:
		return o, fmt.Errorf("--rate %d: want > 0", o.Rate)
	case o.Duration < 0:
		return o, fmt.Errorf("--duration %s: want ≥ 0 (0: until Ctrl-C)", o.Duration)
	case o.Timeout <= 0:
		return o, fmt.Errorf("--timeout %s: want > 0", o.Timeout)
	case o.Interval <= 0:
		return o, fmt.Errorf("--interval %s: want > 0", o.Interval)
	case o.CommandGrace <= 0:
		return o, fmt.Errorf("--command-grace %s: want > 0", o.CommandGrace)
	case o.Workers == 0:
		return o, errors.New("--workers 0: want ≥ 1")
	}
	if _, err := f.gates.get(); err != nil {
		return o, err
	}
	if f.out != "" {
		if err := outDir("out", f.out); err != nil {
			return o, err
		}
	}
	if f.body != "" {
		o.Body = []byte(f.body)
	}
	o.Meta = f.meta
	return o, nil
}

// runAttack is `loadtest attack`.
func runAttack(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("attack", attackHelp, stdout, stderr)
	var f attackFlags
	var lv liveFlag
	f.register(c.FlagSet)
	lv.register(c.FlagSet)
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() > 0 {
		return c.usage(fmt.Errorf("unexpected arguments %q", c.Args()))
	}
	o, err := f.options()
	if err != nil {
		return c.usage(err)
	}
	if !f.noProgress {
		o.Progress = stderr
	}
	watch, stopLive, err := lv.start(stderr)
	if err != nil {
		return c.usage(err)
	}
	defer stopLive()
	o.Watch = watch
	r, err := f.cluster.run(ctx, o, stderr)
	if err != nil && r == nil {
		return c.usage(err)
	}
	attackErr := err          // from the attacker pods: part of the load failed; the report says what was measured
	gates, _ := f.gates.get() // checked by options
	if gates == nil {
		gates = &attack.Gates{MaxErrors: -1}
	}
	attack.Judge(r, *gates)

	if f.out != "" {
		if err := report.WriteRun(f.out, r); err != nil {
			fmt.Fprintf(stderr, "loadtest attack: %v\n", err)
			return 1
		}
	}
	if err := report.Text(r)(stdout); err != nil {
		fmt.Fprintf(stderr, "loadtest attack: %v\n", err)
		return 1
	}
	if r.Interrupted && f.out != "" {
		fmt.Fprintf(stderr, "loadtest attack: interrupted; the report of what was measured is in %s\n", f.out)
	}
	code := exitStatus(ctx, r.Outcome())
	if attackErr != nil {
		fmt.Fprintf(stderr, "loadtest attack: %v\n", attackErr)
		code = max(code, 1)
	}
	for _, g := range r.Gates {
		if !g.OK {
			fmt.Fprintf(stderr, "loadtest attack: gate %s failed: %s, limit %s\n", g.Name, g.Actual, g.Limit)
		}
	}
	for _, why := range r.Invalid {
		fmt.Fprintf(stderr, "loadtest attack: INVALID: %s\n", why)
	}
	return code
}
