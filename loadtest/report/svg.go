package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// classColor is the fill of a failure class: reds for the HTTP answers, purples and
// pinks for broken connections, so a 502 reads apart from a refused connection.
func classColor(c result.Class) string {
	switch c {
	case result.HTTP502:
		return "#b91c1c"
	case result.HTTP503:
		return "#dc2626"
	case result.HTTP500:
		return "#ef4444"
	case result.HTTP504:
		return "#f87171"
	case result.HTTP5xx:
		return "#fca5a5"
	case result.HTTP4xx:
		return "#f59e0b"
	case result.Refused:
		return "#7e22ce"
	case result.Reset:
		return "#a855f7"
	case result.EOF:
		return "#db2777"
	case result.Timeout:
		return "#0369a1"
	}
	return "#6b7280"
}

const okColor = "#16a34a"

// The geometry of the timeline, in SVG units. Below the aggregate panels come the pods'
// rows (podrows.go), as many as there are pods, so the height is the plot's.
const (
	svgW, left, right = 960.0, 112.0, 20.0
	top, okH, gapH    = 70.0, 150.0, 34.0
	latH, errH        = 60.0, 100.0
	latTop            = top + okH + gapH
	errTop            = latTop + latH + gapH
	axisY             = errTop + errH
	podRowsTop        = axisY + 48 // below the axis's labels and the pod rows' title
	legendH           = 26.0       // the row of the legend of the panels
	legendRowH        = 18.0       // a line of the pod rows' legend
	plotW             = svgW - left - right
	minBar            = 3.0 // narrowest bar; more intervals than fit are merged
)

// SVG renders r's timeline (timeline.svg): requests answered OK per interval on top,
// failed requests below on their own scale, stacked by class, every command, action and
// phase as a vertical marker through them; then a row per pod (podrows.go): the requests
// it answered and lost, its states, the routes to it and its SIGTERM, exit and end.
func SVG(r *result.Run) Reporter {
	return func(out io.Writer) error {
		var b strings.Builder
		writeSVG(&b, r)
		_, err := io.WriteString(out, b.String())
		return err
	}
}

func writeSVG(b *strings.Builder, r *result.Run) {
	p := newPlot(r)
	// Drawn first into their own builder, so the height is known for the header.
	var podRows strings.Builder
	end := p.drawPodRows(&podRows, podRowsTop, r.Meta["via"])
	height := max(end, axisY+24) + legendH
	if len(p.podRows) > 0 {
		_, rows := layoutLegend(p.podRowLegend(), svgW-16)
		height += 8 + float64(rows)*legendRowH
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %.0f" width="%g" height="%.0f" font-family="sans-serif" font-size="11">`+"\n",
		svgW, height, svgW, height)
	fmt.Fprintf(b, `<rect width="%g" height="%.0f" fill="#fff"/>`+"\n", svgW, height)
	fmt.Fprintf(b, `<text x="%g" y="16" font-size="13" font-weight="bold">%s</text>`+"\n", left, esc(Verdict(r)))
	p.panel(b, top, okH, p.okMax, fmt.Sprintf("answered OK per %s", p.step), count)
	p.panel(b, latTop, latH, float64(p.latMax), "p99 latency", func(v float64) string {
		return Latency(time.Duration(v))
	})
	p.panel(b, errTop, errH, p.errMax, fmt.Sprintf("failed per %s", p.step), count)
	p.bars(b)
	p.latency(b)
	p.xAxis(b)
	b.WriteString(podRows.String())
	p.events(b, r.Events, max(end, axisY))
	p.legend(b, height)
	b.WriteString("</svg>\n")
}

// plot is r's timeline merged into buckets that fit the width.
type plot struct {
	t0, t1        time.Duration
	step          time.Duration // time per bucket
	buckets       []result.Interval
	okMax, errMax float64
	p99           []time.Duration // per bucket: the highest p99 of its intervals
	latMax        time.Duration
	classes       []result.Class
	width         float64
	podRows       []podRow
	podBuckets    []podBucket // per bucket: its answers and failures by pod
}

