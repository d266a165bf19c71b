package config

import (
	"errors"
	"strconv"
	"strings"
)

// minClientEvictionLimit is the least maxmemory-clients takes effect as:
// Redis raises a smaller limit to it, so that a bad setting cannot leave
// no client able to talk to the server.
const minClientEvictionLimit = 128 << 10

func init() {
	Settings = append(Settings,
		&Setting{Name: "maxmemory-clients", Default: "0", Mutable: true,
			Usage: "memory all clients together may hold (bytes, or a percentage of maxmemory such as 10%; 0 = no limit); past it the clients holding the most are closed",
			get: func(c *Config) string {
				v := c.MaxMemoryClients.Load()
				if v < 0 {
					return strconv.FormatInt(-v, 10) + "%"
				}
				return strconv.FormatInt(v, 10)
			},
			set: setMaxMemoryClients},
	)
}

// setMaxMemoryClients parses a memory value or a percentage of maxmemory,
// kept as its negative as Redis keeps it, with Redis's CONFIG SET errors.
func setMaxMemoryClients(c *Config, v string) error {
	if pct, ok := strings.CutSuffix(v, "%"); ok && len(v) > 1 {
		n, err := strconv.ParseInt(pct, 10, 64)
		if err != nil || strings.ContainsAny(pct[:1], "+-") {
			return errors.New("argument must be a memory or percent value")
		}
		if n > 100 {
			return errors.New("percentage argument must be less or equal to 100")
		}
		c.MaxMemoryClients.Store(-n)
		return nil
	}
	n, err := ParseSize(v)
	if err != nil {
		return errors.New("argument must be a memory or percent value")
	}
	c.MaxMemoryClients.Store(n)
	return nil
}

// ClientEvictionLimit returns how much memory all clients together may
// hold before the largest are evicted (maxmemory-clients), 0 for no
// limit. A percentage applies only while maxmemory is set, and a limit
// under 128 KiB is raised to it, as in Redis.
func (c *Config) ClientEvictionLimit() int64 {
	var lim int64
	switch v := c.MaxMemoryClients.Load(); {
	case v < 0:
		mm := c.MaxMemory.Load()
		if mm == 0 {
			return 0
		}
		lim = int64(float64(mm) * float64(-v) / 100)
	case v > 0:
		lim = v
	default:
		return 0
	}
	return max(lim, minClientEvictionLimit)
}
