package rotate

import (
	"context"
	"errors"

	"certdeck/model"
)

// PublishPlan is what a publish would do, for the console's "(y/N)"
// dialog: old → new serial, expiry and the names gained or lost. Nothing
// is written to compute it.
type PublishPlan struct {
	Bundle string      `json:"bundle"`
	Old    *VersionRef `json:"old,omitempty"` // nil on a first publish
	// New summarises the candidate; Name is the version it would get
	// (if nobody publishes first), or the current version when Unchanged.
	New          VersionRef `json:"new"`
	AddedNames   []string   `json:"added_names,omitempty"`
	RemovedNames []string   `json:"removed_names,omitempty"`
	// ExpiresSooner is set when the candidate expires before the current
	// version: Publish refuses it unless Inputs.AllowShorter.
	ExpiresSooner bool `json:"expires_sooner,omitempty"`
	// Unchanged is set when the inputs are identical to the current
	// version: Publish would make no version (see Result.Unchanged).
	Unchanged bool `json:"unchanged,omitempty"`
	// Refusal is why Publish would refuse these inputs, nil if it would
	// go ahead. Plan returns it as its error too.
	Refusal *Refusal `json:"refusal,omitempty"`
	// RollbackTo is the version a rollback without a version would make
	// current once this publish is live (chooseAfterPublish: the current
	// version, unless it was rolled back as not verified), "" if none.
	RollbackTo      string   `json:"rollback_to,omitempty"`
	RollbackSkipped []string `json:"rollback_skipped,omitempty"`
}

// Plan parses and validates inputs against the current version of bundle
// name exactly as Publish would, without writing or locking anything. It
// works on a read-only Store (the dialog is shown before the mode matters).
//
// When the inputs parse but would be refused, Plan returns the plan (with
// Refusal set) and the *Refusal as error, so the dialog can show both the
// diff and the reason. When they do not parse, the plan is nil. An unsafe
// store (strictmodes.go) is reported here already, before anyone confirms.
func (s *Store) Plan(ctx context.Context, name string, in Inputs) (*PublishPlan, error) {
	if err := ctx.Err(); err != nil {
		return nil, errorf("plan", name, err)
	}
	if err := checkBundleName(name); err != nil {
		return nil, errorf("plan", name, refuse(ReasonBadInput, "%v", err))
	}
	c, err := parseInputs(in, s.Roots)
	if err != nil {
		return nil, errorf("plan", name, err)
	}
	if err := s.checkDirsIfPresent(name); err != nil {
		return nil, errorf("plan", name, err)
	}
	dir := s.BundleDir(name)
	p := &PublishPlan{Bundle: name, New: VersionRef{VersionSummary: c.summary}}
	if next, err := nextVersion(dir); err == nil {
		p.New.Name = next
	} else {
		p.New.Name = versionName(1)
	}
	cur, _ := currentVersion(dir)
	if cur != nil {
		p.Old = &VersionRef{Name: cur.name, VersionSummary: summarize(cur.chain[0])}
		p.AddedNames = model.MissingNames(c.summary.SANs, p.Old.SANs)
		p.RemovedNames = model.MissingNames(p.Old.SANs, c.summary.SANs)
		p.ExpiresSooner = expiresSooner(c.chain[0], cur.chain[0])
		err = c.validate(s.now(), cur, in.rules())
		if err == nil && sameContent(cur.meta, versionFiles(c)) {
			p.Unchanged = true
			p.New.Name = cur.name
		}
		if vs, lerr := listVersions(dir); lerr == nil && !p.Unchanged {
			c := chooseAfterPublish(dir, vs, cur.name)
			p.RollbackTo, p.RollbackSkipped = c.Version, c.Skipped
		}
	} else {
		p.AddedNames = c.summary.SANs
		err = c.validate(s.now(), nil, publishRules{allowNameChange: true, allowShorter: true})
	}
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			p.Refusal = r
		}
		return p, errorf("plan", name, err)
	}
	return p, nil
}

// RollbackPlan is what Rollback would do, for the console dialog.
type RollbackPlan struct {
	Bundle string      `json:"bundle"`
	Old    *VersionRef `json:"old,omitempty"`
	New    VersionRef  `json:"new"`
	// Chosen, Skipped and WasRolledBack are as in Result: how the
	// target was chosen, what was passed over, and whether a version
	// named explicitly had been rolled back.
	Chosen        string   `json:"chosen,omitempty"`
	Skipped       []string `json:"skipped,omitempty"`
	WasRolledBack string   `json:"was_rolled_back,omitempty"`
	Refusal       *Refusal `json:"refusal,omitempty"`
}

// PlanRollback reports which version Rollback(ctx, name, version) would
// make current and whether it would refuse, without changing anything.
func (s *Store) PlanRollback(ctx context.Context, name, version string) (*RollbackPlan, error) {
	if err := ctx.Err(); err != nil {
		return nil, errorf("plan rollback", name, err)
	}
	if err := checkBundleName(name); err != nil {
		return nil, errorf("plan rollback", name, refuse(ReasonBadInput, "%v", err))
	}
	if err := s.checkDirsIfPresent(name); err != nil {
		return nil, errorf("plan rollback", name, err)
	}
	res := &Result{}
	_, err := s.rollbackTarget(s.BundleDir(name), version, res)
	p := &RollbackPlan{Bundle: name, Old: res.Old, New: res.New, Chosen: res.Chosen, Skipped: res.Skipped, WasRolledBack: res.WasRolledBack}
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			p.Refusal = r
		}
		return p, errorf("plan rollback", name, err)
	}
	return p, nil
}
