package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"scalelab/loadtest/attack"
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

// runAttacker is `loadtest attacker`, the attacker pods' command (fromcluster.Attackers).
func runAttacker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("attacker", attackerHelp, stdout, stderr)
	var o attack.Options
	var n, index int
	var body, summary string
	c.StringVar(&o.Target, "target", "", "URL to attack (required)")
	c.StringVar(&o.Method, "method", http.MethodGet, "HTTP method")
	o.Header = http.Header{}
	c.Var(headerFlag{o.Header}, "header", "a header sent with every request, as `\"NAME: VALUE\"` (repeatable)")
	c.StringVar(&body, "body", "", "request body")
	c.IntVar(&o.Rate, "rate", 100, "requests per second of all the attackers together")
	c.IntVar(&n, "attackers", 1, "how many attackers share --rate")
	c.IntVar(&index, "index", -1, "this attacker's index, 0 ≤ index < --attackers (default: $JOB_COMPLETION_INDEX, else 0)")
	c.DurationVar(&o.Duration, "duration", time.Minute, "how long to attack at most (SIGTERM ends it sooner)")
	c.DurationVar(&o.Timeout, "timeout", attack.DefaultTimeout, "per-request timeout")
	c.BoolVar(&o.KeepAlive, "keepalive", true, "reuse connections")
	c.StringVar(&summary, "summary", "", "write this attacker's counts here as JSON when it ends (a pod's /dev/termination-log)")
	if code, done := c.parse(args); done {
		return code
	}
	if index < 0 {
		index = 0
		if s := os.Getenv("JOB_COMPLETION_INDEX"); s != "" {
			i, err := strconv.Atoi(s)
			if err != nil {
				return c.usage(fmt.Errorf("$JOB_COMPLETION_INDEX %q: %w", s, err))
			}
			index = i
		}
	}
	switch {
	case c.NArg() > 0:
		return c.usage(fmt.Errorf("unexpected arguments %q", c.Args()))
	case n < 1 || index >= n:
		return c.usage(fmt.Errorf("--index %d of --attackers %d: want 0 ≤ index < attackers", index, n))
	case o.Duration <= 0:
		return c.usage(fmt.Errorf("--duration %s: an attacker is bounded, want > 0", o.Duration))
	}
	if body != "" {
		o.Body = []byte(body)
	}
	total := o.Rate
	o.Rate = attack.Share(total, n, index)
	if o.Rate <= 0 {
		return c.usage(fmt.Errorf("--rate %d across %d attackers leaves attacker %d nothing to send", total, n, index))
	}
	sum, err := attack.Stream(ctx, o, fmt.Sprintf("attacker-%d", index), stdout)
	if summary != "" {
		b, _ := json.Marshal(sum)
		if werr := os.WriteFile(summary, b, 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return c.fail(1, err)
	}
	return 0
}
