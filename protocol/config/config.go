// Package config is cachesrv's settings table: every setting's name,
// default, validation and help text, once. The command line, the
// CACHESRV_* environment variables, --help (all in cmd/cachesrv) and
// CONFIG GET / CONFIG SET (here) are all derived from it, so they cannot
// disagree. Names are Redis's directives where Redis has one.
package config

import (
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// Config holds the server's settings. The settings CONFIG SET may change
// are atomics (or under mu), read on the hot path without a lock; the
// others are fixed once the server starts.
type Config struct {
	Bind      string
	Port      int
	Shards    int
	Databases int // numbered databases, SELECT 0 to Databases-1
	LogFormat string
	LogLevel  slog.LevelVar

	Cluster ClusterConfig
	TLS     TLSConfig  // tls.go
	ACL     ACLConfig  // acl.go
	setMu   sync.Mutex // serializes CONFIG SET, which restores old values on failure, as Redis's one thread does

	// MetricsAddr is where /metrics, /healthz, /readyz (and, with Pprof,
	// /debug/pprof/) are served; "" disables the HTTP listener.
	MetricsAddr string
	Pprof       bool

	MaxClients             atomic.Int64
	Timeout                atomic.Int64 // idle seconds before a client is closed; 0 = never
	ProtoMaxBulkLen        atomic.Int64
	ClientQueryBufferLimit atomic.Int64
	LatencyTracking        atomic.Bool // time every command for INFO latencystats and the metrics

	// The store's memory limits (see MemoryLimits): bytes (0 = none), a
	// store.Policy, and keys sampled per eviction.
	MaxMemory        atomic.Int64
	MaxMemoryPolicy  atomic.Int32
	MaxMemorySamples atomic.Int64

	mu          sync.Mutex // guards requirepass
	requirepass string

	ProtectedMode atomic.Bool  // refuse non-loopback clients while there is no password (protected.go)
	MaxClientsFit atomic.Int64 // most clients the descriptor limit holds; 0 = unknown (maxclients.go)
	SecretFiles   SecretFiles  // secrets read from files at start (secrets.go)

	File         *File        // the configuration file, if one was given (file.go)
	Notify       NotifyConfig // notify-keyspace-events, tracking-table-max-keys (notify.go)
	outputLimits outputLimits // client-output-buffer-limit (clients.go)
	// MaxMemoryClients is maxmemory-clients: bytes, or a percentage of
	// maxmemory stored as its negative, as Redis stores it (maxmemory_clients.go).
	MaxMemoryClients atomic.Int64

	Scripting ScriptingConfig // busy-reply-threshold, lua-undeclared-keys, lua-memory-limit (scripting.go)

	Coll CollConfig // hash-max-listpack-*, set-max-*, lazyfree-lazy-* (collections.go)
	HLL  HLLConfig  // hll-sparse-max-bytes (hll.go)

	Ops OpsConfig // slowlog-log-slower-than, slowlog-max-len, latency-monitor-threshold (ops.go)
}

// MaxDatabases bounds the databases setting (Redis allows up to INT_MAX;
// the server keeps a small slot per database up front).
const MaxDatabases = 1 << 16

// StoreOptions returns the store's options from the settings: its shard
// count and memory limits. (Tests set the store's clock and hash on top.)
func (c *Config) StoreOptions() store.Options {
	return store.Options{Shards: c.Shards, Limits: c.MemoryLimits(), Coll: c.CollLimits()}
}

// MemoryLimits returns the maxmemory settings in the store's terms: the
// store takes them at construction and, after CONFIG SET, through its one
// setter.
func (c *Config) MemoryLimits() store.Limits {
	return store.Limits{
		MaxMemory: c.MaxMemory.Load(),
		Policy:    store.Policy(c.MaxMemoryPolicy.Load()),
		Samples:   int(c.MaxMemorySamples.Load()),
	}
}

// RequestLimits returns the limits the request reader enforces, read from
// c on every use so that CONFIG SET reaches open connections.
func (c *Config) RequestLimits() resp.Limits { return requestLimits{c} }

type requestLimits struct{ c *Config }

func (l requestLimits) ProtoMaxBulkLen() int64        { return l.c.ProtoMaxBulkLen.Load() }
func (l requestLimits) ClientQueryBufferLimit() int64 { return l.c.ClientQueryBufferLimit.Load() }

// New returns a Config holding every setting's default.
func New() *Config {
	c := &Config{}
	for _, s := range Settings {
		if err := s.set(c, s.Default); err != nil {
			panic("bad default for " + s.Name + ": " + err.Error())
		}
	}
	return c
}

// Addr is the RESP listen address.
func (c *Config) Addr() string {
	if strings.Contains(c.Bind, ":") {
		return fmt.Sprintf("[%s]:%d", c.Bind, c.Port)
	}
	return fmt.Sprintf("%s:%d", c.Bind, c.Port)
}

// Requirepass returns the password clients must AUTH with, "" for none.
func (c *Config) Requirepass() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requirepass
}

