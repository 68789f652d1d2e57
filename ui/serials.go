package ui

import "certdeck/model"

// The console shows serials and ticket key names by their distinguishing
// end; the rule is model's (model/serial_tail.go), shared with `check`.

const minSerialDigits = model.MinSerialDigits

type tailKey = model.TailKey

func serialLabel(s string, n int) string { return model.SerialTail(s, n) }

func uniqueTails(values []string, atLeast int, seen map[tailKey]string) int {
	return model.DistinctTailLength(values, atLeast, seen)
}
