package result

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A run's timeline is written by column, each pod named once, and read back as it was;
// a timeline of slot objects (schema 4 and before) reads into the same slots.
func TestTimelineColumns(t *testing.T) {
	t.Parallel()
	want := &Run{Schema: SchemaVersion, Interval: 250 * time.Millisecond, Timeline: []Interval{
		{Start: 0, OK: 25, P50: 3 * time.Millisecond, P99: 9 * time.Millisecond, Pods: map[string]int{"hello-a": 25}},
		{Start: 250 * time.Millisecond, OK: 20, P50: 4 * time.Millisecond, P99: 8 * time.Millisecond,
			Errors: Counts{HTTP502: 3, Timeout: 1}, Pods: map[string]int{"hello-a": 12, "hello-b": 8},
			Lost: PodCounts{"hello-b": {HTTP502: 3}}},
		{Start: 500 * time.Millisecond},
	}}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(b), `"hello-b"`) != 2 || !strings.Contains(string(b), `"pods":{"hello-a":[25,12,0],"hello-b":[0,8,0]}`) {
		t.Errorf("timeline not by column, each pod once (and once in lost): %s", b)
	}
	got, err := DecodeRun(b, "summary.json")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v, %v\nwant %+v", got, err, want)
	}

	old := `{"schema":4,"interval":250000000,"timeline":[{"start":0,"ok":25,"p50":3000000,"p99":9000000,"pods":{"hello-a":25}},` +
		`{"start":250000000,"ok":20,"errors":{"502":3,"timeout":1},"p50":4000000,"p99":8000000,"pods":{"hello-a":12,"hello-b":8},"lost":{"hello-b":{"502":3}}},` +
		`{"start":500000000,"ok":0,"p50":0,"p99":0}]}`
	got, err = DecodeRun([]byte(old), "old/summary.json")
	want.Schema = 4
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("schema 4 read as %+v, %v\nwant %+v", got, err, want)
	}

	for _, r := range []*Run{{Schema: SchemaVersion}, {Schema: SchemaVersion, Timeline: []Interval{}}} {
		b, _ := json.Marshal(r)
		if got, err := DecodeRun(b, "x"); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("%s read as %+v, %v", b, got, err)
		}
	}
}

// Columns of unequal lengths, or failures of a slot the timeline has not, are refused.
func TestTimelineColumnsBroken(t *testing.T) {
	t.Parallel()
	for _, tl := range []string{
		`{"start":[0,1],"ok":[1],"p50":[0,0],"p99":[0,0]}`,
		`{"start":[0],"ok":[1],"p50":[0],"p99":[0],"pods":{"a":[1,2]}}`,
		`{"start":[0],"ok":[1],"p50":[0],"p99":[0],"errors":{"502":[]}}`,
		`{"start":[0],"ok":[1],"p50":[0],"p99":[0],"lost":[{"slot":1,"lost":{"a":{"502":1}}}]}`,
	} {
		if _, err := DecodeRun([]byte(`{"schema":5,"timeline":`+tl+`}`), "x/summary.json"); err == nil || !strings.Contains(err.Error(), "timeline") {
			t.Errorf("%s: error %v, want one about the timeline", tl, err)
		}
	}
}