// Setting is one configuration directive. Names follow Redis's config
// directives where Redis has one, so a Redis user's habits carry over.
type Setting struct {
	Name    string
	Default string
	Usage   string
	// Mutable settings can be changed by CONFIG SET at run time.
	Mutable bool
	// Bool settings take yes or no; on the command line a bare flag
	// (--cluster) means yes.
	Bool bool
	get  func(*Config) string
	set  func(*Config, string) error
	// apply, when set, runs after CONFIG SET has stored new values and
	// checks them together, as Redis's apply functions do (a certificate
	// and its key are only valid as a pair); an error restores the old
	// values. It must be idempotent: a CONFIG SET of several settings
	// with the same apply runs it for each.
	apply func(*Config) error
}

// Set parses value into the setting, as a flag or CONFIG SET would.
func (s *Setting) Set(c *Config, value string) error { return s.set(c, value) }

// Get returns the setting's current value as CONFIG GET shows it.
func (s *Setting) Get(c *Config) string { return s.get(c) }

// Settings lists every setting, in the order --help shows them.
var Settings = []*Setting{
	{Name: "bind", Default: "127.0.0.1", Usage: "address to listen on for RESP clients",
		get: func(c *Config) string { return c.Bind },
		set: func(c *Config, v string) error { c.Bind = v; return nil }},
	{Name: "port", Default: "6379", Usage: "TCP port for RESP clients",
		get: func(c *Config) string { return strconv.Itoa(c.Port) },
		set: intSetting(func(c *Config, n int64) { c.Port = int(n) }, 0, 65535)},
	{Name: "metrics-addr", Default: "127.0.0.1:8379", Usage: "host:port for HTTP /metrics, /healthz and /readyz (empty = no HTTP listener)",
		get: func(c *Config) string { return c.MetricsAddr },
		set: func(c *Config, v string) error {
			if v != "" {
				_, port, err := net.SplitHostPort(v)
				if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
					return fmt.Errorf("must be host:port or empty, got %q", v)
				}
			}
			c.MetricsAddr = v
			return nil
		}},
	{Name: "pprof", Default: "no", Bool: true, Usage: "serve Go's profiler at /debug/pprof/ on metrics-addr",
		get: func(c *Config) string { return yesNo(c.Pprof) },
		set: boolSetting(func(c *Config, b bool) { c.Pprof = b })},
	{Name: "shards", Default: "256", Usage: "number of lock shards in the store, a power of two",
		get: func(c *Config) string { return strconv.Itoa(c.Shards) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65536 || bits.OnesCount(uint(n)) != 1 {
				return fmt.Errorf("must be a power of two between 1 and 65536, got %q", v)
			}
			c.Shards = n
			return nil
		}},
	{Name: "databases", Default: "16", Usage: "number of databases (SELECT 0 to databases-1); a cluster node serves database 0 only",
		get: func(c *Config) string { return strconv.Itoa(c.Databases) },
		set: intSetting(func(c *Config, n int64) { c.Databases = int(n) }, 1, MaxDatabases)},
	{Name: "maxclients", Default: "10000", Usage: "maximum number of connected clients", Mutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.MaxClients.Load(), 10) },
		set: intSetting(func(c *Config, n int64) { c.MaxClients.Store(n) }, 1, 1<<32-1)},
	{Name: "timeout", Default: "0", Usage: "close a client after this many idle seconds (0 = never)", Mutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.Timeout.Load(), 10) },
		set: intSetting(func(c *Config, n int64) { c.Timeout.Store(n) }, 0, 1<<31-1)},
	{Name: "proto-max-bulk-len", Default: "512mb", Usage: "largest bulk string a client may send (and a value may grow to)", Mutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.ProtoMaxBulkLen.Load(), 10) },
		set: sizeSetting(func(c *Config, n int64) { c.ProtoMaxBulkLen.Store(n) }, 1<<20)},
	{Name: "client-query-buffer-limit", Default: "1gb", Usage: "largest unprocessed input a client may have buffered", Mutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.ClientQueryBufferLimit.Load(), 10) },
		set: sizeSetting(func(c *Config, n int64) { c.ClientQueryBufferLimit.Store(n) }, 1024*1024)},
	{Name: "latency-tracking", Default: "yes", Bool: true, Usage: "time every command (per-command latency histograms); no = count calls only", Mutable: true,
		get: func(c *Config) string { return yesNo(c.LatencyTracking.Load()) },
		set: boolSetting(func(c *Config, b bool) { c.LatencyTracking.Store(b) })},
	{Name: "maxmemory", Default: "0", Usage: "memory limit for data (bytes, or 100mb, 1gb...; 0 = none); over it, maxmemory-policy decides what goes", Mutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.MaxMemory.Load(), 10) },
		set: sizeSetting(func(c *Config, n int64) { c.MaxMemory.Store(n) }, 0)},
	{Name: "maxmemory-policy", Default: store.DefaultPolicy.String(), Usage: "what to evict over maxmemory: " + strings.Join(store.PolicyNames(), ", "), Mutable: true,
		get: func(c *Config) string { return store.Policy(c.MaxMemoryPolicy.Load()).String() },
		set: func(c *Config, v string) error {
			p, ok := store.ParsePolicy(strings.ToLower(v))
			if !ok {
				return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(store.PolicyNames(), ", "))
			}
			c.MaxMemoryPolicy.Store(int32(p))
			return nil
		}},
	{Name: "maxmemory-samples", Default: "5", Usage: "keys compared per eviction by the lru, lfu and ttl policies", Mutable: true,
		get: func(c *Config) string { return strconv.FormatInt(c.MaxMemorySamples.Load(), 10) },
		set: intSetting(func(c *Config, n int64) { c.MaxMemorySamples.Store(n) }, 1, 64)},
	{Name: "requirepass", Default: "", Usage: "password clients must AUTH with (empty = none)", Mutable: true,
		get: func(c *Config) string { return c.Requirepass() },
		set: func(c *Config, v string) error { c.mu.Lock(); c.requirepass = v; c.mu.Unlock(); return nil }},
	{Name: "log-format", Default: "text", Usage: "log format: text or json",
		get: func(c *Config) string { return c.LogFormat },
		set: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("must be text or json, got %q", v)
			}
			c.LogFormat = v
			return nil
		}},
	{Name: "log-level", Default: "info", Usage: "log level: debug, info, warn or error", Mutable: true,
		get: func(c *Config) string { return strings.ToLower(c.LogLevel.Level().String()) },
		set: func(c *Config, v string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("must be debug, info, warn or error, got %q", v)
			}
			c.LogLevel.Set(l)
			return nil
		}},
}

