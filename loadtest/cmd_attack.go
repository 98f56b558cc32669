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
	"scalelab/loadtest/flagvalue"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/live"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
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
	live       string
	from       fromFlags
	kube       kube.Options // --from cluster's
}

func (f *attackFlags) register(fs *pflag.FlagSet) {
	fs.Var(flagvalue.URL{P: &f.o.Target}, "target", "URL to attack (required)")
	fs.StringVar(&f.o.Method, "method", http.MethodGet, "HTTP method")
	f.o.Header = http.Header{}
	fs.Var(flagvalue.Header{Header: f.o.Header}, "header", "a header sent with every request, as `\"NAME: VALUE\"` (repeatable)")
	fs.StringVar(&f.body, "body", "", "request body")
	fs.IntVar(&f.o.Rate, "rate", 100, "requests per second")
	fs.DurationVar(&f.o.Duration, "duration", 10*time.Second, "how long to attack; 0: until Ctrl-C")
	fs.DurationVar(&f.o.Timeout, "timeout", attack.DefaultTimeout, "per-request timeout")
	fs.Uint64Var(&f.o.Workers, "workers", attack.DefaultWorkers, "initial number of workers")
	fs.Uint64Var(&f.o.MaxWorkers, "max-workers", 0, "maximum number of workers; 0: no limit")
	fs.BoolVar(&f.o.KeepAlive, "keepalive", true, "reuse connections (--keepalive=false: a new connection per request)")
	fs.DurationVar(&f.o.Interval, "interval", attack.DefaultInterval, "timeline interval")
	fs.Var((*flagvalue.At)(&f.o.Commands), "at", "run a shell command at an offset, as `DURATION=COMMAND` (repeatable); /bin/sh on Unix; cmd.exe on Windows, where a kill stops cmd.exe alone, not what it started")
	fs.DurationVar(&f.o.CommandGrace, "command-grace", attack.DefaultGrace, "how long an --at command may outlive the load before it is killed (and the run is INVALID)")
	registerMinRate(fs, &f.o.MinRate)
	f.gates.register(fs, 0)
	fs.StringVar(&f.out, "out", "", "directory to write summary.json, report.md, report.txt, timeline.svg/html")
	fs.Var((*flagvalue.Meta)(&f.meta), "meta", "key=value recorded with the run (repeatable; the value may hold commas)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no live progress on stderr")
	f.from.register(fs, "where the load comes from: host (this process) or cluster (a Job of attacker pods in --namespace, which must reach --target: a ClusterIP, say)", "")
	registerKube(fs, &f.kube, "--from cluster", "where the attacker pods run (default: the context's, else default)")
	registerLive(fs, &f.live)
}

// options checks the flags before any load is sent, each error naming its flag, fills
// in the rest of the Options and returns the gates (nil: none). A zero that
// attack.Options would read as its default is refused: --timeout 0 is no "no timeout".
func (f *attackFlags) options() (attack.Options, *attack.Gates, error) {
	o := f.o
	switch {
	case o.Target == "":
		return o, nil, errors.New("no target URL: want --target http://HOST:PORT/PATH")
	case o.Rate <= 0:
		return o, nil, fmt.Errorf("--rate %d: want > 0", o.Rate)
	case o.Duration < 0:
		return o, nil, fmt.Errorf("--duration %s: want ≥ 0 (0: until Ctrl-C)", o.Duration)
	case o.Timeout <= 0:
		return o, nil, fmt.Errorf("--timeout %s: want > 0", o.Timeout)
	case o.Interval <= 0:
		return o, nil, fmt.Errorf("--interval %s: want > 0", o.Interval)
	case o.CommandGrace <= 0:
		return o, nil, fmt.Errorf("--command-grace %s: want > 0", o.CommandGrace)
	case o.Workers == 0:
		return o, nil, errors.New("--workers 0: want ≥ 1")
	}
	if err := f.from.check(); err != nil {
		return o, nil, err
	}
	if f.from.from == fromCluster && o.Duration <= 0 {
		return o, nil, errors.New("--from cluster: the attacker pods are bounded, want a --duration")
	}
	gates, err := f.gates.get()
	if err != nil {
		return o, nil, err
	}
	if f.out != "" {
		if err := outDir("out", f.out); err != nil {
			return o, nil, err
		}
	}
	if f.body != "" {
		o.Body = []byte(f.body)
	}
	o.Meta = f.meta
	return o, gates, nil
}

// attackCmd is `loadtest attack`.
func attackCmd(s streams) command {
	c := newCommand(attackHelp)
	var f attackFlags
	f.register(c.flags)
	c.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
		o, gates, err := f.options()
		if err != nil {
			return usageError{err}
		}
		if !f.noProgress {
			o.Progress = s.stderr
		}
		var stopLive func()
		if o.Watch, stopLive, err = live.Start(f.live, s.stderr); err != nil {
			return usageError{err}
		}
		defer stopLive()
		load, err := f.attacker(ctx, s.stderr)
		if err != nil {
			return err
		}
		return runAttack(ctx, load, o, gates, f.out, s.stdout, s.stderr)
	}
	return c
}

// attacker is what sends the load: attack.Run from here, or the attacker pods of the
// cluster, connected to now.
func (f *attackFlags) attacker(ctx context.Context, progress io.Writer) (func(context.Context, attack.Options) (*result.Run, error), error) {
	if f.from.from == fromHost {
		return attack.Run, nil
	}
	o := f.kube
	o.Out = progress
	c, err := kube.New(ctx, o)
	if err != nil {
		return nil, setupError{err}
	}
	return f.from.attackers.Run(c), nil
}

// runAttack sends the load, judges the run by gates (nil: none), writes its reports to
// out (when given) and prints it; the verdict says which gates failed and why the run
// proves nothing. An error of the attacker pods ends no run: part of the load failed, and
// the report says what was measured.
func runAttack(ctx context.Context, load func(context.Context, attack.Options) (*result.Run, error), o attack.Options,
	gates *attack.Gates, out string, stdout, stderr io.Writer) error {
	var live *attack.Judged // the live page shows the run as judged
	if o.Watch != nil {
		live = attack.NewJudged(o.Watch)
		o.Watch = live
	}
	r, loadErr := load(ctx, o)
	if r == nil {
		return loadErr
	}
	if gates == nil {
		gates = &attack.Gates{MaxErrors: -1}
	}
	attack.Judge(r, *gates)
	if live != nil {
		live.Final(r)
	}
	if out != "" {
		if err := report.WriteRun(out, r); err != nil {
			return err
		}
	}
	if err := report.Text(r)(stdout); err != nil {
		return err
	}
	if r.Interrupted && out != "" {
		fmt.Fprintf(stderr, "loadtest attack: interrupted; the report of what was measured is in %s\n", out)
	}
	return errors.Join(loadErr, judged(r.Outcome(), report.Why(r)...))
}
