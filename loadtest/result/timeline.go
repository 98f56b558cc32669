package result

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// columns is a run's timeline as summary.json holds it from schema 5 on: a column per
// field of Interval with a value per slot, the answers of each pod and the failures of
// each class a column of their own under its name, and the failures by pod (few slots
// have any) only for the slots that have them. Before 5 each slot was an object that
// named its pods again: the timelines committed under results/ took 4.6 MB so, 1.8 MB by
// column. Both read back into the same []Interval.
type columns struct {
	Start  []time.Duration  `json:"start"`
	OK     []int            `json:"ok"`
	P50    []time.Duration  `json:"p50"`
	P99    []time.Duration  `json:"p99"`
	Errors map[Class][]int  `json:"errors,omitempty"`
	Pods   map[string][]int `json:"pods,omitempty"`
	Lost   []slotLost       `json:"lost,omitempty"`
}

// slotLost is the failures by pod of the slot numbered Slot (from 0).
type slotLost struct {
	Slot int       `json:"slot"`
	Lost PodCounts `json:"lost"`
}

// columnsOf is the timeline tl by column; nil for none.
func columnsOf(tl []Interval) *columns {
	if tl == nil {
		return nil
	}
	n := len(tl)
	c := &columns{Start: make([]time.Duration, n), OK: make([]int, n), P50: make([]time.Duration, n), P99: make([]time.Duration, n)}
	for i, in := range tl {
		c.Start[i], c.OK[i], c.P50[i], c.P99[i] = in.Start, in.OK, in.P50, in.P99
		for class, v := range in.Errors {
			column(&c.Errors, class, n)[i] = v
		}
		for pod, v := range in.Pods {
			column(&c.Pods, pod, n)[i] = v
		}
		if len(in.Lost) > 0 {
			c.Lost = append(c.Lost, slotLost{i, in.Lost})
		}
	}
	return c
}

// column is the column of key in *m, n slots of zero when new.
func column[K comparable](m *map[K][]int, key K, n int) []int {
	if *m == nil {
		*m = map[K][]int{}
	}
	if (*m)[key] == nil {
		(*m)[key] = make([]int, n)
	}
	return (*m)[key]
}

// intervals reads the timeline back from its columns: a slot's errors and pods hold the
// classes and pods it counted any of.
func (c *columns) intervals() ([]Interval, error) {
	n := len(c.Start)
	bad := func(what string, got int) error {
		return fmt.Errorf("timeline: %s has %d slots, start %d", what, got, n)
	}
	for what, got := range map[string]int{"ok": len(c.OK), "p50": len(c.P50), "p99": len(c.P99)} {
		if got != n {
			return nil, bad(what, got)
		}
	}
	tl := make([]Interval, n)
	for i := range tl {
		tl[i] = Interval{Start: c.Start[i], OK: c.OK[i], P50: c.P50[i], P99: c.P99[i]}
	}
	for class, col := range c.Errors {
		if len(col) != n {
			return nil, bad("errors "+string(class), len(col))
		}
		for i, v := range col {
			if v != 0 {
				if tl[i].Errors == nil {
					tl[i].Errors = Counts{}
				}
				tl[i].Errors[class] = v
			}
		}
	}
	for pod, col := range c.Pods {
		if len(col) != n {
			return nil, bad("pods "+pod, len(col))
		}
		for i, v := range col {
			if v != 0 {
				if tl[i].Pods == nil {
					tl[i].Pods = map[string]int{}
				}
				tl[i].Pods[pod] = v
			}
		}
	}
	for _, l := range c.Lost {
		if l.Slot < 0 || l.Slot >= n {
			return nil, fmt.Errorf("timeline: lost of slot %d, of %d slots", l.Slot, n)
		}
		tl[l.Slot].Lost = l.Lost
	}
	return tl, nil
}

// readTimeline reads a timeline of any schema: by column (5 on), or a slot an object
// (before), told apart by what the value is, an object or an array.
func readTimeline(raw json.RawMessage) ([]Interval, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, nil
	case raw[0] == '[':
		var tl []Interval
		err := json.Unmarshal(raw, &tl)
		return tl, err
	}
	var c columns
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return c.intervals()
}

// MarshalJSON writes a run as summary.json holds it: the timeline by column.
func (r Run) MarshalJSON() ([]byte, error) {
	type plain Run
	return json.Marshal(struct {
		*plain
		Timeline *columns `json:"timeline"`
	}{(*plain)(&r), columnsOf(r.Timeline)})
}
