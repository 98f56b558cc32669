package flagvalue

// The values that say what a run does and how it is judged: --at, --meta, a bounded
// integer, --budget, a share.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// At is --at DURATION=COMMAND, repeatable: each value adds one command.
type At []attack.Command

func (a *At) Set(s string) error {
	c, err := attack.ParseCommand(s)
	if err != nil {
		return err
	}
	*a = append(*a, c)
	return nil
}

func (a *At) String() string {
	var parts []string
	for _, c := range *a {
		parts = append(parts, fmt.Sprintf("%s=%s", c.At, c.Shell))
	}
	return strings.Join(parts, ", ")
}

func (*At) Type() string { return "at" }

// Meta is --meta KEY=VALUE, repeatable: each value adds one key, and the value is
// everything after the first "=", commas included ("machine=Linux 6.1, 2 CPUs").
type Meta map[string]string

func (m *Meta) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE")
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
	return nil
}

func (m *Meta) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(*m)) {
		parts = append(parts, k+"="+(*m)[k])
	}
	return strings.Join(parts, " ")
}

func (*Meta) Type() string { return "key=value" }

// Int is an integer flag, kept in *N, that refuses a value below Min as it is parsed:
// --trials 0, --lanes -1. Its default may lie below Min, to stand for a default worked
// out later.
type Int struct {
	N    *int
	Min  int
	Note string // after the limit in the error: what Min means, say
}

func (f Int) Set(s string) error {
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return errors.New("want an integer")
	case n < f.Min:
		return fmt.Errorf("want ≥ %d%s", f.Min, f.Note)
	}
	*f.N = n
	return nil
}

func (f Int) String() string {
	if f.N == nil {
		return "0"
	}
	return strconv.Itoa(*f.N)
}

func (Int) Type() string { return "int" }

// Budget is --budget CLASS=N,...: the most failed requests allowed of each class
// (502, 503, 500, 504, 5xx, 4xx, refused, reset, eof, timeout, other); repeatable.
type Budget struct{ result.Counts }

func (b *Budget) Set(s string) error {
	if b.Counts == nil {
		b.Counts = result.Counts{}
	}
	return attack.ParseBudget(s, b.Counts)
}

func (b *Budget) String() string {
	var parts []string
	for _, c := range result.Classes {
		if n, ok := b.Counts[c]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", c, n))
		}
	}
	return strings.Join(parts, ",")
}

func (*Budget) Type() string { return "class=n" }

// Ratio is a share of 0..1: --min-rate 0.95.
type Ratio float64

func (r *Ratio) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		return errors.New("not a number")
	case !(v >= 0 && v <= 1):
		return errors.New("want a share of 0..1, e.g. 0.95")
	}
	*r = Ratio(v)
	return nil
}

func (r *Ratio) String() string { return strconv.FormatFloat(float64(*r), 'g', -1, 64) }
func (*Ratio) Type() string     { return "share" }
