//go:build !race

package protocol

// raceEnabled: the tests run under the race detector, which slows them.
const raceEnabled = false
