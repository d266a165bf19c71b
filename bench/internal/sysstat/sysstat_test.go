package sysstat

import (
	"os"
	"testing"
	"time"
)

func TestCPUReadings(t *testing.T) {
	m := StartMeter()
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
	}
	self := SelfCPU()
	if self <= 0 {
		t.Fatalf("SelfCPU = %v", self)
	}
	proc, err := PidCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in 10 ms ticks and getrusage more finely; both see the spin.
	if proc <= 0 || proc > self+100*time.Millisecond {
		t.Fatalf("PidCPU = %v, SelfCPU = %v", proc, self)
	}
	if _, err := PidCPU(-1); err == nil {
		t.Fatal("PidCPU(-1) succeeded")
	}
	u := m.Read()
	if u.Self <= 0 || u.Wall < 50*time.Millisecond {
		t.Fatalf("usage %+v", u)
	}
	if u.Others() < 0 {
		t.Fatalf("others %v", u.Others())
	}
	if u.Describe() == "" {
		t.Fatal("empty description")
	}
}
