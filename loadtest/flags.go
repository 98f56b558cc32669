package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

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
			return fmt.Errorf("no path %q: want service, ingress or both, comma-separated", p)
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
