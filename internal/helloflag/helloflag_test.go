package helloflag

import "testing"

func TestEnv(t *testing.T) {
	for flag, want := range map[string]string{
		"addr":           "HELLO_ADDR",
		"shutdown-delay": "HELLO_SHUTDOWN_DELAY",
		"listen-early":   "HELLO_LISTEN_EARLY",
	} {
		if got := Env(flag); got != want {
			t.Errorf("Env(%q) = %q, want %q", flag, got, want)
		}
	}
}
