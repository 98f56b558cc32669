package attack

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"scalelab/loadtest/result"
)

// ParseHeader reads a header line, "Name: value": the name an HTTP token (RFC 9110
// 5.6.2), the value without control characters; both trimmed.
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok:
		return "", "", errors.New(`want "Name: value"`)
	case !isToken(name):
		return "", "", fmt.Errorf(`header name %q: want letters, digits and !#$%%&'*+-.^_|~, no space`, name)
	case strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
		return "", "", errors.New("control character in the value")
	}
	return name, value, nil
}

// isToken says whether s is an HTTP token, as a header name must be.
func isToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r > '~' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// ParseBudget reads budgets, "CLASS=N,...": the most failed requests allowed of each
// class (Gates.Budget), into b.
func ParseBudget(s string, b result.Counts) error {
	for part := range strings.SplitSeq(s, ",") {
		class, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		limit, err := strconv.Atoi(strings.TrimSpace(n))
		switch c := result.Class(strings.TrimSpace(class)); {
		case !ok:
			return fmt.Errorf("%q: want CLASS=N", part)
		case !slices.Contains(result.Classes, c):
			return fmt.Errorf("no class %q (known: %v)", c, result.Classes)
		case err != nil || limit < 0:
			return fmt.Errorf("%q: want a count ≥ 0", part)
		default:
			b[c] = limit
		}
	}
	return nil
}
