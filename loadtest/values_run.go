package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// atFlag is --at DURATION=COMMAND, repeatable: each value adds one command.
type atFlag []attack.Command

func (a *atFlag) Set(s string) error {
	c, err := attack.ParseCommand(s)
	if err != nil {
		return err
	}
	*a = append(*a, c)
	return nil
}

func (a *atFlag) String() string {
	var parts []string
	for _, c := range *a {
		parts = append(parts, fmt.Sprintf("%s=%s", c.At, c.Shell))
	}
	return strings.Join(parts, ", ")
}

func (*atFlag) Type() string { return "at" }

// metaFlag is --meta KEY=VALUE, repeatable: each value adds one key, and the value is
// everything after the first "=", commas included ("machine=Linux 6.1, 2 CPUs").
type metaFlag map[string]string

func (m *metaFlag) Set(s string) error {
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

func (m *metaFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(*m)) {
		parts = append(parts, k+"="+(*m)[k])
	}
	return strings.Join(parts, " ")
}

func (*metaFlag) Type() string { return "key=value" }

// intFlag is an integer flag that refuses a value below min as it is parsed: --trials 0,
// --lanes -1. Its default may lie below min, to stand for a default worked out later.
type intFlag struct {
	n    *int
	min  int
	note string // after the limit in the error: what min means, say
}

func (f intFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return errors.New("want an integer")
	case n < f.min:
		return fmt.Errorf("want ≥ %d%s", f.min, f.note)
	}
	*f.n = n
	return nil
}

func (f intFlag) String() string {
	if f.n == nil {
		return "0"
	}
	return strconv.Itoa(*f.n)
}

func (intFlag) Type() string { return "int" }

// budgetFlag is --budget CLASS=N,...: the most failed requests allowed of each class
// (502, 503, 500, 504, 5xx, 4xx, refused, reset, eof, timeout, other); repeatable.
type budgetFlag struct{ result.Counts }

func (b *budgetFlag) Set(s string) error {
	if b.Counts == nil {
		b.Counts = result.Counts{}
	}
	return attack.ParseBudget(s, b.Counts)
}

func (b *budgetFlag) String() string {
	var parts []string
	for _, c := range result.Classes {
		if n, ok := b.Counts[c]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", c, n))
		}
	}
	return strings.Join(parts, ",")
}

func (*budgetFlag) Type() string { return "class=n" }

// ratioFlag is a share of 0..1: --min-rate 0.95.
type ratioFlag float64

func (r *ratioFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		return errors.New("not a number")
	case !(v >= 0 && v <= 1):
		return errors.New("want a share of 0..1, e.g. 0.95")
	}
	*r = ratioFlag(v)
	return nil
}

func (r *ratioFlag) String() string { return strconv.FormatFloat(float64(*r), 'g', -1, 64) }
func (*ratioFlag) Type() string     { return "share" }

// registerMinRate adds --min-rate, the floor of the load a valid run sends
// (attack.Options.MinRate), which attack, scenario and matrix share.
func registerMinRate(fs *pflag.FlagSet, p *float64) {
	*p = attack.DefaultMinRate
	fs.Var((*ratioFlag)(p), "min-rate", "the least share of the requests --rate asks for that a run must send, over the run and over each phase of a scenario: below it the run is INVALID, exit 2 (0: no floor)")
}
