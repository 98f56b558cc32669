// Package flagvalue holds loadtest's flag values that have a shape of their own: a
// header, the paths into the pods, a target, a URL, a timed command, a key=value, a
// bounded integer, the failure budgets, a share of 0..1. Each is a pflag.Value: a bad value
// fails in Parse, and pflag's error names the flag; the message of each Set says only
// what is wrong with the value.
package flagvalue

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// Header is --header "Name: value", repeatable: each value adds one header.
type Header struct{ http.Header }

func (h Header) Set(s string) error {
	name, value, err := attack.ParseHeader(s)
	if err == nil {
		h.Add(name, value)
	}
	return err
}

func (h Header) String() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(h.Header)) {
		for _, v := range h.Header[name] {
			parts = append(parts, name+": "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func (Header) Type() string { return "header" }

// Via is --via service,ingress: the paths into the pods, Paths the default until the
// first value replaces it; later ones add to it, and each path counts once.
type Via struct {
	Paths []string
	set   bool
}

func (v *Via) Set(s string) error {
	if !v.set {
		v.Paths, v.set = nil, true
	}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p != result.ViaService && p != result.ViaIngress && !isName(p) {
			return fmt.Errorf("no path %q: want service, ingress or a --target's name, comma-separated", p)
		}
		if !slices.Contains(v.Paths, p) {
			v.Paths = append(v.Paths, p)
		}
	}
	return nil
}

func (v *Via) String() string { return strings.Join(v.Paths, ",") }
func (*Via) Type() string     { return "paths" }

// isName says whether s can name a path: a DNS label (lower case, digits, dashes).
func isName(s string) bool {
	return s != "" && len(s) <= 63 && s[0] != '-' && s[len(s)-1] != '-' &&
		!strings.ContainsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') })
}

// Target is --target [NAME=]URL, repeatable: a path into the pods by a name of its own
// ("target" when none is given), for a platform that runs what someone else deployed.
type Target struct {
	URLs  map[string]string
	Names []string // in the order given
}

func (t *Target) Set(s string) error {
	name, u := "target", s
	if n, rest, ok := strings.Cut(s, "="); ok && !strings.Contains(n, "/") {
		name, u = n, rest
	}
	switch err := attack.CheckURL(u); {
	case !isName(name):
		return fmt.Errorf("name %q: want a DNS label such as service, ingress or internal", name)
	case err != nil:
		return fmt.Errorf("%q: %w", u, err)
	case t.URLs[name] != "":
		return fmt.Errorf("a second target named %q", name)
	}
	if t.URLs == nil {
		t.URLs = map[string]string{}
	}
	t.URLs[name] = u
	t.Names = append(t.Names, name)
	return nil
}

func (t *Target) String() string {
	var parts []string
	for _, n := range t.Names {
		parts = append(parts, n+"="+t.URLs[n])
	}
	return strings.Join(parts, ",")
}

func (*Target) Type() string { return "[name=]url" }

// URL is a URL flag, kept in *P: --target of attack, --service-url, --ingress-url; empty
// is unset.
type URL struct{ P *string }

func (u URL) Set(s string) error {
	if err := attack.CheckURL(s); s != "" && err != nil {
		return err
	}
	*u.P = s
	return nil
}

func (u URL) String() string {
	if u.P == nil {
		return ""
	}
	return *u.P
}

func (URL) Type() string { return "url" }

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
