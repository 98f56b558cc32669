package flagvalue

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// Each value: what good values come to, in Set and String; what a bad one says.
func TestValues(t *testing.T) {
	t.Parallel()
	var (
		header = Header{Header: http.Header{}}
		via    = Via{Paths: []string{"service"}}
		target Target
		url    string
		at     At
		meta   Meta
		trials = 1
		budget Budget
		ratio  Ratio
	)
	tests := []struct {
		v    pflag.Value
		sets []string
		want string // String() after the sets, or the error of the last one
	}{
		{header, []string{"X-A: 1", "x-a:2", "Host: h"}, "Host: h, X-A: 1, X-A: 2"},
		{header, []string{"nocolon"}, `want "Name: value"`},
		{&via, []string{"ingress", "service, ingress"}, "ingress,service"},
		{&via, []string{"Tunnel!"}, `no path "Tunnel!": want service, ingress or a --target's name, comma-separated`},
		{&target, []string{"http://127.0.0.1:1/", "web=http://127.0.0.1:2/"}, "target=http://127.0.0.1:1/,web=http://127.0.0.1:2/"},
		{&target, []string{"web=http://127.0.0.1:3/"}, `a second target named "web"`},
		{&target, []string{"Web=http://127.0.0.1:3/"}, `name "Web": want a DNS label such as service, ingress or internal`},
		{URL{P: &url}, []string{"http://127.0.0.1:1/x"}, "http://127.0.0.1:1/x"},
		{&at, []string{"20s=ls", "1m=echo a=b"}, "20s=ls, 1m0s=echo a=b"},
		{&at, []string{"soon=ls"}, `time: invalid duration "soon"`},
		{&meta, []string{"b=2, 3", "a=1"}, "a=1 b=2, 3"},
		{&meta, []string{"=v"}, "want KEY=VALUE"},
		{Int{N: &trials, Min: 1}, []string{"3"}, "3"},
		{Int{N: &trials, Min: 1}, []string{"0"}, "want ≥ 1"},
		{Int{N: &trials, Min: -1, Note: " (-1: no limit)"}, []string{"-2"}, "want ≥ -1 (-1: no limit)"},
		{Int{N: &trials}, []string{"x"}, "want an integer"},
		{&budget, []string{"502=0,timeout=5", "refused=1"}, "502=0,refused=1,timeout=5"},
		{&ratio, []string{"0.95"}, "0.95"},
		{&ratio, []string{"1.5"}, "want a share of 0..1, e.g. 0.95"},
		{&ratio, []string{"x"}, "not a number"},
	}
	for _, tt := range tests {
		var err error
		for _, s := range tt.sets {
			if err = tt.v.Set(s); err != nil {
				break
			}
		}
		got := tt.v.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s %q: %q, want %q", tt.v.Type(), tt.sets, got, tt.want)
		}
	}
	if !slices.Equal(target.Names, []string{"target", "web"}) || target.URLs["web"] != "http://127.0.0.1:2/" {
		t.Errorf("targets %q %q", target.Names, target.URLs)
	}
}
