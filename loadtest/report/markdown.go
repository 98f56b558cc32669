package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// Markdown renders r for a GitHub step summary (report.md): the verdict, the answers
// by class with 502 first, latency, gates, events, and the error windows.
func Markdown(r *result.Run) Reporter {
	return func(out io.Writer) error {
		var b strings.Builder
		fmt.Fprintf(&b, "## %s%s\n\n", mark(r.Outcome()), Verdict(r))
		fmt.Fprintf(&b, "`%s %s` at %g requests/s (%.2f sent) %s, ran %s, keep-alive %s, started %s.\n\n",
			r.Method, r.Target, r.Rate, r.AchievedRate, duration(r.Duration), r.Elapsed.Round(time.Millisecond),
			onOff(r.KeepAlive), r.Started.UTC().Format(time.RFC3339))
		if len(r.Meta) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
				kv = append(kv, fmt.Sprintf("%s `%s`", k, mdCell(r.Meta[k])))
			}
			fmt.Fprintf(&b, "%s\n\n", strings.Join(kv, " · "))
		}

		b.WriteString("| answer | requests | share |\n|---|---:|---:|\n")
		fmt.Fprintf(&b, "| ok | %d | %s |\n", r.OK, share(r.OK, r.Requests))
		for _, c := range Present(r.Errors) {
			fmt.Fprintf(&b, "| **%s** | %d | %s |\n", c, r.Errors[c], share(r.Errors[c], r.Requests))
		}
		fmt.Fprintf(&b, "| total | %d | |\n\n", r.Requests)
		for _, c := range Present(r.Errors) {
			if s := r.Samples[c]; s != "" {
				fmt.Fprintf(&b, "- first %s: `%s`\n", c, result.Short(s, 160))
			}
		}
		if len(r.Samples) > 0 {
			b.WriteString("\n")
		}

		l := r.Latency
		b.WriteString("| latency | mean | p50 | p90 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(&b, "| all requests | %s | %s | %s | %s | %s | %s |\n\n", Latency(l.Mean), Latency(l.P50),
			Latency(l.P90), Latency(l.P95), Latency(l.P99), Latency(l.Max))
		fmt.Fprintf(&b, "Pods that answered: %s.\n\n", Pods(r.Pods))

		if len(r.Gates) > 0 {
			b.WriteString("| gate | limit | actual | |\n|---|---|---|---|\n")
			for _, g := range r.Gates {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.Name, mdText(g.Limit), mdText(g.Actual), okMark(g.OK))
			}
			b.WriteString("\n")
		}
		if len(r.Events) > 0 {
			b.WriteString("### Events\n\n| at | kind | event | exit | ended |\n|---:|---|---|---:|---:|\n")
			for _, e := range r.Events {
				fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", Offset(e.At), e.Kind, mdCell(result.Short(e.Name, 80)), exit(e), ended(e))
			}
			b.WriteString("\n")
		}
		if ws := Windows(r); len(ws) > 0 {
			b.WriteString("### Error windows\n\n| from | to | failed | classes | after |\n|---:|---:|---:|---|---|\n")
			for _, w := range ws {
				fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", Offset(w.From), Offset(w.To),
					w.Errors.Total(), FormatCounts(w.Errors), mdText(w.Cause()))
			}
			b.WriteString("\n")
			blamed := false
			for _, w := range ws {
				for _, bl := range w.Blame {
					if !blamed {
						b.WriteString("Which pod each failure went to, and the two moments whose order lost it:\n\n")
						blamed = true
					}
					fmt.Fprintf(&b, "- %s–%s `%s`: %s\n", Offset(w.From), Offset(w.To), mdCell(cmp.Or(bl.Pod, "?")), mdText(bl.Text))
				}
			}
			if blamed {
				b.WriteString("\n")
			}
		}
		_, err := io.WriteString(out, b.String())
		return err
	}
}

func okMark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

// mdCell keeps text from breaking a markdown table row or a code span.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}

// mdText is mdCell for text outside a code span, where GitHub would take <x> for HTML.
func mdText(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(mdCell(s))
}
