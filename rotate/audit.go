package rotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"syscall"
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
	// Unchanged: a publish of inputs identical to current (no version made).
	Unchanged bool `json:"unchanged,omitempty"`
	// Pruned lists the versions a publish or prune removed.
	Pruned []string `json:"pruned,omitempty"`
	Result string   `json:"result"` // "ok", "refused: <reason>: …", "error: …"
}

// audit appends one line for a publish or rollback attempt. A failure to
// audit is reported as a warning on the result rather than failing an
// operation that has already happened.
func (s *Store) audit(action, bundle string, res *Result, opErr error) {
	e := AuditEntry{Action: action, Bundle: bundle, Result: auditResult(opErr)}
	if res != nil {
		if res.Old != nil {
			e.OldVersion, e.OldSerial = res.Old.Name, res.Old.Serial
		}
		e.NewVersion, e.NewSerial = res.New.Name, res.New.Serial
		e.Unchanged, e.Pruned = res.Unchanged, res.Pruned
	}
	if err := s.appendEntry(e); err != nil && res != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
}

// auditPrune appends one line for a prune (`store prune`); a failure to
// audit becomes a warning on the result.
func (s *Store) auditPrune(res *PruneResult, opErr error) {
	e := AuditEntry{Action: "prune", Bundle: res.Bundle, NewVersion: res.Current, Pruned: res.Pruned, Result: auditResult(opErr)}
	if err := s.appendEntry(e); err != nil {
		res.Warnings = append(res.Warnings, err.Error())
	}
}

// appendEntry stamps e with the time and user and appends it to the
// store's audit log ("-": none).
func (s *Store) appendEntry(e AuditEntry) error {
	path, err := s.auditPath()
	if err != nil || path == "-" {
		return err
	}
	e.Time, e.User = s.now().UTC(), userAtHost()
	return appendAudit(path, e)
}

func auditResult(opErr error) string {
	var r *Refusal
	switch {
	case errors.As(opErr, &r):
		return r.Error()
	case opErr != nil:
		return "error: " + opErr.Error()
	}
	return "ok"
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
	// O_NONBLOCK: a FIFO in place of the log must fail (ENXIO with no
	// reader), not hang the command after its work is done.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("audit: %s is not a regular file", path)
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
