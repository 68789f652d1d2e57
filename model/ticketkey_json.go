package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// MarshalJSON writes a key file's mode as the octal permission string
// check's bundle files use ("0600"), not fs.FileMode's decimal number
// (384); a missing file has none.
func (f TicketFileFacts) MarshalJSON() ([]byte, error) {
	var mode string
	if !f.Missing {
		mode = fmt.Sprintf("%04o", f.Mode.Perm())
	}
	return json.Marshal(struct {
		Name    string    `json:"name"`
		Mode    string    `json:"mode,omitempty"`
		Size    int64     `json:"size"`
		ModTime time.Time `json:"mod_time,omitzero"`
		Missing bool      `json:"missing,omitempty"`
		Problem string    `json:"problem,omitempty"`
	}{f.Name, mode, f.Size, f.ModTime, f.Missing, f.Problem})
}
