package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// The flags whose values have a shape of their own. Each is a pflag.Value: a bad value
// fails in Parse, and the error names the flag (cmdline.parse prints it in one line).

// headerFlag is --header "Name: value", repeatable: each value adds one header.
type headerFlag struct{ http.Header }

func (h headerFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok:
		return errors.New(`want "Name: value"`)
	case !isToken(name):
		return fmt.Errorf(`header name %q: want letters, digits and !#$%%&'*+-.^_|~, no space`, name)
	case strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
		return errors.New("control character in the value")
	}
	h.Add(name, value)
	return nil
}

func (h headerFlag) String() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(h.Header)) {
		for _, v := range h.Header[name] {
			parts = append(parts, name+": "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func (headerFlag) Type() string { return "header" }

// isToken says whether s is an HTTP token (RFC 9110 5.6.2), as a header name must be.
func isToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r > '~' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// viaFlag is --via service,ingress: the paths into the pods. The first value replaces
// the default, later ones add to it; each path counts once.
type viaFlag struct {
	paths []string
	set   bool
}

func (v *viaFlag) Set(s string) error {
	if !v.set {
		v.paths, v.set = nil, true
	}
	for _, p := range strings.Split(s, ",") {
		switch p = strings.TrimSpace(p); p {
		case result.ViaService, result.ViaIngress:
			if !slices.Contains(v.paths, p) {
				v.paths = append(v.paths, p)
			}
		default:
			if !isName(p) {
				return fmt.Errorf("no path %q: want service, ingress or a --target's name, comma-separated", p)
			}
			if !slices.Contains(v.paths, p) {
				v.paths = append(v.paths, p)
			}
		}
	}
	return nil
}

func (v *viaFlag) String() string { return strings.Join(v.paths, ",") }
func (*viaFlag) Type() string     { return "paths" }

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

// isName says whether s can name a path: a DNS label (lower case, digits, dashes).
func isName(s string) bool {
	return s != "" && len(s) <= 63 && s[0] != '-' && s[len(s)-1] != '-' &&
		!strings.ContainsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') })
}

// targetFlag is --target [NAME=]URL, repeatable: a path into the pods by a name of its own
// ("target" when none is given), for a platform that runs what someone else deployed.
type targetFlag struct {
	urls  map[string]string
	names []string // in the order given
}

func (t *targetFlag) Set(s string) error {
	name, u := "target", s
	if n, rest, ok := strings.Cut(s, "="); ok && !strings.Contains(n, "/") {
		name, u = n, rest
	}
	switch err := attack.CheckURL(u); {
	case !isName(name):
		return fmt.Errorf("name %q: want a DNS label such as service, ingress or internal", name)
	case err != nil:
		return fmt.Errorf("%q: %w", u, err)
	case t.urls[name] != "":
		return fmt.Errorf("a second target named %q", name)
	}
	if t.urls == nil {
		t.urls = map[string]string{}
	}
	t.urls[name] = u
	t.names = append(t.names, name)
	return nil
}

func (t *targetFlag) String() string {
	var parts []string
	for _, n := range t.names {
		parts = append(parts, n+"="+t.urls[n])
	}
	return strings.Join(parts, ",")
}

func (*targetFlag) Type() string { return "[name=]url" }

// urlFlag is a URL flag: --target of attack, --service-url, --ingress-url; empty is
// unset.
type urlFlag struct{ s *string }

func (u urlFlag) Set(s string) error {
	if err := attack.CheckURL(s); s != "" && err != nil {
		return err
	}
	*u.s = s
	return nil
}

func (u urlFlag) String() string {
	if u.s == nil {
		return ""
	}
	return *u.s
}

func (urlFlag) Type() string { return "url" }

// budgetFlag is --budget CLASS=N,...: the most failed requests allowed of each class
// (502, 503, 500, 504, 5xx, 4xx, refused, reset, eof, timeout, other); repeatable.
type budgetFlag struct{ result.Counts }

func (b *budgetFlag) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		class, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		limit, err := strconv.Atoi(strings.TrimSpace(n))
		switch c := result.Class(strings.TrimSpace(class)); {
		case !ok:
			return fmt.Errorf("%q: want CLASS=N", part)
		case !slices.Contains(result.Classes, c):
			return fmt.Errorf("no class %q (known: %v)", c, result.Classes)
		case err != nil || limit < 0:
			return fmt.Errorf("%q: want a count ≥ 0", part)
		default:
			if b.Counts == nil {
				b.Counts = result.Counts{}
			}
			b.Counts[c] = limit
		}
	}
	return nil
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
	fs.Var((*ratioFlag)(p), "min-rate", "the least share of the requests --rate asks for that a run must send: below it the run is INVALID, exit 2 (0: no floor)")
}
