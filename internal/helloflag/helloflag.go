// Package helloflag is the one contract between hello's command line and the manifests
// that run it: every flag --NAME of hello may also be set by the variable HELLO_<NAME>
// (upper case, dashes as underscores), and the flag wins. hello reads its variables by
// it; the harness reads a container's settings by it.
package helloflag

import "strings"

// Env is the variable that sets flag name: "shutdown-delay" → HELLO_SHUTDOWN_DELAY.
func Env(name string) string {
	return "HELLO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}
