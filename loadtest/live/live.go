// Package live serves the timeline of the runs going on now on a local web page, for a
// room to watch: the same picture as timeline.svg (the aggregate panels and a row per
// pod) and the same attribution of each error window as report.md, redrawn twice a
// second while the load runs. The page is one HTML document with its script inline and
// no external asset, so it works with no network but the loopback. It is an
// attack.Watcher: every attack given it shows until the next one starts (in a matrix
// with lanes, every attack going on at once shows, one under the other). A Server's lock
// guards the runs it shows: the attacks add them, the page's requests read them.
package live

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/explain"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
)

// Server is the live page at one address.
type Server struct {
	ln  net.Listener
	srv *http.Server

	mu   sync.Mutex // guards runs
	runs []*run     // going on, then the last finished one(s); oldest first
}

// run is one attack as the page shows it.
type run struct {
	see   func() *result.Run
	final *result.Run // set once it is over
}

// Addr is ADDR as --live takes it, listened on: a port alone (8090, :8090) means the
// loopback, so nothing is served beyond this machine unless a host is named.
func Addr(addr string) string {
	switch host, port, err := net.SplitHostPort(addr); {
	case err != nil && !strings.Contains(addr, ":"):
		return net.JoinHostPort("127.0.0.1", addr)
	case err == nil && host == "":
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// Listen starts serving the page at addr (see Addr).
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", Addr(addr))
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /frame", s.frame)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // ends with ErrServerClosed at Close
	return s, nil
}

// Start serves the page at addr when one is given (--live) and says where on w; the
// watcher is nil, and stop does nothing, when it was not.
func Start(addr string, w io.Writer) (watch attack.Watcher, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	s, err := Listen(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--live %s: %w", addr, err)
	}
	fmt.Fprintf(w, "live: %s\n", s.URL())
	return s, func() { _ = s.Close() }, nil
}

// URL is where the page is.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Close stops serving.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Watch shows an attack from now on; it implements attack.Watcher. The runs that had
// finished before it leave the page; those still going on stay.
func (s *Server) Watch(see func() *result.Run) func(*result.Run) {
	r := &run{see: see}
	s.mu.Lock()
	var keep []*run
	for _, o := range s.runs {
		if o.final == nil {
			keep = append(keep, o)
		}
	}
	s.runs = append(keep, r)
	s.mu.Unlock()
	return func(final *result.Run) {
		// A copy: whoever ran the attack goes on with final (report.WriteRun fills in its
		// windows and its events' steps, the caller its gates and reasons) while the page may
		// still be drawing it. Called again with the run as judged, it shows that instead.
		c := *final
		c.Events = slices.Clone(final.Events)
		c.Invalid, c.Gates, c.Meta = slices.Clone(final.Invalid), slices.Clone(final.Gates), maps.Clone(final.Meta)
		s.mu.Lock()
		r.final = &c
		s.mu.Unlock()
	}
}

// shown is what the page shows now: each run as measured so far, or as it ended.
func (s *Server) shown() []view {
	s.mu.Lock()
	out := make([]view, len(s.runs))
	sees := make([]func() *result.Run, len(s.runs))
	for i, r := range s.runs {
		out[i] = view{r.final, r.final != nil}
		sees[i] = r.see
	}
	s.mu.Unlock()
	for i := range out {
		if !out[i].done {
			out[i].run = sees[i]() // outside the lock: it copies the attack's tally
		}
	}
	return out
}

// view is a run as the page shows it, and whether it is over.
type view struct {
	run  *result.Run
	done bool
}

func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(pageHTML))
}

// frame is the part of the page that changes: every run's title, timeline and windows.
func (s *Server) frame(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	runs := s.shown()
	if len(runs) == 0 {
		_, _ = w.Write([]byte(`<p class="wait">Waiting for the load to start…</p>`))
		return
	}
	var b strings.Builder
	for _, v := range runs {
		if err := writeRun(&b, v); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	_, _ = w.Write([]byte(b.String()))
}

// runTmpl is one run's part of the frame; the SVG is report.SVG's, which escapes every
// text it holds.
var runTmpl = template.Must(template.New("run").Funcs(template.FuncMap{"off": report.Offset}).Parse(`<section>
<h2>{{.Title}} <span class="{{.Class}}">{{.State}}</span> <span class="t">{{printf "%.1f" .Elapsed}} s</span></h2>
{{if .Verdict}}<p class="{{.Class}}">{{.Verdict}}</p>{{end}}
{{.SVG}}
{{if .Blame}}<ul>{{range .Blame}}<li><b>{{off .From}}–{{off .To}}</b> <code>{{or .Pod "?"}}</code>: {{.Text}}</li>{{end}}</ul>{{end}}
</section>
`))

type blameLine struct {
	From, To time.Duration
	result.Blame
}

func writeRun(b *strings.Builder, v view) error {
	r := *v.run
	r.Events = slices.Clone(r.Events)
	result.ReadSteps(r.Events) // a platform that names no pod yet (kube's watch) still gets its rows
	var svg strings.Builder
	if err := report.SVG(&r)(&svg); err != nil {
		return err
	}
	var lines []blameLine
	for _, w := range explain.Windows(&r) {
		for _, bl := range w.Blame {
			lines = append(lines, blameLine{w.From, w.To, bl})
		}
	}
	// A finished run says its outcome as every report does (report.Verdict), once judged:
	// PASS, FAIL, or INVALID and why.
	state, class, verdict := "running", "running", ""
	if v.done {
		state, class = "finished", "finished"
		if st := r.Outcome(); st != result.StatusNone {
			state, class, verdict = st.Word(), string(st), report.Verdict(&r)
		}
	}
	title := r.Target
	if m := r.Meta; m["scenario"] != "" {
		title = fmt.Sprintf("%s · %s · via %s", m["config"], m["scenario"], m["via"])
	}
	return runTmpl.Execute(b, map[string]any{
		"Title": title, "State": state, "Class": class, "Verdict": verdict, "Elapsed": r.Elapsed.Seconds(),
		"SVG": template.HTML(svg.String()), "Blame": lines,
	})
}

// pageHTML is the page: a frame fetched again every 500 ms and swapped in whole.
const pageHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>scalelab live</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; color: #111; }
h1 { font-size: 1.2em; margin: 0 0 .5em; } h2 { font-size: 1.05em; margin: 1em 0 .3em; }
.running { color: #b45309; } .finished, .pass { color: #15803d; } .fail, .invalid { color: #b91c1c; } .t { color: #555; font-weight: normal; }
.wait { color: #555; } ul { margin: .3em 0; padding-left: 1.2em; } li { margin: .15em 0; }
svg { max-width: 100%; height: auto; }
#status { color: #b91c1c; font-size: .9em; }
</style></head><body>
<h1>scalelab live <span id="status"></span></h1>
<div id="frame"><p class="wait">Loading…</p></div>
<script>
async function tick() {
  try {
    const res = await fetch("frame", {cache: "no-store"});
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    document.getElementById("frame").innerHTML = await res.text();
    document.getElementById("status").textContent = "";
  } catch (e) {
    document.getElementById("status").textContent = "(not updating: " + e.message + ")";
  }
  setTimeout(tick, 500);
}
tick();
</script>
</body></html>
`
