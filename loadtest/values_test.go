package main

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/flagvalue"
)

// Each flag with a value of its own shape: good values come out as their Go value, a bad
// one fails in Parse with exit 2 and one line naming the flag and the value.
func TestFlagValues(t *testing.T) {
	t.Parallel()
	type values struct {
		header http.Header
		via    []string
		at     []attack.Command
		meta   map[string]string
	}
	tests := []struct {
		name string
		args []string
		want values // when err is ""
		err  string // the first line of stderr after "loadtest test: "
	}{
		{name: "defaults", want: values{header: http.Header{}, via: []string{"service"}}},
		{name: "headers add up", args: []string{"--header", "X-A: 1", "--header=x-a:2", "--header", "Host: hello.local", "--header", "X-Empty:"},
			want: values{header: http.Header{"X-A": {"1", "2"}, "Host": {"hello.local"}, "X-Empty": {""}}, via: []string{"service"}}},
		{name: "header without a colon", args: []string{"--header", "nocolon"}, err: `--header "nocolon": want "Name: value"`},
		{name: "header name with a space", args: []string{"--header", "X Foo: 1"}, err: `--header "X Foo: 1": header name "X Foo": want letters`},
		{name: "header without a name", args: []string{"--header", ": 1"}, err: `--header ": 1": header name "": want letters`},
		{name: "header value with a newline", args: []string{"--header", "X-A: 1\r\nX-B: 2"}, err: `--header "X-A: 1\r\nX-B: 2": control character in the value`},

		{name: "one path", args: []string{"--via", "ingress"}, want: values{header: http.Header{}, via: []string{"ingress"}}},
		{name: "both paths, spaced", args: []string{"--via", "ingress, service"}, want: values{header: http.Header{}, via: []string{"ingress", "service"}}},
		{name: "paths add up, each once", args: []string{"--via", "ingress", "--via", "service,ingress"}, want: values{header: http.Header{}, via: []string{"ingress", "service"}}},
		{name: "bad path", args: []string{"--via", "Tunnel!"}, err: `--via "Tunnel!": no path "Tunnel!": want service, ingress or a --target's name, comma-separated`},
		{name: "empty path", args: []string{"--via", "service,"}, err: `--via "service,": no path "": want service`},

		{name: "commands add up", args: []string{"--at", "20s=kubectl scale deploy/hello --replicas=1", "--at=1m30s=echo a=b"},
			want: values{header: http.Header{}, via: []string{"service"}, at: []attack.Command{
				{At: 20 * time.Second, Shell: "kubectl scale deploy/hello --replicas=1"},
				{At: 90 * time.Second, Shell: "echo a=b"}}}},
		{name: "command with a bad offset", args: []string{"--at", "soon=ls"}, err: `--at "soon=ls": time: invalid duration "soon"`},
		{name: "command without an offset", args: []string{"--at", "ls"}, err: `--at "ls": want DURATION=COMMAND`},
		{name: "offset without a command", args: []string{"--at", "20s= "}, err: `--at "20s= ": want DURATION=COMMAND`},
		{name: "negative offset", args: []string{"--at", "-1s=ls"}, err: `--at "-1s=ls": negative offset -1s`},

		{name: "meta values keep their commas", args: []string{"--meta", "machine=Linux 6.1, 2 CPUs, x=y", "--meta=ingress=skipper"},
			want: values{header: http.Header{}, via: []string{"service"}, meta: map[string]string{"machine": "Linux 6.1, 2 CPUs, x=y", "ingress": "skipper"}}},
		{name: "meta without a key", args: []string{"--meta", "=v"}, err: `--meta "=v": want KEY=VALUE`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			c := newCommand(help{synopsis: "loadtest test [flags]"})
			got := values{header: http.Header{}}
			c.flags.Var(flagvalue.Header{Header: got.header}, "header", "")
			c.flags.Var((*flagvalue.At)(&got.at), "at", "")
			c.flags.Var((*flagvalue.Meta)(&got.meta), "meta", "")
			v := flagvalue.Via{Paths: []string{"service"}}
			c.flags.Var(&v, "via", "")
			done := true // the command did not run: bad usage
			c.run = func(context.Context, []string) error { done = false; return nil }
			ctx := context.Background()
			code := exit(ctx, &stderr, "test", c.help.synopsis, c.execute(ctx, tc.args, &stdout))
			got.via = v.Paths
			if tc.err == "" {
				if done || stderr.Len() > 0 {
					t.Fatalf("exit %d: %s", code, &stderr)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %+v\nwant %+v", got, tc.want)
				}
				return
			}
			first, rest, _ := strings.Cut(stderr.String(), "\n")
			if !done || code != 2 || !strings.HasPrefix(first, "loadtest test: "+tc.err) {
				t.Errorf("exit %d (done %v), first line %q; want 2 and %q", code, done, first, "loadtest test: "+tc.err)
			}
			if !strings.HasPrefix(rest, "Usage: loadtest test [flags]\n") {
				t.Errorf("no usage after the error: %q", rest)
			}
		})
	}
}

// Every subcommand's --help has a synopsis, what it does, examples, the exit statuses and
// the flags; every flag an example uses is one of the command's own.
func TestEveryCommandHelp(t *testing.T) {
	t.Parallel()
	flagLine := regexp.MustCompile(`(?m)^      --([a-z0-9-]+)`)
	for _, cmd := range commands {
		t.Run(cmd.name, func(t *testing.T) {
			t.Parallel()
			var out, errs bytes.Buffer
			if code := run(context.Background(), []string{cmd.name, "--help"}, streams{nil, &out, &errs}); code != 0 {
				t.Fatalf("exit %d: %s", code, &errs)
			}
			stdout := out.String()
			usage, rest, _ := strings.Cut(stdout, "\nExamples:\n")
			examples, rest, _ := strings.Cut(rest, "\nExit status:\n")
			exits, flags, ok := strings.Cut(rest, "\nFlags:\n")
			if !ok || !strings.HasPrefix(usage, "Usage: loadtest "+cmd.name+" ") || len(usage) < 200 ||
				!strings.HasPrefix(exits, "  0  ") || !strings.Contains(exits, "\n  2  bad usage") {
				t.Fatalf("want Usage, a paragraph, Examples, Exit status 0..2 and Flags:\n%s", stdout)
			}
			var known []string
			for _, m := range flagLine.FindAllStringSubmatch(flags, -1) {
				known = append(known, m[1])
			}
			examples = strings.ReplaceAll(examples, "\\\n", " ")
			for _, ex := range strings.Split(strings.TrimSpace(examples), "\n") {
				if _, piped, ok := strings.Cut(ex, " | "); ok { // another command's output into loadtest
					ex = piped
				}
				words := shellWords(ex)
				if len(words) < 2 || words[0] != "loadtest" || words[1] != cmd.name {
					t.Errorf("example %q does not run loadtest %s", ex, cmd.name)
				}
				for _, w := range words {
					name, isFlag := strings.CutPrefix(w, "--")
					name, _, _ = strings.Cut(name, "=")
					if isFlag && !slices.Contains(known, name) {
						t.Errorf("example %q: loadtest %s has no flag --%s", ex, cmd.name, name)
					}
				}
			}
		})
	}
}

// shellWords splits a command line as sh does, for quotes and comments only.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '#' && !in:
			return words
		case r == ' ' || r == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
			}
			in = false
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
