package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
)

// schema1 is a matrix as results/lab saved it before schema 2: one trial per cell, and
// expected_zero for the promise.
const schema1 = `{"schema": 1, "platform": "local", "configs": ["naive"], "scenarios": ["scale-up"],
"vias": ["service"], "cells": [{"config": "naive", "scenario": "scale-up", "via": "service",
"requests": 700, "errors": {"reset": 134}, "expected_zero": false, "verdict": "lost as expected"}]}`

func TestRunCompare(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(name string, lost ...int) string {
		m := &result.Matrix{Schema: result.SchemaVersion, Cells: []result.Cell{{Config: "naive", Scenario: "scale-up", Via: "service"}}}
		for _, n := range lost {
			m.Cells[0].Trials = append(m.Cells[0].Trials, result.Trial{Requests: 700, Errors: result.Counts{result.Reset: n}})
		}
		dir := filepath.Join(root, name)
		if err := report.WriteMatrix(dir, m); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	old := filepath.Join(root, "old")
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, report.MatrixJSONFile), []byte(schema1), 0o644); err != nil {
		t.Fatal(err)
	}
	lost3, lost2, none3, none4, lost4 := write("lost3", 5, 9, 7), write("lost2", 5, 0, 7), write("none3", 0, 0, 0),
		write("none4", 0, 0, 0, 0), write("lost4", 1, 2, 3, 4)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"a race lost in two of three agrees with three", []string{lost3, lost2}, 0, "| 3/3 (29–100 %) | 7 / 9 (reset 7 / 9) | 2/3 (9–99.2 %) | 5 / 7 (reset 5 / 7) | agree (p = 1) |", ""},
		{"three against none is apart", []string{lost3, none3}, 1, "1 apart with too few trials for it", ""},
		{"four against none disagrees", []string{none4, lost4}, 1, "disagree (p = 0.029)", ""},
		{"an old matrix run once", []string{old, none3}, 1, "| 1/1 (2–100 %) | 134 (reset 134) | 0/3 (0–71 %) | 0 | apart (p = 0.25) |", ""},
		{"json", []string{"--format", "json", lost3, none3}, 1, `"verdict": "apart"`, ""},
		{"bad format", []string{"--format", "yaml", lost3, none3}, 2, "", `--format "yaml": want markdown or json`},
		{"one dir", []string{lost3}, 2, "", "want two matrix directories, got 1"},
		{"no matrix", []string{lost3, root}, 2, "", "matrix.json: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"compare"}, tt.args...), streams{nil, &stdout, &stderr})
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, &stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
		})
	}
}

func TestRunCompareOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := &result.Matrix{Schema: result.SchemaVersion, Cells: []result.Cell{{Config: "graceful", Scenario: "scale-down", Via: "ingress"}}}
	if err := report.WriteMatrix(dir, m); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "compare.json")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"compare", "--format=json", "--out", out, dir, dir}, streams{nil, &stdout, &stderr}); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, &stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var c report.Comparison
	if err := json.Unmarshal(b, &c); err != nil || len(c.Rows) != 1 || c.Rows[0].Verdict != report.Agree || string(b) != stdout.String() {
		t.Errorf("--out wrote %s (%v), want the JSON printed, one agreeing row", b, err)
	}
}
