package result

import "time"

// Promise is what a configuration claims; the matrix checks the claim.
type Promise string

const (
	PromiseNothing Promise = "nothing" // the control: it must lose requests, or the testbed is blind
	PromiseScaleUp Promise = "scale-up"
	PromiseZero    Promise = "zero" // zero failed requests in every scenario
)

// What a reliability overlay may expect of its scenarios (annotation scalelab.dev/expect).
const (
	ExpectZero     = "zero"     // no failed request
	ExpectLoss     = "loss"     // failed requests: the testbed sees what the overlay gets wrong
	ExpectKills    = "kills"    // at least one container SIGKILLed
	ExpectRestarts = "restarts" // at least one container restarted
)

// Cell is one configuration under one scenario through one path.
type Cell struct {
	Config   string        `json:"config"`
	Scenario string        `json:"scenario"`
	Via      string        `json:"via"`              // service or ingress
	Dir      string        `json:"dir"`              // run directory, relative to the matrix's
	Requests int           `json:"requests"`         //
	Errors   Counts        `json:"errors"`           //
	P99      time.Duration `json:"p99"`              //
	Wall     time.Duration `json:"wall"`             // how long the cell took
	Overhead time.Duration `json:"overhead"`         // Wall beyond the configured delays
	Expected bool          `json:"expected_zero"`    // the config promises zero here
	Expect   []string      `json:"expect,omitempty"` // the overlay's own claims (Expect*); they replace the promise
	Restarts int           `json:"restarts"`         // MarkRestart events on the run's timeline
	Kills    int           `json:"kills"`            // MarkKill events on the run's timeline
	Verdict  string        `json:"verdict"`          // ok, broken promise, blind control, error
	Error    string        `json:"error,omitempty"`  // the cell could not run
}

// Matrix is configurations × scenarios: matrix.json.
type Matrix struct {
	Schema    int                `json:"schema"`
	Platform  string             `json:"platform"`
	Started   time.Time          `json:"started"`
	Wall      time.Duration      `json:"wall"`
	Configs   []string           `json:"configs"`
	Promises  map[string]Promise `json:"promises"`
	Scenarios []string           `json:"scenarios"`
	Vias      []string           `json:"vias"`
	Cells     []Cell             `json:"cells"`
	Problems  []string           `json:"problems,omitempty"` // why the verdict failed
	Meta      map[string]string  `json:"meta,omitempty"`
}

// Passed reports whether every promise held and the control saw failures.
func (m *Matrix) Passed() bool { return len(m.Problems) == 0 }
