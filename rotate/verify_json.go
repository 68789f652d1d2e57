package rotate

import (
	"encoding/json"
	"time"
)

// verifyJSON is VerifyResult as JSON (the audit log's verify[] and the
// rollback leg's): elapsed in whole milliseconds, elapsed_ms, beside the
// line's other *_ms fields. Elapsed is what lines written before that
// held: time.Duration's nanoseconds, read so old lines still decode.
type verifyJSON struct {
	Endpoint  string `json:"endpoint"`
	State     string `json:"state"`
	Serial    string `json:"serial,omitempty"`
	Want      string `json:"want,omitempty"`
	Error     string `json:"error,omitempty"`
	Attempts  int    `json:"attempts"`
	ElapsedMS int64  `json:"elapsed_ms"`
	Elapsed   *int64 `json:"elapsed,omitempty"`
}

// MarshalJSON writes elapsed_ms (integer milliseconds).
func (v VerifyResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(verifyJSON{Endpoint: v.Endpoint, State: v.State, Serial: v.Serial, Want: v.Want, Error: v.Error,
		Attempts: v.Attempts, ElapsedMS: v.Elapsed.Milliseconds()})
}

// UnmarshalJSON reads elapsed_ms, or the nanoseconds of an older line's
// elapsed.
func (v *VerifyResult) UnmarshalJSON(data []byte) error {
	var j verifyJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*v = VerifyResult{Endpoint: j.Endpoint, State: j.State, Serial: j.Serial, Want: j.Want, Error: j.Error,
		Attempts: j.Attempts, Elapsed: time.Duration(j.ElapsedMS) * time.Millisecond}
	if j.Elapsed != nil && j.ElapsedMS == 0 {
		v.Elapsed = time.Duration(*j.Elapsed)
	}
	return nil
}
