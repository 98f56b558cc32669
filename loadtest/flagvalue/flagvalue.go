// Package flagvalue holds loadtest's flag values that have a shape of their own: a
// header, the paths into the pods, a target, a URL, a timed command, a key=value, a
// bounded integer, the failure budgets, a share of 0..1. Each is a pflag.Value: a bad value
// fails in Parse, and pflag's error names the flag; the message of each Set says only
// what is wrong with the value. flagvalue.go has those that say where the load goes and
// what it sends; run.go, those that say what a run does and how it is judged.
package flagvalue

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
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