// compatSettings answer CONFIG GET for directives that clients such as
// redis-benchmark ask about; they cannot be changed.
var compatSettings = map[string]string{
	"save":       "",
	"appendonly": "no",
	"databases":  "1",
}

// FindSetting returns the setting with the given name (case-insensitive).
func FindSetting(name string) *Setting {
	name = strings.ToLower(name)
	for _, s := range Settings {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func intSetting(store func(*Config, int64), lo, hi int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("argument couldn't be parsed into an integer")
		}
		if n < lo || n > hi {
			return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
		}
		store(c, n)
		return nil
	}
}

// sizeSetting parses a memory value at least lo bytes, with Redis's
// CONFIG SET errors.
func sizeSetting(store func(*Config, int64), lo int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := ParseSize(v)
		if err != nil {
			return fmt.Errorf("argument must be a memory value")
		}
		if n < lo {
			return fmt.Errorf("argument must be between %d and %d inclusive", lo, int64(math.MaxInt64))
		}
		store(c, n)
		return nil
	}
}

// ParseSize parses a size with Redis's units: a bare number of bytes, or a
// number followed by k, kb, m, mb, g or gb (case-insensitive). As in Redis,
// k/m/g are powers of 1000 and kb/mb/gb powers of 1024.
func ParseSize(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	units := []struct {
		suffix string
		mul    int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || (n > 0 && mul > (1<<63-1)/n) {
		return 0, fmt.Errorf("argument must be a memory value, like 100mb or 1gb, got %q", v)
	}
	return n * mul, nil
}

// boolSetting parses yes or no, as Redis's boolean directives do.
func boolSetting(store func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := parseYesNo(v)
		if err == nil {
			store(c, b)
		}
		return err
	}
}

// parseYesNo parses a Redis-style boolean directive.
func parseYesNo(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fmt.Errorf("argument must be 'yes' or 'no'")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