func newPlot(r *result.Run) *plot {
	iv := max(r.Interval, time.Millisecond)
	p := &plot{step: iv, width: svgW}
	if n := len(r.Timeline); n > 0 {
		p.t0 = r.Timeline[0].Start
		p.t1 = r.Timeline[n-1].Start + iv
	} else {
		p.t1 = max(r.Elapsed, time.Second)
	}
	k := int(math.Ceil(float64(len(r.Timeline)) * minBar / plotW))
	k = max(k, 1)
	p.step = time.Duration(k) * iv
	var errs []result.Counts
	for i, in := range r.Timeline {
		if i%k == 0 {
			p.buckets = append(p.buckets, result.Interval{Start: in.Start, Errors: result.Counts{}})
			p.p99 = append(p.p99, 0)
		}
		if i%k == 0 {
			p.podBuckets = append(p.podBuckets, podBucket{answered: map[string]int{}, lost: result.PodCounts{}})
		}
		bk := &p.buckets[len(p.buckets)-1]
		bk.OK += in.OK
		bk.Errors.Add(in.Errors)
		pb := &p.podBuckets[len(p.podBuckets)-1]
		for pod, n := range in.Pods {
			pb.answered[pod] += n
		}
		for pod, c := range in.Lost {
			for class, n := range c {
				pb.lost.Add(pod, class, n)
			}
		}
		p.p99[len(p.p99)-1] = max(p.p99[len(p.p99)-1], in.P99)
		p.latMax = max(p.latMax, in.P99)
	}
	p.latMax = time.Duration(niceCeil(float64(max(p.latMax, time.Millisecond))))
	for _, bk := range p.buckets {
		p.okMax = max(p.okMax, float64(bk.OK))
		p.errMax = max(p.errMax, float64(bk.Errors.Total()))
		errs = append(errs, bk.Errors)
	}
	p.okMax, p.errMax = niceCeil(max(p.okMax, 1)), niceCeil(max(p.errMax, 1))
	p.classes = Present(errs...)
	p.podRows = buildPodRows(r, p.t0, p.t1)
	return p
}

func (p *plot) x(t time.Duration) float64 {
	span := max(p.t1-p.t0, time.Millisecond)
	return left + plotW*float64(t-p.t0)/float64(span)
}

// count labels an axis of request counts: whole numbers only.
func count(v float64) string {
	if v != math.Trunc(v) {
		return ""
	}
	return fmt.Sprint(v)
}

// panel draws a panel's frame, its title and three grid lines, labelled by label.
func (p *plot) panel(b *strings.Builder, y0, h, vmax float64, title string, label func(float64) string) {
	fmt.Fprintf(b, `<text x="%g" y="%g" fill="#333">%s</text>`+"\n", left, y0-6, esc(title))
	for i := 0; i <= 2; i++ {
		y := y0 + h - h*float64(i)/2
		fmt.Fprintf(b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#e5e7eb"/>`+"\n", left, y, svgW-right, y)
		if l := label(vmax * float64(i) / 2); l != "" {
			fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", left-6, y+4, l)
		}
	}
}

func (p *plot) bars(b *strings.Builder) {
	for _, bk := range p.buckets {
		x0, x1 := p.x(bk.Start), p.x(bk.Start+p.step)
		w := max(x1-x0-0.5, 0.5)
		span := Offset(bk.Start) + "–" + Offset(bk.Start+p.step)
		if bk.OK > 0 {
			h := okH * float64(bk.OK) / p.okMax
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d ok</title></rect>`+"\n",
				x0, top+okH-h, w, h, okColor, span, bk.OK)
		}
		y := errTop + errH
		for _, c := range Present(bk.Errors) {
			h := errH * float64(bk.Errors[c]) / p.errMax
			y -= h
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s %d</title></rect>`+"\n",
				x0, y, w, h, classColor(c), span, c, bk.Errors[c])
		}
	}
}

