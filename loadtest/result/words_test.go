package result

import "testing"

func TestCountsText(t *testing.T) {
	t.Parallel()
	if got := CountsText(Counts{Timeout: 35, HTTP502: 96, Reset: 1}); got != "96 × 502 + 1 reset + 35 timeout" {
		t.Errorf("got %q", got)
	}
}
