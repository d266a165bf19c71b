package config

import (
	"strings"
	"testing"
)

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// Every setting's default parses, and what Get shows parses back to the
// same value: CONFIG SET rolls back through Get and Set.
func TestEverySettingRoundTrips(t *testing.T) {
	c := New()
	for _, s := range Settings {
		v := s.Get(c)
		if err := s.Set(New(), v); err != nil {
			t.Errorf("%s: Get gives %q, which Set refuses: %v", s.Name, v, err)
		}
	}
}

// CONFIG SET applies all of its settings or none, and refuses unknown,
// immutable and repeated names with Redis's errors.
func TestSetAllOrNone(t *testing.T) {
	c := New()
	err := c.Set(args("maxclients", "50", "timeout", "notanumber"))
	if err == nil || !strings.HasPrefix(err.Error(), "ERR CONFIG SET failed (possibly related to argument 'timeout')") {
		t.Fatalf("err %v", err)
	}
	if got := c.MaxClients.Load(); got != 10000 {
		t.Fatalf("maxclients %d after a refused CONFIG SET, want the default kept", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]string{"port", "7000"}, "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
		{[]string{"timeout", "1", "TIMEOUT", "2"}, "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter"},
	} {
		if err := c.Set(args(tc.args...)); err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
	if err := c.Set(args("maxclients", "50", "timeout", "7")); err != nil {
		t.Fatal(err)
	}
	if c.MaxClients.Load() != 50 || c.Timeout.Load() != 7 {
		t.Fatalf("maxclients %d timeout %d", c.MaxClients.Load(), c.Timeout.Load())
	}
}

// Booleans take yes or no, in any case, and nothing else.
func TestBooleansTakeYesOrNo(t *testing.T) {
	for _, s := range Settings {
		if !s.Bool {
			continue
		}
		c := New()
		for _, ok := range []string{"yes", "NO", "Yes"} {
			if err := s.Set(c, ok); err != nil {
				t.Errorf("%s %q: %v", s.Name, ok, err)
			}
		}
		for _, bad := range []string{"true", "1", "on", ""} {
			if err := s.Set(c, bad); err == nil {
				t.Errorf("%s accepted %q", s.Name, bad)
			}
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "100": 100, "1k": 1000, "1kb": 1024, "2MB": 2 << 20, "1g": 1e9, "1gb": 1 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1tb", "x", "9223372036854775807gb"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}

// The store's options come from the settings.
func TestStoreOptions(t *testing.T) {
	c := New()
	if err := c.Set(args("maxmemory", "1mb", "maxmemory-policy", "allkeys-lru", "maxmemory-samples", "7")); err != nil {
		t.Fatal(err)
	}
	c.Shards = 64
	o := c.StoreOptions()
	if o.Shards != 64 || o.Limits.MaxMemory != 1<<20 || o.Limits.Policy.String() != "allkeys-lru" || o.Limits.Samples != 7 {
		t.Fatalf("%+v", o)
	}
}
