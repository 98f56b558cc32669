package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// What a CI system reads of a JUnit file, declared apart from the renderer's own types
// so that a field the renderer misnames is missed here.
type (
	ciSuites struct {
		XMLName  xml.Name  `xml:"testsuites"`
		Name     string    `xml:"name,attr"`
		Tests    int       `xml:"tests,attr"`
		Failures int       `xml:"failures,attr"`
		Errors   int       `xml:"errors,attr"`
		Time     string    `xml:"time,attr"`
		Suites   []ciSuite `xml:"testsuite"`
	}
	ciSuite struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Props     []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []ciCase `xml:"testcase"`
	}
	ciCase struct {
		Name      string     `xml:"name,attr"`
		Classname string     `xml:"classname,attr"`
		Time      string     `xml:"time,attr"`
		Failure   *ciProblem `xml:"failure"`
		Error     *ciProblem `xml:"error"`
		SystemOut string     `xml:"system-out"`
	}
	ciProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// failingMatrix has a broken promise, a blind control, an expectation not met, a cell
// that could not run with markup and a control character in its error, and a
// configuration whose name needs escaping.
func failingMatrix() *result.Matrix {
	return &result.Matrix{
		Platform: "local", Started: time.Date(2025, 3, 1, 12, 30, 5, 0, time.FixedZone("CET", 3600)), Wall: 95 * time.Second,
		Configs:   []string{"graceful", "naive", "liveness-trap", `a&b<"c">`},
		Promises:  map[string]result.Promise{"graceful": result.PromiseZero, "naive": result.PromiseNothing, "liveness-trap": result.PromiseZero, `a&b<"c">`: result.PromiseZero},
		Scenarios: []string{"rolling-update"}, Vias: []string{"service", "ingress"},
		Meta: map[string]string{"ingress": "skipper-v0.23.0"},
		Cells: []result.Cell{
			{Config: "graceful", Scenario: "rolling-update", Via: "service", Dir: "graceful/rolling-update-service",
				Requests: 1700, PromisedZero: true, P99: 12 * time.Millisecond, Wall: 41200 * time.Millisecond, Verdict: result.VerdictKept},
			{Config: "graceful", Scenario: "rolling-update", Via: "ingress", Dir: "graceful/rolling-update-ingress",
				Requests: 1700, Errors: result.Counts{result.Timeout: 22, result.HTTP502: 74}, PromisedZero: true,
				Wall: 40 * time.Second, Verdict: result.VerdictBroken},
			{Config: "naive", Scenario: "rolling-update", Via: "service", Dir: "naive/rolling-update-service",
				Requests: 1500, Wall: 30 * time.Second, Verdict: result.VerdictBlind},
			{Config: "naive", Scenario: "rolling-update", Via: "ingress", Dir: "naive/rolling-update-ingress",
				Requests: 1500, Wall: 30 * time.Second, Verdict: result.VerdictBlind},
			{Config: "liveness-trap", Scenario: "rolling-update", Via: "service", Dir: "liveness-trap/rolling-update-service",
				Requests: 2200, Errors: result.Counts{result.EOF: 3}, Expects: []result.Expectation{"zero", "restarts"},
				Wall: 50 * time.Second, Verdict: result.VerdictNotAsExpected},
			{Config: `a&b<"c">`, Scenario: "rolling-update", Via: "service",
				Error: "apply: <html> & \"quotes\" 'too'\x1b[0m\nsecond line", Verdict: result.VerdictError},
		},
	}
}

