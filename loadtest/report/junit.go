package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// The JUnit XML that CI systems read to show test results (Jenkins, GitLab, GitHub
// reporters): <testsuites> of <testsuite> of <testcase>, a failed test carrying a
// <failure>, one that could not run an <error>. The shape is that of Jenkins' junit-10.xsd.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Skipped   *junitProblem `xml:"skipped"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Detail  string `xml:",chardata"`
	}
)

// add counts c into s.
func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
	if c.Error != nil {
		s.Errors++
	}
	if c.Skipped != nil {
		s.Skipped++
	}
}

// MatrixJUnit renders the matrix as JUnit XML, so that CI shows each cell as a test:
// one <testsuite> per configuration, one <testcase> per cell, named "<scenario> via
// <via>" in class "scalelab.<configuration>". A broken promise, a blind control or an
// expectation not met is a <failure> whose type is the verdict and whose message names
// the failed requests by class, 502 first; a cell that could not run, proves nothing or
// was interrupted is an <error>, one the interrupted matrix never began <skipped>; a
// passing cell says its verdict and where its report is in <system-out>. dir is where
// the matrix's run directories are, so that the report paths are right wherever the
// XML file goes. WriteFile(path, MatrixJUnit(m, dir)) writes it atomically.
func MatrixJUnit(m *result.Matrix, dir string) Reporter {
	return func(w io.Writer) error {
		configs := slices.Clone(m.Configs)
		for _, c := range m.Cells { // a cell of no listed configuration is still a test
			if !slices.Contains(configs, c.Config) {
				configs = append(configs, c.Config)
			}
		}
		props := []junitProperty{{"platform", m.Platform}}
		for _, k := range slices.Sorted(maps.Keys(m.Meta)) {
			props = append(props, junitProperty{k, m.Meta[k]})
		}
		out := junitSuites{Name: "scalelab", Time: seconds(m.Wall)}
		for _, cfg := range configs {
			s := junitSuite{Name: cfg, Timestamp: timestamp(m.Started),
				Properties: append([]junitProperty{{"promise", promise(m, cfg)}}, props...)}
			var wall time.Duration
			for _, c := range m.Cells {
				if c.Config == cfg {
					s.add(cellCase(c, m.Promises[cfg], dir))
					wall += c.Wall
				}
			}
			s.Time = seconds(wall)
			out.add(s)
		}
		return encodeJUnit(w, out)
	}
}

// cellCase is one cell as a test case.
func cellCase(c result.Cell, p result.Promise, dir string) junitCase {
	tc := junitCase{Name: c.Scenario + " via " + c.Via, Classname: "scalelab." + c.Config, Time: seconds(c.Wall)}
	report := ""
	if c.Dir != "" {
		report = filepath.Join(dir, c.Dir, MarkdownFile)
	}
	detail := cellDetail(c, p, report)
	switch c.Verdict {
	case result.VerdictNotRun:
		tc.Skipped = &junitProblem{"not run: the matrix was interrupted first", string(c.Verdict), ""}
	case result.VerdictInterrupted:
		tc.Error = &junitProblem{"interrupted: the run proves nothing", string(c.Verdict), detail}
	case result.VerdictInvalid:
		tc.Error = &junitProblem{"invalid: " + result.Short(strings.Join(c.Invalid, "; "), 200), string(c.Verdict), detail}
	case result.VerdictBroken:
		tc.Failure = &junitProblem{lost(c.Requests, c.Errors), string(c.Verdict), detail}
	case result.VerdictBlind:
		tc.Failure = &junitProblem{"the control lost nothing: the testbed cannot see the failure", string(c.Verdict), detail}
	case result.VerdictNotAsExpected:
		tc.Failure = &junitProblem{fmt.Sprintf("expected %s: %s, %s, %s", joinExpects(c.Expects),
			lost(c.Requests, c.Errors), plural(c.Restarts, "restart"), plural(c.Kills, "kill")), string(c.Verdict), detail}
	default:
		if c.Error != "" || c.Verdict == result.VerdictError {
			msg := "could not run"
			if c.Error != "" {
				msg += ": " + result.Short(c.Error, 200)
			}
			tc.Error = &junitProblem{msg, string(result.VerdictError), detail}
			break
		}
		tc.SystemOut = fmt.Sprintf("%s: %s, p99 %s", c.Verdict, lost(c.Requests, c.Errors), Latency(c.P99))
		if report != "" {
			tc.SystemOut += "; report " + report
		}
	}
	return tc
}

// cellDetail is the text of a cell's failure or error: what it promised or expected,
// what it measured, the error in full, and where its report is.
func cellDetail(c result.Cell, p result.Promise, report string) string {
	var b strings.Builder
	switch {
	case len(c.Expects) > 0:
		fmt.Fprintf(&b, "%s expects %s in %s via %s.\n", c.Config, joinExpects(c.Expects), c.Scenario, c.Via)
	case c.PromisedZero:
		fmt.Fprintf(&b, "%s promises zero failed requests in %s via %s.\n", c.Config, c.Scenario, c.Via)
	default:
		fmt.Fprintf(&b, "%s promises %s; %s via %s.\n", c.Config, p, c.Scenario, c.Via)
	}
	fmt.Fprintf(&b, "%s; p99 %s, wall %s, %s, %s.\n", lost(c.Requests, c.Errors), Latency(c.P99),
		c.Wall.Round(100*time.Millisecond), plural(c.Restarts, "restart"), plural(c.Kills, "kill"))
	if c.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", c.Error)
	}
	for _, why := range c.Invalid {
		fmt.Fprintf(&b, "invalid: %s\n", why)
	}
	if report != "" {
		fmt.Fprintf(&b, "report: %s\n", report)
	}
	return b.String()
}

