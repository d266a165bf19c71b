package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File is a configuration file in redis.conf's syntax: one directive per
// line, a setting's name and its value (`maxmemory 100mb`,
// `client-output-buffer-limit normal 0 0 0`), `#` comments, values quoted
// as Redis quotes them, and `include other.conf`. Directives are the
// flags' names, Redis's. The file is applied over the defaults, and the
// environment and flags over it. CONFIG REWRITE writes the settings back
// into it, keeping its comments and layout.
type File struct {
	Path  string
	lines []string // the file as read; REWRITE edits these
}

// maxIncludeDepth bounds include chains (a file including itself).
const maxIncludeDepth = 16

// LoadFile applies the configuration file at path to c and remembers it
// for CONFIG REWRITE.
func (c *Config) LoadFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return err
	}
	if err := c.applyFile(abs, data, 0); err != nil {
		return err
	}
	c.File = &File{Path: abs, lines: strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")}
	return nil
}

func (c *Config) applyFile(path string, data []byte, depth int) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(msg string) error {
			return fmt.Errorf("config file %s, line %d: >>> '%s': %s", path, n, line, msg)
		}
		args, err := SplitArgs(line)
		if err != nil {
			return fail(err.Error())
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		if name == "include" {
			if len(args) != 2 {
				return fail("Bad directive or wrong number of arguments")
			}
			if depth >= maxIncludeDepth {
				return fail("too many nested includes")
			}
			inc := args[1]
			if !filepath.IsAbs(inc) {
				inc = filepath.Join(filepath.Dir(path), inc)
			}
			data, err := os.ReadFile(inc)
			if err != nil {
				return fail(err.Error())
			}
			if err := c.applyFile(inc, data, depth+1); err != nil {
				return err
			}
			continue
		}
		s := FindSetting(name)
		if s == nil || len(args) < 2 {
			return fail("Bad directive or wrong number of arguments")
		}
		if err := s.Set(c, strings.Join(args[1:], " ")); err != nil {
			return fail(err.Error())
		}
	}
	return sc.Err()
}

// SplitArgs splits a line into arguments as Redis's sdssplitargs does:
// spaces separate them; "double quotes" take \n \r \t \b \a \\ \" and
// \xHH escapes; 'single quotes' take \'; a closing quote must end the
// argument.
func SplitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var cur strings.Builder
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, errors.New("unbalanced quotes in configuration line")
				}
				ch := line[i]
				if ch == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]) {
					v, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur.WriteByte(byte(v))
					i += 4
					continue
				}
				if ch == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'b':
						cur.WriteByte('\b')
					case 'a':
						cur.WriteByte('\a')
					default:
						cur.WriteByte(line[i])
					}
					i++
					continue
				}
				if ch == '"' {
					i++
					if i < len(line) && line[i] != ' ' && line[i] != '\t' {
						return nil, errors.New("unbalanced quotes in configuration line")
					}
					break
				}
				cur.WriteByte(ch)
				i++
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, errors.New("unbalanced quotes in configuration line")
				}
				if line[i] == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					cur.WriteByte('\'')
					i += 2
					continue
				}
				if line[i] == '\'' {
					i++
					if i < len(line) && line[i] != ' ' && line[i] != '\t' {
						return nil, errors.New("unbalanced quotes in configuration line")
					}
					break
				}
				cur.WriteByte(line[i])
				i++
			}
		default:
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				cur.WriteByte(line[i])
				i++
			}
		}
		args = append(args, cur.String())
	}
}

func isHex(b byte) bool {
	return ('0' <= b && b <= '9') || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F')
}

// quoteArg quotes a value for the file if it needs it.
func quoteArg(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"'\\#\r\n") {
		return v
	}
	return strconv.Quote(v) // Go's escapes are a subset SplitArgs reads
}

// Rewrite writes c's mutable settings back into its file, as CONFIG
// REWRITE: a setting the file names is rewritten in place (its first
// line; later repeats are dropped), one it does not name is appended if
// its value differs from the default, and everything else (comments,
// blank lines, includes, other directives) stays as it was. The file is
// replaced atomically.
func (c *Config) Rewrite() error {
	f := c.File
	if f == nil {
		return errors.New("The server is running without a config file")
	}
	c.setMu.Lock() // the values of one moment, not half a CONFIG SET
	defer c.setMu.Unlock()
	done := map[string]bool{}
	var out []string
	for _, line := range f.lines {
		args, err := SplitArgs(strings.TrimSpace(line))
		if err != nil || len(args) == 0 || strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, line)
			continue
		}
		s := FindSetting(strings.ToLower(args[0]))
		if s == nil || !s.Mutable {
			out = append(out, line)
			continue
		}
		if done[s.Name] {
			continue // a repeat: the first line now holds the value
		}
		done[s.Name] = true
		out = append(out, s.Name+" "+quoteArg(s.Get(c)))
	}
	header := false
	for _, s := range Settings {
		if !s.Mutable || done[s.Name] || s.Get(c) == s.Default {
			continue
		}
		if !header {
			out = append(out, "", "# Generated by CONFIG REWRITE")
			header = true
		}
		out = append(out, s.Name+" "+quoteArg(s.Get(c)))
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		os.Remove(tmp)
		return err
	}
	f.lines = out
	return nil
}
