package rotate

import "fmt"

// RefusalReason classifies why a publish or rollback was refused. The
// strings are stable: scripts and the audit log match on them.
type RefusalReason string

const (
	ReasonBadInput    RefusalReason = "bad input"
	ReasonKeyMismatch RefusalReason = "key mismatch"
	ReasonExpired     RefusalReason = "expired"
	ReasonNotYetValid RefusalReason = "not yet valid"
	ReasonChainBroken RefusalReason = "chain broken"
	ReasonNamesLost   RefusalReason = "names lost"
	ReasonShorter     RefusalReason = "expires sooner"
	ReasonNoVersion   RefusalReason = "no such version"
)

// Refusal is returned when inputs fail validation. Nothing was written and
// `current` is untouched. Detail never contains key material.
type Refusal struct {
	Reason RefusalReason
	Detail string
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return "refused: " + string(r.Reason)
	}
	return fmt.Sprintf("refused: %s: %s", r.Reason, r.Detail)
}

func refuse(reason RefusalReason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}
