package result

import (
	"fmt"
	"strings"
)

// Percent is a ratio as reports and gates spell it: 0.99632 is "99.632%".
func Percent(f float64) string { return fmt.Sprintf("%.3f%%", 100*f) }

// Short is the first line of s, cut to n runes: an error or a command kept in one line.
func Short(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
