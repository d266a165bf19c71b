package sysstat

import (
	"os"
	"runtime"
	"testing"
)

var ballast []byte

func TestPidRSS(t *testing.T) {
	before, err := PidRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before < 1<<20 {
		t.Fatalf("RSS %d B: implausibly small for a Go test binary", before)
	}
	// Touching 64 MiB makes it resident.
	ballast = make([]byte, 64<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	after, err := PidRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 60<<20 {
		t.Errorf("RSS grew by %d B after touching 64 MiB", after-before)
	}
	runtime.KeepAlive(ballast)
	ballast = nil
	if _, err := PidRSS(-1); err == nil {
		t.Error("PidRSS(-1) succeeded")
	}
}
