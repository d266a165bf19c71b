//go:build !race

package servertest

// Race reports whether the race detector is on (see race.go).
const Race = false
