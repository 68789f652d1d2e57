package model

import (
	"cmp"
	"slices"
	"time"
)

// classifyAddresses is the status rule for an endpoint probed at every
// address of its name (all_ips): its worst address's status, with every
// address's findings, worst address first, each prefixed with its IP
// ("::1: expires in 3 days (crit < 7d)"), so a pool where one node serves
// an old certificate reads as that node's problem.
func classifyAddresses(addrs []*Observation, t Thresholds, now time.Time) Verdict {
	type judged struct {
		ip string
		v  Verdict
	}
	all := make([]judged, 0, len(addrs))
	for _, a := range addrs {
		all = append(all, judged{ip: a.IP, v: ClassifyEndpoint(a, t, now)})
	}
	slices.SortStableFunc(all, func(a, b judged) int { return cmp.Compare(b.v.Status, a.v.Status) })
	v := Verdict{Status: OK}
	for i, j := range all {
		if i == 0 {
			v.Status = j.v.Status
		}
		for _, r := range j.v.Reasons {
			v.Reasons = append(v.Reasons, j.ip+": "+r)
		}
	}
	return v
}
