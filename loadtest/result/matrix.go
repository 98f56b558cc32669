package result

import (
	"encoding/json"
	"time"
)

// Promise is what a configuration promises (annotation scalelab.dev/promise); the matrix
// checks it in every scenario that tests it.
type Promise string

const (
	PromiseNothing Promise = "nothing"  // the control: it must lose requests, or the testbed is blind
	PromiseScaleUp Promise = "scale-up" // zero failed requests when pods are added
	PromiseZero    Promise = "zero"     // zero failed requests in every scenario
)

// Expectation is one outcome a reliability check expects of each of its scenarios
// (annotation scalelab.dev/expect); a configuration with expectations is judged by them
// instead of by a promise.
type Expectation string

const (
	ExpectZero     Expectation = "zero"     // no failed request
	ExpectLoss     Expectation = "loss"     // failed requests: the testbed sees what the overlay gets wrong
	ExpectKills    Expectation = "kills"    // at least one container SIGKILLed
	ExpectRestarts Expectation = "restarts" // at least one container restarted
)

// Expectations lists every expectation there is.
var Expectations = []Expectation{ExpectZero, ExpectLoss, ExpectKills, ExpectRestarts}

// Verdict is the judgement of one cell.
type Verdict string

const (
	VerdictKept          Verdict = "kept"             // promised zero, lost none (or within its budgets)
	VerdictBroken        Verdict = "broken promise"   // promised zero, lost some (or broke a budget)
	VerdictLost          Verdict = "lost as expected" // the control lost requests, as it must somewhere
	VerdictNoLoss        Verdict = "no loss"          // promised nothing here, lost nothing
	VerdictBlind         Verdict = "blind control"    // the control lost nothing on any path of this scenario
	VerdictAsExpected    Verdict = "as expected"      // every expectation held
	VerdictNotAsExpected Verdict = "not as expected"  // an expectation failed
	VerdictError         Verdict = "error"            // the cell could not run
	VerdictInvalid       Verdict = "invalid"          // it ran, but proves nothing: Invalid says why
	VerdictInterrupted   Verdict = "interrupted"      // a signal or a cancel cut it short
	VerdictNotRun        Verdict = "not run"          // the matrix was interrupted before it began
)

// Cell is one configuration under one scenario through one path.
type Cell struct {
	Config       string        `json:"config"`
	Scenario     string        `json:"scenario"`
	Via          string        `json:"via"`      // ViaService or ViaIngress
	Dir          string        `json:"dir"`      // run directory, relative to the matrix's
	Requests     int           `json:"requests"` //
	Errors       Counts        `json:"errors"`   //
	P99          time.Duration `json:"p99"`      //
	Wall         time.Duration `json:"wall"`     // how long the cell took
	Overhead     time.Duration `json:"overhead"` // Wall beyond the configured delays
	PromisedZero bool          `json:"promised_zero"`
	Expects      []Expectation `json:"expects,omitempty"` // they replace the promise
	Restarts     int           `json:"restarts"`          // MarkRestart events on the run's timeline
	Kills        int           `json:"kills"`             // MarkKill events on the run's timeline
	Verdict      Verdict       `json:"verdict"`           //
	Error        string        `json:"error,omitempty"`   // the cell could not run
	// Invalid says why the cell proves nothing though it ran: the reasons of each trial
	// that does not (Run.Invalid), "trial N: " before each when it ran more than once.
	Invalid     []string `json:"invalid,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"` // a trial was cut short
	NotRun      bool     `json:"not_run,omitempty"`     // interrupted before any trial began
	// Blame is, for a cell that lost requests, the largest attribution of its run (of its
	// worst trial) in one line: the window, the pod(s) and the two moments whose order
	// lost them (Window.Blame); "" when none could be made.
	Blame string `json:"blame,omitempty"`
	// Gates, when the matrix was given budgets, are those of the first trial that broke
	// one, else of the worst trial; they replace the promise of zero where there is one.
	Gates []Gate `json:"gates,omitempty"`
	// Trials are the cell's runs when it ran more than once; the fields above are then
	// those of its worst trial (the most failed requests), but for Restarts and Kills,
	// the fewest any trial saw: a loss counts when any trial lost, a kill or a restart
	// when every trial saw one.
	Trials []Trial `json:"trials,omitempty"`
}

// Trial is one run of a cell.
type Trial struct {
	Dir      string        `json:"dir"`
	Requests int           `json:"requests"`
	Errors   Counts        `json:"errors"`
	P99      time.Duration `json:"p99"`
	Wall     time.Duration `json:"wall"`
	Overhead time.Duration `json:"overhead"`
	Restarts int           `json:"restarts"`
	Kills    int           `json:"kills"`
	Gates    []Gate        `json:"gates,omitempty"`
	Error    string        `json:"error,omitempty"`
	// Invalid says why the trial proves nothing (Run.Invalid); Interrupted that it was
	// cut short.
	Invalid     []string `json:"invalid,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

// UnmarshalJSON reads a cell of any schema: schema 1 named PromisedZero "expected_zero"
// and Expects "expect".
func (c *Cell) UnmarshalJSON(b []byte) error {
	type plain Cell
	var v struct {
		plain
		V1PromisedZero *bool         `json:"expected_zero"`
		V1Expects      []Expectation `json:"expect"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Cell(v.plain)
	if v.V1PromisedZero != nil {
		c.PromisedZero = *v.V1PromisedZero
	}
	if v.V1Expects != nil {
		c.Expects = v.V1Expects
	}
	return nil
}

// Matrix is configurations × scenarios: matrix.json.
type Matrix struct {
	Schema    int                `json:"schema"`
	Platform  string             `json:"platform"`
	Started   time.Time          `json:"started"`
	Wall      time.Duration      `json:"wall"`
	Lanes     int                `json:"lanes,omitempty"` // how many runs went on side by side
	Configs   []string           `json:"configs"`
	Promises  map[string]Promise `json:"promises"`
	Scenarios []string           `json:"scenarios"`
	Vias      []string           `json:"vias"`
	Cells     []Cell             `json:"cells"`
	Problems  []string           `json:"problems,omitempty"` // why the verdict failed, or proves nothing
	// Interrupted: a signal or a cancel cut the matrix short; Status is its Outcome, as
	// it was written.
	Interrupted bool              `json:"interrupted,omitempty"`
	Status      Status            `json:"status,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
}

// Passed reports whether every promise held and the control saw failures, and every
// cell ran whole and valid.
func (m *Matrix) Passed() bool { return m.Outcome() == StatusPass }
