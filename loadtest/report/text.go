package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"scalelab/loadtest/result"
)

// Text renders r as a table for a terminal (report.txt).
func Text(r *result.Run) Reporter {
	return func(out io.Writer) error {
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(w, "%s\n\n", Verdict(r))
		fmt.Fprintf(w, "target\t%s %s\tkeep-alive %s\n", r.Method, r.Target, onOff(r.KeepAlive))
		fmt.Fprintf(w, "rate\t%g/s asked, %.2f/s sent\t%s, ran %s\n", r.Rate, r.AchievedRate,
			duration(r.Duration), r.Elapsed.Round(time.Millisecond))
		fmt.Fprintf(w, "started\t%s\t\n", r.Started.UTC().Format(time.RFC3339))
		for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
			fmt.Fprintf(w, "%s\t%s\t\n", k, r.Meta[k])
		}

		fmt.Fprintf(w, "\nanswer\trequests\tshare\n")
		fmt.Fprintf(w, "ok\t%d\t%s\n", r.OK, share(r.OK, r.Requests))
		for _, c := range Present(r.Errors) {
			fmt.Fprintf(w, "%s\t%d\t%s\n", c, r.Errors[c], share(r.Errors[c], r.Requests))
		}
		fmt.Fprintf(w, "total\t%d\t\n", r.Requests)
		for _, c := range Present(r.Errors) {
			if s := r.Samples[c]; s != "" {
				fmt.Fprintf(w, "first %s\t%s\t\n", c, result.Short(s, 120))
			}
		}

		l := r.Latency
		fmt.Fprintf(w, "\nlatency\tmean %s  p50 %s  p90 %s  p95 %s  p99 %s  max %s\t\n", Latency(l.Mean),
			Latency(l.P50), Latency(l.P90), Latency(l.P95), Latency(l.P99), Latency(l.Max))
		fmt.Fprintf(w, "pods\t%s\t\n", Pods(r.Pods))

		if len(r.Gates) > 0 {
			fmt.Fprintf(w, "\ngate\tlimit\tactual\t\n")
			for _, g := range r.Gates {
				fmt.Fprintf(w, "%s %s\t%s\t%s\t\n", okFail(g.OK), g.Name, g.Limit, g.Actual)
			}
		}
		if len(r.Events) > 0 {
			fmt.Fprintf(w, "\nat\tkind\tevent\texit\tended\n")
			for _, e := range r.Events {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", Offset(e.At), e.Kind, result.Short(e.Name, 50), exit(e), ended(e))
			}
		}
		if ws := Windows(r); len(ws) > 0 {
			fmt.Fprintf(w, "\nerrors from\tto\tfailed\tclasses\tafter\n")
			for _, win := range ws {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", Offset(win.From), Offset(win.To),
					win.Errors.Total(), FormatCounts(win.Errors), win.Cause())
			}
			for _, win := range ws {
				for _, bl := range win.Blame {
					fmt.Fprintf(w, "  %s\n", BlameLine(win, bl)) // no tab: one long line, not a column
				}
			}
		}
		return w.Flush()
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func okFail(ok bool) string {
	if ok {
		return "ok  "
	}
	return "FAIL"
}

// duration says how long the attack was asked to run: "for 60s", or "until stopped" for 0.
func duration(d time.Duration) string {
	if d == 0 {
		return "until stopped"
	}
	return "for " + d.String()
}

func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return result.Percent(float64(n) / float64(of))
}

func exit(e result.Event) string {
	if e.Exit == nil {
		return ""
	}
	return fmt.Sprint(*e.Exit)
}

func ended(e result.Event) string {
	if e.End == 0 {
		return ""
	}
	return Offset(e.End)
}
