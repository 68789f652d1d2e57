package rotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"certdeck/model"
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

	// The fields below are written for actions run by the Engine (every
	// action of the console and the CLI); a Store used alone as a
	// library writes the ones above.

	// Subject is what the action was asked to act on when that is not
	// Bundle (an endpoint, or several: "web-1, web-2").
	Subject string `json:"subject,omitempty"`
	// State is the Outcome state ("ok", "unverified", "rolled-back",
	// "rollback-failed", …).
	State      string `json:"state,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	// Steps are exactly what ran: the store change, each reload's argv,
	// host and port, socket, URL. No secret is ever in a Step.
	Steps   []Step        `json:"steps,omitempty"`
	Reloads []AuditReload `json:"reloads,omitempty"`
	// Verify is each endpoint's verification.
	Verify []VerifyResult `json:"verify,omitempty"`
	// Rollback is the automatic rollback (on_verify_fail: rollback).
	Rollback *AuditLeg `json:"rollback,omitempty"`
}

// AuditReload is one reload in an audit line: no output (a server's
// reply is not the audit log's to keep), its result and exit status.
type AuditReload struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	OK         bool   `json:"ok"`
	ExitCode   int    `json:"exit_code"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// AuditLeg is the automatic rollback's leg in an audit line.
type AuditLeg struct {
	OldVersion string         `json:"old_version,omitempty"`
	NewVersion string         `json:"new_version,omitempty"`
	NewSerial  string         `json:"new_serial,omitempty"`
	Reloads    []AuditReload  `json:"reloads,omitempty"`
	Verify     []VerifyResult `json:"verify,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// audit writes the engine's one line for a run action.
func (e *Engine) audit(r *run) error {
	setting := e.opt.Store.AuditLog
	if setting == "-" {
		return nil
	}
	path, err := auditLogPath(setting)
	if err != nil {
		return err
	}
	o := r.out
	// The stores' clock stamps the line, as it stamps the store's own
	// lines and meta.json (the engine's clock measures durations).
	stamp := o.Started
	if e.opt.Store.Clock != nil {
		stamp = e.opt.Store.Clock()
	}
	ent := AuditEntry{
		Time: stamp.UTC(), User: o.User, Action: o.Kind, Bundle: o.Bundle, State: o.State,
		DurationMS: o.Duration.Milliseconds(), Steps: r.steps, Reloads: auditReloads(o.Forward.Reloads),
		Verify: o.Forward.Verify, Result: "ok",
	}
	if o.Subject != o.Bundle {
		ent.Subject = o.Subject
	}
	if s := o.Forward.Store; s != nil {
		if s.Old != nil {
			ent.OldVersion, ent.OldSerial = s.Old.Name, s.Old.Serial
		}
		ent.NewVersion, ent.NewSerial = s.New.Name, s.New.Serial
		ent.Unchanged, ent.Pruned = s.Unchanged, s.Pruned
	} else if o.Forward.Want != "" {
		ent.NewSerial = o.Forward.Want
	}
	if p := o.Forward.Pruned; p != nil {
		ent.Pruned, ent.NewVersion = p.Pruned, p.Current
	}
	if !o.OK() {
		ent.Result = o.State + ": " + o.Error
		if o.State == OutcomeRefused && strings.HasPrefix(o.Error, "refused") {
			ent.Result = o.Error
		}
	}
	if b := o.Back; b != nil {
		leg := &AuditLeg{Reloads: auditReloads(b.Reloads), Verify: b.Verify, Error: b.Error}
		if b.Store != nil {
			leg.NewVersion, leg.NewSerial = b.Store.New.Name, b.Store.New.Serial
			if b.Store.Old != nil {
				leg.OldVersion = b.Store.Old.Name
			}
		}
		ent.Rollback = leg
	}
	return appendAudit(path, ent)
}

func auditReloads(runs []ReloadRun) []AuditReload {
	var out []AuditReload
	for _, r := range runs {
		out = append(out, AuditReload{Name: r.Name, Kind: r.Kind, OK: r.OK, ExitCode: r.ExitCode, Error: r.Error, DurationMS: r.Duration.Milliseconds()})
	}
	return out
}

// auditLogPath resolves an AuditLog setting: "" is the state dir's
// audit.log; anything else is the path itself ("-" is handled by the
// callers: no line at all).
func auditLogPath(setting string) (string, error) {
	if setting != "" {
		return setting, nil
	}
	dir, err := model.StateDir()
	if err != nil {
		return "", fmt.Errorf("audit log: %w", err)
	}
	return filepath.Join(dir, "audit.log"), nil
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
	// The log is the record of what root did: a directory on its way
	// that another user may write (root run with their $HOME, sudo -E)
	// would let them forge or delete it, or point it elsewhere.
	dir := filepath.Dir(path)
	if err := checkBeforeCreate("audit log directory "+dir, dir); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := checkDirChain("audit log directory "+dir, dir); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	// O_NONBLOCK: a FIFO in place of the log must fail (ENXIO with no
	// reader), not hang the command after its work is done. O_NOFOLLOW:
	// certdeck runs as root, and a link planted in place of the log would
	// have it append (or create, 0600 root) wherever the link points.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("audit: %s is a symlink; refusing to append through it", path)
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("audit: %s is not a regular file", path)
	}
	if err := checkOwnerAndMode("audit log "+path, path, fi); err != nil {
		f.Close()
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
