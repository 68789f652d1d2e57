package rotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Time       time.Time `json:"time"`
	User       string    `json:"user"` // user@host
	Action     string    `json:"action"`
	Bundle     string    `json:"bundle"`
	OldVersion string    `json:"old_version,omitempty"`
	OldSerial  string    `json:"old_serial,omitempty"`
	NewVersion string    `json:"new_version,omitempty"`
	NewSerial  string    `json:"new_serial,omitempty"`
	Result     string    `json:"result"` // "ok", "refused: <reason>: …", "error: …"
}

// audit appends one line for a publish or rollback attempt. A failure to
// audit is reported as a warning on the result rather than failing an
// operation that has already happened.
func (s *Store) audit(action, bundle string, res *Result, opErr error) {
	path, err := s.auditPath()
	if err != nil {
		if res != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
		return
	}
	if path == "-" {
		return
	}
	e := AuditEntry{Time: s.now().UTC(), User: userAtHost(), Action: action, Bundle: bundle, Result: "ok"}
	if res != nil {
		if res.Old != nil {
			e.OldVersion, e.OldSerial = res.Old.Name, res.Old.Serial
		}
		e.NewVersion, e.NewSerial = res.New.Name, res.New.Serial
	}
	var r *Refusal
	switch {
	case errors.As(opErr, &r):
		e.Result = r.Error()
	case opErr != nil:
		e.Result = "error: " + opErr.Error()
	}
	if err := appendAudit(path, e); err != nil && res != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
}

// appendAudit writes e as one JSON line with a single write(2) on an
// O_APPEND descriptor, so concurrent certdeck processes never interleave
// halves of lines.
func appendAudit(path string, e AuditEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, werr := f.Write(line)
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("audit: %w", werr)
	}
	if cerr != nil {
		return fmt.Errorf("audit: %w", cerr)
	}
	return nil
}

// userAtHost names who acted, for meta.json and the audit log.
func userAtHost() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = fmt.Sprintf("uid%d", os.Getuid())
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return name + "@" + host
}
