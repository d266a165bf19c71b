package config

import (
	"errors"
	"slices"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/glob"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Get answers CONFIG GET: the name and value of every setting matching
// any of the glob patterns (case-insensitive), each once, in table order,
// then the read-only directives clients ask about.
func (c *Config) Get(patterns [][]byte) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name, val string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name, val)
		}
	}
	compat := make([]string, 0, len(compatSettings))
	for name := range compatSettings {
		compat = append(compat, name)
	}
	slices.Sort(compat)
	for _, p := range patterns {
		pat := []byte(strings.ToLower(string(p)))
		for _, s := range Settings {
			if glob.Match(pat, []byte(s.Name)) {
				add(s.Name, s.Get(c))
			}
		}
		for _, name := range compat {
			if glob.Match(pat, []byte(name)) {
				add(name, compatSettings[name])
			}
		}
	}
	return out
}

// Set answers CONFIG SET: args alternate names and values, and either all
// of them are applied or none. As Redis does, it checks every name first
// (unknown, immutable, given twice), then every value on a scratch config,
// and only then applies them. Settings checked together (apply: a TLS
// certificate and its key) are checked last, on the real config; if they
// fail, every value of the command is restored through Get and Set (so a
// mutable setting's Get must round-trip through its Set). The error's
// text is Redis's reply; an ApplyError also carries the reason, for the
// log.
func (c *Config) Set(args [][]byte) error {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	var todo []*Setting
	unknown, errArg, errMsg := "", "", ""
	for i := 0; i+1 < len(args); i += 2 {
		s := FindSetting(string(args[i]))
		switch {
		case s == nil:
			if unknown == "" {
				unknown = resp.Clip(args[i], 128)
			}
		case errMsg != "":
		case !s.Mutable:
			errArg, errMsg = resp.Clip(args[i], 128), "can't set immutable config"
		case slices.Contains(todo, s):
			errArg, errMsg = resp.Clip(args[i], 128), "duplicate parameter"
		}
		todo = append(todo, s)
	}
	if unknown != "" {
		return errors.New("ERR Unknown option or number of arguments for CONFIG SET - '" + unknown + "'")
	}
	if errMsg == "" {
		scratch := New()
		for i, s := range todo {
			if err := s.Set(scratch, string(args[2*i+1])); err != nil {
				errArg, errMsg = s.Name, err.Error()
				break
			}
		}
	}
	if errMsg != "" {
		return errors.New("ERR CONFIG SET failed (possibly related to argument '" + errArg + "') - " + errMsg)
	}
	old := make([]string, len(todo))
	for i, s := range todo {
		old[i] = s.Get(c)
		s.Set(c, string(args[2*i+1]))
	}
	for _, s := range todo {
		if s.apply == nil {
			continue
		}
		if err := s.apply(c); err != nil {
			for i, s := range todo {
				s.Set(c, old[i])
			}
			for _, s := range todo {
				if s.apply != nil {
					s.apply(c)
				}
			}
			return &ApplyError{Name: s.Name, Err: err}
		}
	}
	return nil
}

// ApplyError is a CONFIG SET whose new values were refused when checked
// together. Its text is Redis's reply (which sends the reason to the log
// only); Err is that reason.
type ApplyError struct {
	Name string // the setting named in the reply
	Err  error
}

func (e *ApplyError) Error() string {
	msg := e.Err.Error()
	var tlsErr *tlsError
	if errors.As(e.Err, &tlsErr) {
		msg = "Unable to update TLS configuration. Check server logs."
	}
	return "ERR CONFIG SET failed (possibly related to argument '" + e.Name + "') - " + msg
}

func (e *ApplyError) Unwrap() error { return e.Err }
