package main

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// The flags whose values have a shape of their own. Each is a pflag.Value: a bad value
// fails in Parse, and the error names the flag (command.execute makes it one line).

// headerFlag is --header "Name: value", repeatable: each value adds one header.
type headerFlag struct{ http.Header }

func (h headerFlag) Set(s string) error {
	name, value, err := attack.ParseHeader(s)
	if err == nil {
		h.Add(name, value)
	}
	return err
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
		p = strings.TrimSpace(p)
		if p != result.ViaService && p != result.ViaIngress && !isName(p) {
			return fmt.Errorf("no path %q: want service, ingress or a --target's name, comma-separated", p)
		}
		if !slices.Contains(v.paths, p) {
			v.paths = append(v.paths, p)
		}
	}
	return nil
}

func (v *viaFlag) String() string { return strings.Join(v.paths, ",") }
func (*viaFlag) Type() string     { return "paths" }

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
