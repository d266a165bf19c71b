//go:build race

package store

// raceEnabled scales long randomized tests down: the race detector makes
// every memory access several times slower.
const raceEnabled = true
