// Package readme holds the check that the README's figures match the committed results
// they name: a table that quotes a matrix's cells is compared with that matrix's
// matrix.json, so a number changed by hand, or a result run again, fails `go test ./...`.
package readme

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const root = "../.."

// matrix is the part of a results/NAME/matrix.json the README quotes.
type matrix struct {
	Wall      int64    `json:"wall"` // nanoseconds
	Lanes     int      `json:"lanes"`
	Scenarios []string `json:"scenarios"`
	Cells     []struct {
		Config   string         `json:"config"`
		Scenario string         `json:"scenario"`
		Via      string         `json:"via"`
		Errors   map[string]int `json:"errors"` // the worst trial's
		Trials   []struct {
			Errors map[string]int `json:"errors"`
		} `json:"trials"`
	} `json:"cells"`
}

func (m *matrix) errors(config, scenario, via string) (map[string]int, int, int, bool) {
	for _, c := range m.Cells {
		if c.Config == config && c.Scenario == scenario && c.Via == via {
			lost := 0
			for _, t := range c.Trials {
				if total(t.Errors) > 0 {
					lost++
				}
			}
			errs := map[string]int{}
			for k, v := range c.Errors {
				if v != 0 {
					errs[k] = v
				}
			}
			return errs, lost, len(c.Trials), true
		}
	}
	return nil, 0, 0, false
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

var (
	matrixLink = regexp.MustCompile(`\]\((results/[a-z0-9/-]+)/matrix\.md[#a-z-]*\)`)
	// The scenario tables: "| configuration (promise) | scale-up | scale-down | rollout-restart |",
	// each cell "SERVICE / INGRESS", each side "0" or terms like "7 refused", "24 × 502", joined by " + ".
	scenarioHeader = regexp.MustCompile(`^\| configuration \(promise\) \|((?: [a-z-]+ \|)+)$`)
	term           = regexp.MustCompile(`^([0-9][0-9,]*) (?:× )?([a-z0-9]+)$`)
	// A matrix's run as a sentence quotes it right after its link: "[results/lab-trials](…),
	// 120 runs in 5 min 45 s in 8 lanes", "[results/kind](…), 5 min 45 s, PASS".
	wallAfterLink = regexp.MustCompile(`\]\((results/[a-z0-9/-]+)/matrix\.md\),\s+(?:([0-9][0-9,]*) runs in\s+)?(?:([0-9]+) min\s+)?([0-9]+) s\b(?:\s+in ([0-9]+) lanes)?`)
	// The drain table's cells: "29 (lost in 2 of 3) / 207", "0 / 0: the drain gave up, …".
	totalCell = regexp.MustCompile(`^([0-9][0-9,]*)(?: \(lost in ([0-9]+) of ([0-9]+)\))? / ([0-9][0-9,]*)(?: \(lost in ([0-9]+) of ([0-9]+)\))?(?:[:;].*)?$`)
)

func number(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		panic(err)
	}
	return n
}

// classes reads one side of a scenario table's cell: "0", or "36 refused + 1 reset".
func classes(s string) (map[string]int, error) {
	m := map[string]int{}
	if s == "0" {
		return m, nil
	}
	for _, t := range strings.Split(s, " + ") {
		g := term.FindStringSubmatch(t)
		if g == nil {
			return nil, fmt.Errorf("%q: not a count and a class", t)
		}
		m[g[2]] += number(g[1])
	}
	return m, nil
}

func cells(line string) []string {
	f := strings.Split(strings.Trim(line, "|"), "|")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

func same(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type checker struct {
	t        *testing.T
	matrices map[string]*matrix
	checked  int // cells compared
	tables   int
}

func (c *checker) matrix(dir string) *matrix {
	if m, ok := c.matrices[dir]; ok {
		return m
	}
	b, err := os.ReadFile(filepath.Join(root, dir, "matrix.json"))
	if err != nil {
		c.t.Fatalf("README names %s/matrix.md: %v", dir, err)
	}
	var m matrix
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%s/matrix.json: %v", dir, err)
	}
	c.matrices[dir] = &m
	return &m
}

// TestREADMENumbers compares the README's tables that quote a committed matrix with its
// matrix.json: the scenario tables (a link to results/NAME/matrix.md in the paragraph just
// above, a cell per scenario, "service / ingress" by class) and the drain table (a link in a
// column's header, a cell "service total / ingress total", with "lost in K of T" where given).
func TestREADMENumbers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	c := &checker{t: t, matrices: map[string]*matrix{}}
	for i := 0; i < len(lines); i++ {
		if h := scenarioHeader.FindStringSubmatch(lines[i]); h != nil {
			// The link: in the paragraph just above the table.
			dir := ""
			j := i - 1
			for j >= 0 && strings.TrimSpace(lines[j]) == "" {
				j--
			}
			for ; j >= 0 && strings.TrimSpace(lines[j]) != ""; j-- {
				if l := matrixLink.FindAllStringSubmatch(lines[j], -1); l != nil && dir == "" {
					dir = l[len(l)-1][1]
				}
			}
			if dir == "" {
				t.Errorf("README.md:%d: a scenario table with no results/NAME/matrix.md linked in the paragraph above it", i+1)
				continue
			}
			i = c.scenarioTable(lines, i, dir, cells(lines[i])[1:])
			continue
		}
		if strings.HasPrefix(lines[i], "| configuration |") && matrixLink.MatchString(lines[i]) {
			i = c.totalsTable(lines, i)
		}
	}
	if c.tables < 4 || c.checked < 50 {
		t.Errorf("checked %d cells in %d tables: the README's tables of results changed shape, and this check no longer reads them", c.checked, c.tables)
	}
	t.Logf("%d cells compared in %d tables with their matrix.json", c.checked, c.tables)
}

