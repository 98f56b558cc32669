package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"scalelab/loadtest/manifest"
)

// Report is what `loadtest check` found in the paths it was given: every finding, in
// the order of the paths and their workloads, and how many sources they were read from.
type Report struct {
	Findings []Sourced
	Sources  int
}

// Sourced is a finding and the path it was read from, as --format json prints it.
type Sourced struct {
	Source string `json:"source"`
	Finding
}

// Paths reads each path (manifest.Sources, manifest.Load; "-" from stdin) and judges
// every workload in them by Manifests. An error is a missing path or a bad file, met
// before anything is judged.
func Paths(paths []string, propagation time.Duration, stdin io.Reader) (*Report, error) {
	var all []*manifest.Manifests
	for _, arg := range paths {
		srcs, err := manifest.Sources(arg)
		if err != nil {
			return nil, err
		}
		for _, src := range srcs {
			m, err := manifest.Load(src, stdin)
			if err != nil {
				return nil, err
			}
			all = append(all, m)
		}
	}
	r := &Report{Sources: len(all)}
	for _, m := range all {
		for _, f := range Manifests(m, propagation) {
			r.Findings = append(r.Findings, Sourced{Source: m.Source, Finding: f})
		}
	}
	return r, nil
}

// Failed says whether a rule failed.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if !f.OK {
			return true
		}
	}
	return false
}

// JSON prints the findings as one indented list.
func (r *Report) JSON(w io.Writer) error {
	b, err := json.MarshalIndent(r.Findings, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\n", b)
	return nil
}

// Text prints one line per finding: ✓ or ✗, the workload and the container
// (deployment/web[envoy]; the workload alone for its own rules), the rule, why it matters,
// what was found, and the container's role and why. A blank line separates the
// workloads, and a header names each source when there are several.
func (r *Report) Text(w io.Writer) {
	fs := r.Findings
	for i, f := range fs {
		newSource := i == 0 || f.Source != fs[i-1].Source
		if i > 0 && (newSource || f.Object != fs[i-1].Object) {
			fmt.Fprintln(w)
		}
		if r.Sources > 1 && newSource {
			fmt.Fprintf(w, "%s\n", f.Source)
		}
		mark := "✗"
		if f.OK {
			mark = "✓"
		}
		about := f.Object
		if f.Container != "" {
			about += "[" + f.Container + "]"
		}
		role := ""
		if f.Role != "" {
			role = " — " + f.Role
		}
		fmt.Fprintf(w, "%s %s %s — %s / %s%s\n", mark, about, f.Rule, f.Why, f.Detail, role)
	}
}
