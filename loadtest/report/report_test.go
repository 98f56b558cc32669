package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// sample is a run with a burst of 502s and refused connections 250ms after a rollout.
func sample() *result.Run {
	exit := 0
	ms := time.Millisecond
	r := &result.Run{
		Schema: result.SchemaVersion, Target: "http://127.0.0.1:8080/", Method: "GET",
		Rate: 100, AchievedRate: 100.02, Duration: 3 * time.Second, Elapsed: 3010 * ms, KeepAlive: true,
		Started: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), Requests: 300, OK: 290,
		Errors: result.Counts{result.Refused: 3, result.HTTP502: 7}, Success: 290.0 / 300,
		Latency:  result.Latency{Mean: 3 * ms, P50: 2 * ms, P90: 5 * ms, P95: 6 * ms, P99: 40 * ms, Max: 90 * ms},
		Pods:     map[string]int{"hello-b": 140, "hello-a": 150},
		Interval: 250 * ms,
		Events: []result.Event{
			{At: 0, Kind: result.EventPhase, Name: "attack start"},
			{At: 1000 * ms, End: 1200 * ms, Exit: &exit, Kind: result.EventCommand, Name: "kubectl rollout restart <deploy/hello> & more"},
			{At: 2500 * ms, Kind: result.EventPod, Name: "hello-a gone"},
		},
		Gates: []result.Gate{{Name: "requests", Limit: "> 0", Actual: "300", OK: true},
			{Name: "max-errors", Limit: "0", Actual: "10 (10 over)"}},
		Meta: map[string]string{"scenario": "rollout"},
	}
	for i := range 12 {
		iv := result.Interval{Start: time.Duration(i) * r.Interval, OK: 25, P50: 2 * ms, P99: 9 * ms}
		switch i {
		case 5:
			iv.OK, iv.Errors = 20, result.Counts{result.HTTP502: 5}
		case 6:
			iv.OK, iv.Errors = 20, result.Counts{result.HTTP502: 2, result.Refused: 3}
		}
		r.Timeline = append(r.Timeline, iv)
	}
	return r
}

func TestReRenderMatches(t *testing.T) {
	t.Parallel()
	first, second := t.TempDir(), t.TempDir()
	if err := WriteRun(first, sample()); err != nil {
		t.Fatal(err)
	}
	r, err := ReadRun(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRun(second, r); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SummaryFile, MarkdownFile, TextFile, SVGFile, HTMLFile} {
		a, errA := os.ReadFile(filepath.Join(first, name))
		b, errB := os.ReadFile(filepath.Join(second, name))
		if errA != nil || errB != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: re-rendered differs (%v, %v, %d vs %d bytes)", name, errA, errB, len(a), len(b))
		}
	}
	left, _ := filepath.Glob(filepath.Join(first, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestMarkdownAndText(t *testing.T) {
	t.Parallel()
	for name, rep := range map[string]Reporter{"markdown": Markdown(sample()), "text": Text(sample())} {
		var b strings.Builder
		if err := rep(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{
			"FAIL: 10 of 300 requests failed (96.667% success)",
			"0.250s after command", // the window began 250ms after the rollout
			"502 7, refused 3",
			"hello-a 150, hello-b 140",
			"10 (10 over)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
		if i502, iRef := strings.Index(out, "502"), strings.Index(out, "refused"); i502 < 0 || i502 > iRef {
			t.Errorf("%s: 502 does not come before refused", name)
		}
	}
}

func TestWindows(t *testing.T) {
	t.Parallel()
	r := sample()
	// A second burst, far from the first: its own window, after the pod event.
	r.Timeline[11].Errors = result.Counts{result.Reset: 1}
	ws := Windows(r)
	if len(ws) != 2 {
		t.Fatalf("windows %+v, want 2", ws)
	}
	if w := ws[0]; w.From != 1250*time.Millisecond || w.To != 1750*time.Millisecond || w.Errors.Total() != 10 ||
		w.After == nil || w.After.Kind != result.EventCommand {
		t.Errorf("first window %+v", w)
	}
	if w := ws[1]; w.From != 2750*time.Millisecond || w.After == nil || w.After.Name != "hello-a gone" {
		t.Errorf("second window %+v", w)
	}
	// Failures right at the start follow only the attack's own start phase.
	r.Timeline[0].Errors = result.Counts{result.Refused: 1}
	if w := Windows(r)[0]; w.After == nil || w.After.Name != "attack start" {
		t.Errorf("window at the start: %+v", w)
	}
	if Windows(&result.Run{Interval: time.Second}) != nil {
		t.Error("a run without failures has a window")
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]*result.Run{"sample": sample(), "empty": {Schema: 1}} {
		var b strings.Builder
		if err := SVG(r)(&b); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(strings.NewReader(b.String()))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, b.String())
			}
		}
		if name == "sample" {
			for _, want := range []string{"#b91c1c", "#7e22ce", "rollout restart &lt;deploy/hello&gt; &amp;", "stroke-dasharray"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("svg lacks %q", want)
				}
			}
		}
	}
}

func TestHTMLEmbedsTheTimeline(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := HTML(sample())(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "<svg ") || !strings.Contains(out, "&lt;deploy/hello&gt;") || strings.Contains(out, "<deploy/hello>") {
		t.Errorf("page:\n%s", out)
	}
}

func TestWriteFileKeepsTheOldFileOnError(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "report.md")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("boom")
	})
	b, _ := os.ReadFile(path)
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if err == nil || string(b) != "old" || len(left) > 0 {
		t.Errorf("err %v, file %q, left %v", err, b, left)
	}
}

func TestReadRunChecksTheSchema(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"no schema": `{"target":"x"}`, "newer": `{"schema":99}`, "not json": `{`,
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, SummaryFile), []byte(body), 0o644)
		if _, err := ReadRun(dir); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ReadRun(t.TempDir()); err == nil {
		t.Error("missing summary: no error")
	}
}
