package main

import (
	"context"
	"net/http"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/flagvalue"
	"scalelab/loadtest/fromcluster"
)

var attackerHelp = help{
	synopsis: "loadtest attacker --target URL --rate N [--attackers N --index I] [flags]",
	about: `One attacker of an attack that runs elsewhere: what the pods of --from cluster run.
It sends its share of --rate (split across --attackers; its --index defaults to the Job's
$JOB_COMPLETION_INDEX) to --target for at most --duration, or until SIGTERM, and writes every
result to stdout as it comes, in vegeta's CSV encoding (vegeta report reads it), with the
class of each failure that has no status code in its X-Scalelab-Class header. When it ends it
writes its own counts as JSON to --summary (the pod's termination message), which the side
that merges the streams checks against what it received.`,
	examples: []string{
		"loadtest attacker --target http://10.96.0.10/ --rate 300 --attackers 3 --index 0 --duration 30s > attacker-0.csv   # vegeta report attacker-0.csv",
	},
	exit: [3]string{"the attack ran to its end or to SIGTERM", "the results could not be written", "bad usage"},
}

// attackerCmd is `loadtest attacker`, the attacker pods' command (fromcluster.Attacker).
func attackerCmd(s streams) command {
	c := newCommand(attackerHelp)
	var o attack.Options
	var n, index int
	var body, summary string
	c.flags.StringVar(&o.Target, "target", "", "URL to attack (required)")
	c.flags.StringVar(&o.Method, "method", http.MethodGet, "HTTP method")
	o.Header = http.Header{}
	c.flags.Var(flagvalue.Header{Header: o.Header}, "header", "a header sent with every request, as `\"NAME: VALUE\"` (repeatable)")
	c.flags.StringVar(&body, "body", "", "request body")
	c.flags.IntVar(&o.Rate, "rate", 100, "requests per second of all the attackers together")
	c.flags.IntVar(&n, "attackers", 1, "how many attackers share --rate")
	c.flags.IntVar(&index, "index", -1, "this attacker's index, 0 ≤ index < --attackers (default: $JOB_COMPLETION_INDEX, else 0)")
	c.flags.DurationVar(&o.Duration, "duration", time.Minute, "how long to attack at most (SIGTERM ends it sooner)")
	c.flags.DurationVar(&o.Timeout, "timeout", attack.DefaultTimeout, "per-request timeout")
	c.flags.BoolVar(&o.KeepAlive, "keepalive", true, "reuse connections")
	c.flags.StringVar(&summary, "summary", "", "write this attacker's counts here as JSON when it ends (a pod's /dev/termination-log)")
	c.run = func(ctx context.Context, args []string) error {
		index, err := fromcluster.Index(index)
		switch {
		case err != nil:
			return usageError{err}
		case len(args) > 0:
			return usagef("unexpected arguments %q", args)
		case n < 1 || index >= n:
			return usagef("--index %d of --attackers %d: want 0 ≤ index < attackers", index, n)
		case o.Duration <= 0:
			return usagef("--duration %s: an attacker is bounded, want > 0", o.Duration)
		}
		o := o
		if body != "" {
			o.Body = []byte(body)
		}
		total := o.Rate
		if o.Rate = attack.Share(total, n, index); o.Rate <= 0 {
			return usagef("--rate %d across %d attackers leaves attacker %d nothing to send", total, n, index)
		}
		return fromcluster.Attacker(ctx, o, index, summary, s.stdout)
	}
	return c
}
