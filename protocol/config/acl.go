package config

import (
	"strconv"
	"sync/atomic"
)

// ACLConfig holds the ACL settings, Redis's directives of the same names.
type ACLConfig struct {
	// File is the aclfile: users are loaded from it at start and by ACL
	// LOAD, and written to it by ACL SAVE ("" = none, as in Redis).
	File string
	// LogMaxLen is acllog-max-len: the most entries ACL LOG keeps.
	LogMaxLen atomic.Int64
}

func init() {
	Settings = append(Settings,
		&Setting{Name: "aclfile", Default: "", Usage: "file of ACL users, read at start and by ACL LOAD, written by ACL SAVE (empty = none)",
			get: func(c *Config) string { return c.ACL.File },
			set: func(c *Config, v string) error { c.ACL.File = v; return nil }},
		&Setting{Name: "acllog-max-len", Default: "128", Usage: "most entries ACL LOG keeps (denied commands and failed AUTHs)", Mutable: true,
			get: func(c *Config) string { return strconv.FormatInt(c.ACL.LogMaxLen.Load(), 10) },
			set: intSetting(func(c *Config, n int64) { c.ACL.LogMaxLen.Store(n) }, 0, 1<<63-1)},
	)
}