func (c *checker) scenarioTable(lines []string, i int, dir string, scenarios []string) int {
	c.tables++
	for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		row := cells(lines[i])
		config := strings.Fields(row[0])[0]
		for k, s := range scenarios {
			sides := strings.Split(row[k+1], " / ")
			if len(sides) != 2 {
				c.t.Errorf("README.md:%d: %s %s: %q is not SERVICE / INGRESS", i+1, config, s, row[k+1])
				continue
			}
			for v, via := range []string{"service", "ingress"} {
				got, err := classes(sides[v])
				if err != nil {
					c.t.Errorf("README.md:%d: %s %s via %s: %v", i+1, config, s, via, err)
					continue
				}
				want, _, _, ok := c.matrix(dir).errors(config, s, via)
				if !ok {
					c.t.Errorf("README.md:%d: %s %s via %s: no such cell in %s/matrix.json", i+1, config, s, via, dir)
					continue
				}
				c.checked++
				if !same(got, want) {
					c.t.Errorf("README.md:%d: %s %s via %s says %v, %s/matrix.json %v", i+1, config, s, via, got, dir, want)
				}
			}
		}
	}
	return i
}

func (c *checker) totalsTable(lines []string, i int) int {
	head := cells(lines[i])
	dirs := map[int]string{}
	for k, h := range head {
		if l := matrixLink.FindStringSubmatch(h); l != nil {
			dirs[k] = l[1]
		}
	}
	c.tables++
	for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		row := cells(lines[i])
		config := strings.Fields(row[0])[0]
		for k, dir := range dirs {
			m := c.matrix(dir)
			if len(m.Scenarios) != 1 {
				c.t.Errorf("README.md:%d: %s/matrix.json has %d scenarios: which does the column quote?", i+1, dir, len(m.Scenarios))
				continue
			}
			g := totalCell.FindStringSubmatch(row[k])
			if g == nil {
				c.t.Errorf("README.md:%d: %s in %s: %q is not SERVICE / INGRESS", i+1, config, dir, row[k])
				continue
			}
			for v, via := range []string{"service", "ingress"} {
				want, lost, trials, ok := m.errors(config, m.Scenarios[0], via)
				if !ok {
					c.t.Errorf("README.md:%d: %s via %s: no such cell in %s/matrix.json", i+1, config, via, dir)
					continue
				}
				c.checked++
				if got := number(g[1+3*v]); got != total(want) {
					c.t.Errorf("README.md:%d: %s via %s says %d, %s/matrix.json %d (%v)", i+1, config, via, got, dir, total(want), want)
				}
				if g[2+3*v] != "" && (number(g[2+3*v]) != lost || number(g[3+3*v]) != trials) {
					c.t.Errorf("README.md:%d: %s via %s says lost in %s of %s, %s/matrix.json in %d of %d", i+1, config, via, g[2+3*v], g[3+3*v], dir, lost, trials)
				}
			}
		}
	}
	return i
}

// TestREADMEWalls compares the runs, the wall time and the lanes a sentence quotes right
// after a matrix's link with its matrix.json. The wall time is the matrix's own, to the
// second; a figure within a second of it passes (the README's were read off the clock
// around the command, which adds its start and its last write).
func TestREADMEWalls(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{t: t, matrices: map[string]*matrix{}}
	n := 0
	for _, g := range wallAfterLink.FindAllStringSubmatch(string(b), -1) {
		m := c.matrix(g[1])
		n++
		said := number(g[4])
		if g[3] != "" {
			said += 60 * number(g[3])
		}
		if wall := float64(m.Wall) / 1e9; float64(said) < wall-1 || float64(said) > wall+1 {
			t.Errorf("README says %s took %d min %d s, its matrix.json %.1f s", g[1], said/60, said%60, wall)
		}
		if g[2] != "" {
			runs := 0
			for _, cell := range m.Cells {
				runs += max(len(cell.Trials), 1)
			}
			if number(g[2]) != runs {
				t.Errorf("README says %s is %s runs, its matrix.json %d", g[1], g[2], runs)
			}
		}
		if g[5] != "" && number(g[5]) != m.Lanes {
			t.Errorf("README says %s ran in %s lanes, its matrix.json %d", g[1], g[5], m.Lanes)
		}
	}
	if n < 4 {
		t.Errorf("%d wall times after a matrix's link: the README's sentences changed shape, and this check no longer reads them", n)
	}
	t.Logf("%d wall times compared with their matrix.json", n)
}