// RunJUnit renders one run as JUnit XML: one <testsuite> named after the run's
// configuration (Meta "config"; "attack" for a bare attack) with one <testcase>,
// "<scenario> via <via>" (or "<method> <target>"). The test fails when v is a failing
// verdict — the caller's judgement, as the matrix would give it (loadtest scenario) —
// or when a gate failed; v is "" when only the gates judge (loadtest attack). A run that
// proves nothing is an <error>, whatever v says. dir is the
// run's directory, named in the output as where its report is; "" for none.
func RunJUnit(r *result.Run, v result.Verdict, dir string) Reporter {
	return func(w io.Writer) error {
		c := result.Cell{Config: r.Meta["config"], Scenario: r.Meta["scenario"], Via: r.Meta["via"],
			Requests: r.Requests, Errors: r.Errors, P99: r.Latency.P99, Wall: r.Elapsed, Verdict: v}
		marks := result.Marks(r.Events)
		c.Restarts, c.Kills = marks[result.MarkRestart], marks[result.MarkKill]
		if c.Config == "" {
			c.Config = "attack"
		}
		if len(r.Invalid) > 0 && v != result.VerdictError { // it proves nothing, whatever v says
			c.Invalid, c.Interrupted, c.Verdict = r.Invalid, r.Interrupted, result.VerdictInvalid
			if r.Interrupted {
				c.Verdict = result.VerdictInterrupted
			}
		}
		tc := cellCase(c, "", "")
		if c.Scenario == "" {
			tc.Name = r.Method + " " + r.Target
		}
		detail := []string{Verdict(r)}
		if v != "" {
			detail = append([]string{string(v)}, detail...)
		}
		var failed []string
		for _, g := range r.Gates {
			detail = append(detail, fmt.Sprintf("%s gate %s: %s, limit %s", okFail(g.OK), g.Name, g.Actual, g.Limit))
			if !g.OK {
				failed = append(failed, fmt.Sprintf("gate %s: %s, limit %s", g.Name, g.Actual, g.Limit))
			}
		}
		if dir != "" {
			detail = append(detail, "report: "+filepath.Join(dir, MarkdownFile))
		}
		switch {
		case tc.Error != nil:
			tc.Error.Detail = strings.Join(detail, "\n") + "\n"
		case tc.Failure != nil:
			tc.Failure.Message = strings.Join(append([]string{tc.Failure.Message}, failed...), "; ")
			tc.Failure.Detail = strings.Join(detail, "\n") + "\n"
		case len(failed) > 0:
			tc.SystemOut = ""
			tc.Failure = &junitProblem{strings.Join(append(failed, lost(r.Requests, r.Errors)), "; "),
				"gate", strings.Join(detail, "\n") + "\n"}
		default:
			tc.SystemOut = strings.Join(detail, "; ")
		}
		s := junitSuite{Name: c.Config, Time: tc.Time, Timestamp: timestamp(r.Started)}
		for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
			s.Properties = append(s.Properties, junitProperty{k, r.Meta[k]})
		}
		s.add(tc)
		out := junitSuites{Name: "scalelab", Time: tc.Time}
		out.add(s)
		return encodeJUnit(w, out)
	}
}

// add counts s into the totals.
func (t *junitSuites) add(s junitSuite) {
	t.Suites = append(t.Suites, s)
	t.Tests += s.Tests
	t.Failures += s.Failures
	t.Errors += s.Errors
}

func encodeJUnit(w io.Writer, v junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// lost is "lost 96 of 1,700 requests: 502 × 74, timeout × 22", 502 first, or "lost none
// of 1,700 requests".
func lost(requests int, errs result.Counts) string {
	if errs.Total() == 0 {
		return "lost none of " + thousands(requests) + " requests"
	}
	var parts []string
	for _, class := range Present(errs) {
		parts = append(parts, fmt.Sprintf("%s × %s", class, thousands(errs[class])))
	}
	return fmt.Sprintf("lost %s of %s requests: %s", thousands(errs.Total()), thousands(requests), strings.Join(parts, ", "))
}

// thousands is 1700 as "1,700".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// plural is "1 restart", "2 restarts".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func joinExpects(es []result.Expectation) string {
	var s []string
	for _, e := range es {
		s = append(s, string(e))
	}
	return strings.Join(s, ", ")
}

// seconds is a duration in seconds to the millisecond, as JUnit's time attributes want.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", max(d, 0).Seconds()) }

// timestamp is t in UTC without a zone, as JUnit's timestamp attribute wants; "" for
// the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}
