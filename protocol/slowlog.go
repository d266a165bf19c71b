package protocol

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Redis keeps at most this many arguments of a slow log entry (the last
// one kept says how many more there were) and this many bytes of each.
const (
	slowlogMaxArgc   = 32
	slowlogMaxString = 128
)

// slowlog is SLOWLOG's list of the commands that took at least
// slowlog-log-slower-than. A command appends under mu only when it is that
// slow, so with the default threshold (10 ms) the lock is all but never
// taken; with 0 (log everything) every command takes it, as every command
// in Redis goes through its one thread.
type slowlog struct {
	mu      sync.Mutex
	nextID  int64
	entries []slowEntry // oldest first
}

// slowEntry is one entry, as SLOWLOG GET shows it.
type slowEntry struct {
	id     int64
	at     int64 // Unix seconds when it was logged
	micros int64 // how long the command ran
	args   []string
	addr   string // the client's ip:port
	name   string // the client's name then
}

// push appends e and drops the oldest entries past max, as Redis does
// after every command.
func (l *slowlog) push(e slowEntry, max int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	l.trim(max)
}

// trim drops the oldest entries past max. Redis trims after each command
// only, so that a lowered slowlog-max-len shows at the next command; here
// the readers trim too (the CONFIG SET that lowered it is that command).
func (l *slowlog) trim(max int64) {
	if over := int64(len(l.entries)) - max; over > 0 {
		n := copy(l.entries, l.entries[over:])
		clear(l.entries[n:])
		l.entries = l.entries[:n]
	}
}

// newest returns up to count entries, newest first; count < 0 = all.
func (l *slowlog) newest(count, max int64) []slowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trim(max)
	n := int64(len(l.entries))
	if count >= 0 && count < n {
		n = count
	}
	out := make([]slowEntry, 0, n)
	for i := len(l.entries) - 1; int64(len(out)) < n; i-- {
		out = append(out, l.entries[i])
	}
	return out
}

func (l *slowlog) len(max int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trim(max)
	return len(l.entries)
}

func (l *slowlog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// slowEntry copies what the slow log keeps of a command: its arguments
// (they alias the read buffer), trimmed and redacted as Redis trims and
// redacts them, and who ran it.
func (c *client) slowEntry(cmd *command, args [][]byte, micros int64) slowEntry {
	argc := min(len(args), slowlogMaxArgc)
	red := redactedArgs(cmd, args)
	e := slowEntry{at: time.Now().Unix(), micros: micros, args: make([]string, argc), addr: c.net.RemoteAddr().String()}
	for i := range argc {
		switch a := args[i]; {
		case argc < len(args) && i == argc-1:
			e.args[i] = fmt.Sprintf("... (%d more arguments)", len(args)-argc+1)
		case red.has(i):
			e.args[i] = "(redacted)"
		case len(a) > slowlogMaxString:
			e.args[i] = fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxString], len(a)-slowlogMaxString)
		default:
			e.args[i] = string(a)
		}
	}
	c.mu.Lock()
	e.name = c.name
	c.mu.Unlock()
	return e
}

// redacted is a set of argument positions whose values neither the slow
// log nor MONITOR shows (passwords), as a bit per position.
type redacted uint64

func (r redacted) has(i int) bool { return i < 64 && r&(1<<i) != 0 }

// redactedArgs returns the arguments Redis 7 redacts: AUTH's password
// (and user name), HELLO's AUTH pair, and the proof a node sends with
// CACHESRV.PEER AUTH. Redis redacts while parsing, so a HELLO refused
// before its AUTH (a bad protocol version), or an AUTH with too many
// arguments, is shown whole.
func redactedArgs(cmd *command, args [][]byte) redacted {
	var r redacted
	switch cmd.fullName {
	case "auth":
		if len(args) <= 3 {
			r = 1<<len(args) - 2 // every argument but the name
		}
	case "hello":
		if v, ok := parseInt(args[min(1, len(args)-1)]); len(args) < 2 || !ok || v < 2 || v > 3 {
			return r // refused before its options are read
		}
		for j := 2; j < len(args) && j < 62; j++ {
			more := len(args) - 1 - j
			switch {
			case strings.EqualFold(string(args[j]), "auth") && more >= 2:
				r |= 1<<(j+1) | 1<<(j+2)
				j += 2
			case strings.EqualFold(string(args[j]), "setname") && more >= 1:
				j++
			default:
				return r
			}
		}
	case "cachesrv.peer|auth":
		r = 1<<len(args) - 1<<2
	}
	return r
}
