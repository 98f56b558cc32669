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

// CountsText is failures as a sentence says them, in report order: "96 × 502 + 35
// timeout"; an HTTP status is counted with ×, a broken connection by its word.
func CountsText(c Counts) string {
	var parts []string
	for _, class := range Classes {
		n := c[class]
		switch {
		case n == 0:
		case class[0] >= '0' && class[0] <= '9':
			parts = append(parts, fmt.Sprintf("%d × %s", n, class))
		default:
			parts = append(parts, fmt.Sprintf("%d %s", n, class))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}
