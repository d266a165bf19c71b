//go:build race

package servertest

// Race reports whether the race detector is on. Long tests scale down
// under it: it makes every memory access several times slower, and adds
// nothing to the parts of a test that run on one goroutine.
const Race = true
