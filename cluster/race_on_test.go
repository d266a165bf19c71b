//go:build race

package cluster

// raceEnabled scales the ring sweep down: the race detector makes hashing
// and sorting several times slower and adds nothing to a single-goroutine
// computation.
const raceEnabled = true
