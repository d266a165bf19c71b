package protocol

import (
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkTrackingTableMemory reports the tracking table's heap bytes
// per tracked key (one client per key), for 1M keys.
//
//	go test -run x -bench TrackingTableMemory -benchtime 1x ./protocol/
func BenchmarkTrackingTableMemory(b *testing.B) {
	const keys = 1 << 20
	for range b.N {
		t := newTracking(256)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		key := make([]byte, 0, 32)
		for i := range keys {
			key = strconv.AppendInt(append(key[:0], "user:"...), int64(i), 10)
			t.remember(i&255, key, int64(i%50)+1, 0)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/keys, "bytes/key")
		runtime.KeepAlive(t)
	}
}

// BenchmarkTrackingRememberAndChange is the table's cost per tracked read
// and per invalidating write.
func BenchmarkTrackingRememberAndChange(b *testing.B) {
	t := newTracking(256)
	key := []byte("user:123456")
	for i := range b.N {
		t.remember(i&255, key, 1, 0)
		t.changed(i&255, key, 0)
	}
}