func render(t *testing.T, rep Reporter) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := rep(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMatrixJUnitHasOneTestPerCellAndNamesTheClasses(t *testing.T) {
	t.Parallel()
	m := failingMatrix()
	out := render(t, MatrixJUnit(m, "results/lab"))
	var got ciSuites
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, out)
	}

	// Counts add up, one suite per configuration in order, one case per cell.
	if got.Name != "scalelab" || got.Tests != 6 || got.Failures != 4 || got.Errors != 1 || got.Time != "95.000" {
		t.Errorf("testsuites: name %q, %d tests, %d failures, %d errors, time %s; want scalelab, 6, 4, 1, 95.000",
			got.Name, got.Tests, got.Failures, got.Errors, got.Time)
	}
	var tests, failures, errs int
	cases := map[string]ciCase{}
	for i, s := range got.Suites {
		if s.Name != m.Configs[i] {
			t.Errorf("suite %d is %q, want %q", i, s.Name, m.Configs[i])
		}
		if s.Timestamp != "2025-03-01T11:30:05" {
			t.Errorf("suite %s: timestamp %q, want the start in UTC, 2025-03-01T11:30:05", s.Name, s.Timestamp)
		}
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d, but %d test cases", s.Name, s.Tests, len(s.Cases))
		}
		var f, e int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			cases[c.Classname+" "+c.Name] = c
		}
		if s.Failures != f || s.Errors != e {
			t.Errorf("suite %s: failures=%d errors=%d, but %d and %d test cases", s.Name, s.Failures, s.Errors, f, e)
		}
		tests, failures, errs = tests+s.Tests, failures+s.Failures, errs+s.Errors
	}
	if len(got.Suites) != len(m.Configs) || tests != got.Tests || failures != got.Failures || errs != got.Errors {
		t.Errorf("%d suites with %d tests, %d failures, %d errors; the totals say %d, %d, %d",
			len(got.Suites), tests, failures, errs, got.Tests, got.Failures, got.Errors)
	}
	if len(cases) != len(m.Cells) {
		t.Errorf("%d distinct test cases for %d cells", len(cases), len(m.Cells))
	}
	if p := got.Suites[0].Props; len(p) != 3 || p[0].Name != "promise" || p[0].Value != "zero" || p[1].Value != "local" || p[2].Value != "skipper-v0.23.0" {
		t.Errorf("graceful's properties: %+v; want promise zero, platform local, ingress skipper-v0.23.0", p)
	}

	// Each cell's verdict, message and details; special characters come back as they were.
	for _, want := range []struct {
		key, kind, typ, message, text string
	}{
		{"scalelab.graceful rolling-update via ingress", "failure", "broken promise",
			"lost 96 of 1,700 requests: 502 × 74, timeout × 22", "report: results/lab/graceful/rolling-update-ingress/report.md"},
		{"scalelab.naive rolling-update via service", "failure", "blind control",
			"the control lost nothing: the testbed cannot see the failure", "lost none of 1,500 requests"},
		{"scalelab.naive rolling-update via ingress", "failure", "blind control",
			"the control lost nothing: the testbed cannot see the failure", "naive promises nothing"},
		{"scalelab.liveness-trap rolling-update via service", "failure", "not as expected",
			"expected zero, restarts: lost 3 of 2,200 requests: eof × 3, 0 restarts, 0 kills", "liveness-trap expects zero, restarts"},
		{`scalelab.a&b<"c"> rolling-update via service`, "error", "error",
			"could not run: apply: <html> & \"quotes\" 'too'\uFFFD[0m", "second line"},
	} {
		c, ok := cases[want.key]
		if !ok {
			t.Errorf("no test case %q", want.key)
			continue
		}
		p := c.Failure
		if want.kind == "error" {
			p = c.Error
		}
		switch {
		case p == nil || (c.Failure != nil && c.Error != nil):
			t.Errorf("%s: failure %+v, error %+v; want one %s", want.key, c.Failure, c.Error, want.kind)
		case p.Type != want.typ || p.Message != want.message || !strings.Contains(p.Text, want.text):
			t.Errorf("%s: %s type %q message %q text %q;\nwant type %q message %q, text with %q",
				want.key, want.kind, p.Type, p.Message, p.Text, want.typ, want.message, want.text)
		}
	}
	kept := cases["scalelab.graceful rolling-update via service"]
	if kept.Failure != nil || kept.Error != nil || kept.Time != "41.200" ||
		kept.SystemOut != "kept: lost none of 1,700 requests, p99 12ms; report results/lab/graceful/rolling-update-service/report.md" {
		t.Errorf("the kept cell: %+v", kept)
	}
	if bytes.Contains(out, []byte(`<"c">`)) || bytes.Contains(out, []byte("<html>")) || bytes.Contains(out, []byte("\x1b")) {
		t.Errorf("markup or a control character left unescaped:\n%s", out)
	}
}

// junitRuns are an attack that failed a gate, a scenario run that kept its promise, and
// one that broke it.
func junitRuns() (attack, scenario, broken *result.Run) {
	attack = &result.Run{Method: "GET", Target: "http://127.0.0.1:8080/", Requests: 1000, OK: 988,
		Errors: result.Counts{result.Refused: 12}, Success: 0.988, Elapsed: 10 * time.Second, Started: time.Unix(0, 0),
		Gates: []result.Gate{{Name: "requests", Limit: "> 0", Actual: "1000", OK: true},
			{Name: "max-errors", Limit: "0", Actual: "12 (12 over)"}}}
	scenario = &result.Run{Requests: 1700, OK: 1700, Success: 1, Elapsed: 30 * time.Second,
		Meta:   map[string]string{"config": "graceful", "scenario": "scale-down", "via": "ingress"},
		Events: []result.Event{{Mark: result.MarkKill}, {Mark: result.MarkRestart}, {Mark: result.MarkKill}}}
	b := *scenario
	b.OK, b.Errors = 1690, result.Counts{result.HTTP502: 10}
	return attack, scenario, &b
}

