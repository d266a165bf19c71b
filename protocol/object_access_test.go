package protocol

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestObjectFreqIdletime: OBJECT IDLETIME answers under every policy but
// LFU's and FREQ under LFU's only, each with Redis's error under the
// others; RESTORE's IDLETIME and FREQ set what they report.
func TestObjectFreqIdletime(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr})
	defer rdb.Close()

	rdb.Set(ctx, "k", "v", 0)
	dump := rdb.Dump(ctx, "k").Val()
	for _, policy := range []string{"allkeys-s3fifo", "allkeys-lru", "noeviction", "volatile-ttl"} {
		if err := rdb.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Do(ctx, "RESTORE", "r", 0, dump, "REPLACE", "IDLETIME", 1000).Err(); err != nil {
			t.Fatalf("%s: RESTORE IDLETIME: %v", policy, err)
		}
		idle, err := rdb.ObjectIdleTime(ctx, "r").Result()
		if err != nil || idle.Seconds() < 1000 || idle.Seconds() > 1100 {
			t.Errorf("%s: OBJECT IDLETIME after RESTORE IDLETIME 1000 = %v, %v", policy, idle, err)
		}
		rdb.Get(ctx, "r")
		if idle, _ := rdb.ObjectIdleTime(ctx, "r").Result(); idle.Seconds() > 100 {
			t.Errorf("%s: OBJECT IDLETIME after a GET = %v, want about 0", policy, idle)
		}
		err = rdb.ObjectFreq(ctx, "r").Err()
		if err == nil || !strings.HasPrefix(err.Error(), "ERR An LFU maxmemory policy is not selected") {
			t.Errorf("%s: OBJECT FREQ = %v, want the not-LFU error", policy, err)
		}
	}

	rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu")
	rdb.Do(ctx, "RESTORE", "f", 0, dump, "FREQ", 100)
	if f, err := rdb.ObjectFreq(ctx, "f").Result(); err != nil || f < 99 || f > 100 {
		t.Errorf("OBJECT FREQ after RESTORE FREQ 100 = %d, %v", f, err)
	}
	rdb.Set(ctx, "n", "v", 0)
	if f, err := rdb.ObjectFreq(ctx, "n").Result(); err != nil || f != 5 {
		t.Errorf("OBJECT FREQ of a new key = %d, %v; want Redis's initial 5", f, err)
	}
	err := rdb.ObjectIdleTime(ctx, "n").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR An LFU maxmemory policy is selected, idle time not tracked") {
		t.Errorf("OBJECT IDLETIME under LFU = %v, want the LFU error", err)
	}
	if err := rdb.ObjectFreq(ctx, "nokey").Err(); err != redis.Nil {
		t.Errorf("OBJECT FREQ of a missing key = %v, want nil", err)
	}
}
