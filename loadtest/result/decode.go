package result

import (
	"encoding/json"
	"errors"
	"fmt"
)

// DecodeRun reads a summary.json of any schema up to SchemaVersion, as this schema says
// it (Upgrade); name says where it came from, in its errors.
func DecodeRun(b []byte, name string) (*Run, error) {
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case r.Schema == 0:
		return nil, errors.New(name + ": not a run summary (no schema)")
	case r.Schema > SchemaVersion:
		return nil, fmt.Errorf("%s: schema %d is newer than this loadtest reads (%d)", name, r.Schema, SchemaVersion)
	}
	r.Upgrade()
	return &r, nil
}

// DecodeMatrix reads a matrix.json of any schema up to SchemaVersion (a cell of schema 1:
// Cell.UnmarshalJSON); name says where it came from, in its errors.
func DecodeMatrix(b []byte, name string) (*Matrix, error) {
	var m Matrix
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if m.Schema == 0 || m.Schema > SchemaVersion {
		return nil, fmt.Errorf("%s: schema %d, this loadtest reads 1 to %d", name, m.Schema, SchemaVersion)
	}
	return &m, nil
}