func TestRunJUnitFailsOnAGateOrAVerdict(t *testing.T) {
	t.Parallel()
	attack, scenario, broken := junitRuns()

	for _, tc := range []struct {
		name    string
		rep     Reporter
		suite   string
		test    string
		failure *ciProblem
		out     string
	}{
		{"gate", RunJUnit(attack, "", "runs/a"), "attack", "GET http://127.0.0.1:8080/",
			&ciProblem{Type: "gate", Message: "gate max-errors: 12 (12 over), limit 0; lost 12 of 1,000 requests: refused × 12"}, ""},
		{"kept", RunJUnit(scenario, result.VerdictKept, "runs/b"), "graceful", "scale-down via ingress", nil,
			"kept; RESULT: 0 of 1700 requests failed (100.000% success); report: runs/b/report.md"},
		{"broken", RunJUnit(broken, result.VerdictBroken, ""), "graceful", "scale-down via ingress",
			&ciProblem{Type: "broken promise", Message: "lost 10 of 1,700 requests: 502 × 10"}, ""},
	} {
		out := render(t, tc.rep)
		var got ciSuites
		if err := xml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: does not parse: %v\n%s", tc.name, err, out)
		}
		if len(got.Suites) != 1 || len(got.Suites[0].Cases) != 1 {
			t.Fatalf("%s: want one suite with one test case:\n%s", tc.name, out)
		}
		s, c := got.Suites[0], got.Suites[0].Cases[0]
		failures := 0
		if tc.failure != nil {
			failures = 1
		}
		if s.Name != tc.suite || c.Name != tc.test || s.Tests != 1 || s.Failures != failures || got.Failures != failures {
			t.Errorf("%s: suite %q test %q, %d failures; want %q %q, %d:\n%s", tc.name, s.Name, c.Name, s.Failures, tc.suite, tc.test, failures, out)
		}
		switch {
		case tc.failure == nil && (c.Failure != nil || c.SystemOut != tc.out):
			t.Errorf("%s: failure %+v, system-out %q; want none, %q", tc.name, c.Failure, c.SystemOut, tc.out)
		case tc.failure != nil && (c.Failure == nil || c.Failure.Type != tc.failure.Type || c.Failure.Message != tc.failure.Message):
			t.Errorf("%s: failure %+v, want %+v", tc.name, c.Failure, tc.failure)
		}
	}
}

// A run that could not finish is an error, not a failure.
func TestRunJUnitErrorIsAnError(t *testing.T) {
	t.Parallel()
	_, scenario, _ := junitRuns()
	out := render(t, RunJUnit(scenario, result.VerdictError, ""))
	var got ciSuites
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Errors != 1 || got.Failures != 0 || got.Suites[0].Errors != 1 ||
		got.Suites[0].Cases[0].Error == nil || got.Suites[0].Cases[0].Error.Message != "could not run" {
		t.Errorf("want one error, could not run:\n%s", out)
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1700: "1,700", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestJUnitValidates checks the renderings against the XSD that $SCALELAB_JUNIT_XSD names
// with xmllint: Jenkins' junit-10.xsd, which its xunit plugin validates every report with.
func TestJUnitValidates(t *testing.T) {
	t.Parallel()
	xsd := os.Getenv("SCALELAB_JUNIT_XSD")
	if xsd == "" {
		t.Skip("not validated: set SCALELAB_JUNIT_XSD to a copy of junit-10.xsd (github.com/jenkinsci/xunit-plugin, " +
			"src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd)")
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skipf("not validated against %s: no xmllint (apt-get install libxml2-utils)", xsd)
	}
	attack, scenario, broken := junitRuns()
	for name, rep := range map[string]Reporter{
		"matrix": MatrixJUnit(failingMatrix(), "results/lab"), "attack": RunJUnit(attack, "", "runs/a"),
		"kept": RunJUnit(scenario, result.VerdictKept, ""), "broken": RunJUnit(broken, result.VerdictBroken, "runs/c"),
	} {
		out := render(t, rep)
		file := filepath.Join(t.TempDir(), name+".xml")
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(xmllint, "--noout", "--schema", xsd, file).CombinedOutput(); err != nil {
			t.Errorf("%s: xmllint --schema %s: %v\n%s\n%s", name, xsd, err, b, out)
		}
	}
}
