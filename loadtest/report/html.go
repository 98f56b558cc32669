package report

import (
	"html/template"
	"io"
	"strings"

	"scalelab/loadtest/result"
)

// page is the HTML around the timeline. The SVG is ours and escapes every text it
// holds, so it goes in as markup; everything else goes through html/template.
const page = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Verdict}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; }
td.n { text-align: right; }
.fail { color: #b91c1c; } .pass { color: #15803d; } .invalid { color: #b45309; }
</style></head><body>
<h1 class="{{.Class}}">{{.Verdict}}</h1>
<p><code>{{.Run.Method}} {{.Run.Target}}</code> at {{.Run.Rate}} requests/s, keep-alive {{if .Run.KeepAlive}}on{{else}}off{{end}}.</p>
{{.SVG}}
<table><tr><th>answer</th><th>requests</th></tr>
<tr><td>ok</td><td class="n">{{.Run.OK}}</td></tr>
{{range .Classes}}<tr><td class="fail">{{.Class}}</td><td class="n">{{.N}}</td></tr>
{{end}}<tr><td>total</td><td class="n">{{.Run.Requests}}</td></tr></table>
{{with .Run.Latency}}<table><tr><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>
<tr><td>{{lat .Mean}}</td><td>{{lat .P50}}</td><td>{{lat .P90}}</td><td>{{lat .P95}}</td><td>{{lat .P99}}</td><td>{{lat .Max}}</td></tr></table>{{end}}
{{if .Run.Gates}}<table><tr><th>gate</th><th>limit</th><th>actual</th><th></th></tr>
{{range .Run.Gates}}<tr><td>{{.Name}}</td><td>{{.Limit}}</td><td>{{.Actual}}</td><td class="{{if .OK}}pass{{else}}fail{{end}}">{{if .OK}}ok{{else}}FAIL{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .Run.Events}}<table><tr><th>at</th><th>kind</th><th>event</th><th>exit</th><th>detail</th></tr>
{{range .Run.Events}}<tr><td class="n">{{off .At}}</td><td>{{.Kind}}</td><td><code>{{.Name}}</code></td><td>{{if .Exit}}{{.Exit}}{{end}}</td><td><pre>{{.Detail}}</pre></td></tr>
{{end}}</table>{{end}}
{{if .Windows}}<table><tr><th>errors from</th><th>to</th><th>failed</th><th>classes</th><th>after</th><th>which pod, and why</th></tr>
{{range .Windows}}<tr><td class="n">{{off .From}}</td><td class="n">{{off .To}}</td><td class="n">{{.Errors.Total}}</td><td>{{counts .Errors}}</td><td>{{.Cause}}</td><td>{{range .Blame}}<div><code>{{or .Pod "?"}}</code>: {{.Text}}</div>{{end}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`

// HTML renders a page (timeline.html) with r's timeline and its tables.
func HTML(r *result.Run) Reporter {
	return func(w io.Writer) error {
		tmpl, err := template.New("page").Funcs(template.FuncMap{
			"lat": Latency, "off": Offset, "counts": FormatCounts,
		}).Parse(page)
		if err != nil {
			return err
		}
		var svg strings.Builder
		if err := SVG(r)(&svg); err != nil {
			return err
		}
		type row struct {
			Class result.Class
			N     int
		}
		var rows []row
		for _, c := range Present(r.Errors) {
			rows = append(rows, row{c, r.Errors[c]})
		}
		class := "fail"
		switch st := r.Outcome(); {
		case st == result.StatusInvalid:
			class = "invalid"
		case st == result.StatusPass, st == result.StatusNone && r.Requests > 0 && r.Failed() == 0:
			class = "pass"
		}
		return tmpl.Execute(w, map[string]any{
			"Run": r, "Verdict": Verdict(r), "Class": class,
			"SVG": template.HTML(svg.String()), "Classes": rows, "Windows": Windows(r),
		})
	}
}