// latency draws the p99 of each bucket as one line.
func (p *plot) latency(b *strings.Builder) {
	if len(p.p99) == 0 {
		return
	}
	var pts []string
	for i, bk := range p.buckets {
		x := (p.x(bk.Start) + p.x(bk.Start+p.step)) / 2
		y := latTop + latH - latH*float64(p.p99[i])/float64(p.latMax)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="#334155" stroke-width="1.5"/>`+"\n", strings.Join(pts, " "))
}

func (p *plot) xAxis(b *strings.Builder) {
	y := axisY
	tick := niceCeil((p.t1 - p.t0).Seconds() / 8)
	for s := math.Ceil(p.t0.Seconds()/tick) * tick; s <= p.t1.Seconds()+1e-9; s += tick {
		x := p.x(time.Duration(s * float64(time.Second)))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#999"/>`+"\n", x, y, x, y+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle" fill="#555">%gs</text>`+"\n", x, y+16, math.Round(s*1000)/1000)
	}
}

// events draws each event inside the plotted span as a dashed line down to bottom, with
// a short label; labels take turns on three rows so that close events stay readable.
// A pod's own transitions are drawn on its row instead, when there are pod rows; else they
// are labelled only when few. Each line has the whole event as its tooltip.
func (p *plot) events(b *strings.Builder, events []result.Event, bottom float64) {
	var shown []result.Event
	transitions := 0
	for _, e := range events {
		isTransition := e.Kind == result.EventPod || e.Kind == result.EventEndpoint || e.Kind == result.EventRoute
		if e.At < p.t0 || e.At > p.t1 || isTransition && e.Pod != "" && len(p.podRows) > 0 {
			continue
		}
		shown = append(shown, e)
		if isTransition {
			transitions++
		}
	}
	labelTransitions := transitions <= 9
	row := 0
	for _, e := range shown {
		x := p.x(e.At)
		color, label := "#1e3a8a", true
		switch e.Kind {
		case result.EventPod, result.EventEndpoint, result.EventRoute:
			color, label = "#64748b", labelTransitions
		case result.EventPhase:
			color = "#94a3b8"
		}
		fmt.Fprintf(b, `<g><title>%s %s %s</title>`, Offset(e.At), esc(e.Kind), esc(e.Name))
		ly := 32 + 12*float64(row%3)
		if !label {
			ly = top - 8
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="%s" stroke-dasharray="4 3"/>`,
			x, ly+2, x, bottom, color)
		if label {
			row++
			anchor := "start"
			if x > svgW-200 {
				anchor = "end"
			}
			fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="%s" fill="%s">%s</text>`,
				x+2, ly, anchor, color, esc(result.Short(e.Name, 32)))
		}
		b.WriteString("</g>\n")
	}
}

// legend explains the colours at the bottom of a picture height high: the answers and
// failure classes, then, under the pod rows, the pods' states, route lines and marks.
func (p *plot) legend(b *strings.Builder, height float64) {
	x, y := left, height-12
	if len(p.podRows) > 0 {
		_, rows := layoutLegend(p.podRowLegend(), svgW-16)
		y -= 8 + float64(rows)*legendRowH
	}
	item := func(color, label string) {
		fmt.Fprintf(b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g">%s</text>`+"\n",
			x, y-9, color, x+14, y, esc(label))
		x += 22 + 5.8*float64(len([]rune(label)))
	}
	item(okColor, "ok")
	for _, c := range p.classes {
		item(classColor(c), string(c))
	}
	if len(p.podRows) == 0 {
		return
	}
	items := p.podRowLegend()
	pos, rows := layoutLegend(items, svgW-16)
	for k, it := range items {
		x, y := 8+pos[k].x, height-12-float64(rows-1-pos[k].row)*legendRowH
		switch it.kind {
		case "box":
			fmt.Fprintf(b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/>`, x, y-9, it.color)
		case "line":
			fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="3"/>`, x, y-4, x+10, y-4, it.color)
		case "tick":
			fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/>`, x+5, y-10, x+5, y+1, it.color)
		}
		fmt.Fprintf(b, `<text x="%g" y="%g">%s</text>`+"\n", x+14, y, esc(it.label))
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*pow*(1+1e-9) {
			return m * pow
		}
	}
	return 10 * pow
}

func esc(s string) string { return html.EscapeString(s) }
