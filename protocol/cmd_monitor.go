package protocol

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// MONITOR streams every command the server runs to the clients that ask,
// one status line each, as Redis does:
//
//	+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
//
// Lines go through each monitor's outbox (push.go): the command that
// produced one only appends it to a buffer, and a monitor too slow to
// read is closed by client-output-buffer-limit's pubsub class, never
// waited for. While nobody monitors, the cost per command is one atomic
// load (monitorRegistry.n) in client.run.

func init() {
	register(&command{name: "monitor", arity: 1, flags: flagAdmin | flagNoScript | flagLoading | flagStale,
		acl: []string{"admin", "slow", "dangerous"}, run: cmdMonitor})
}

// monitorRegistry is the set of monitoring clients.
type monitorRegistry struct {
	n       atomic.Int32 // len(clients), read by every command
	mu      sync.RWMutex
	clients []*client
}

// cmdMonitor makes the client a monitor. As in Redis, a second MONITOR
// on the same connection is ignored without a reply.
func cmdMonitor(c *client, _ [][]byte, _ store.Tx) {
	m := &c.srv.ops.monitors
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mc := range m.clients {
		if mc == c {
			return
		}
	}
	c.outbox() // created on the client's own goroutine (push.go)
	m.clients = append(m.clients, c)
	m.n.Store(int32(len(m.clients)))
	c.WriteString("OK")
}

// remove forgets a client that goes away.
func (m *monitorRegistry) remove(c *client) {
	if m.n.Load() == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, mc := range m.clients {
		if mc == c {
			m.clients = slices.Delete(m.clients, i, i+1)
			break
		}
	}
	m.n.Store(int32(len(m.clients)))
}

// monitorScratch is a client's own: the address its MONITOR lines show
// (RemoteAddr allocates each time) and a buffer to build them in, used
// again once the line is queued.
type monitorScratch struct {
	addr string
	buf  []byte
}

// monitoring reports whether c is a monitor (CLIENT LIST's flag O).
func (m *monitorRegistry) monitoring(c *client) bool {
	if m.n.Load() == 0 {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, mc := range m.clients {
		if mc == c {
			return true
		}
	}
	return false
}

// feedsFirst reports whether cmd is shown before it runs rather than
// after: Redis shows EVAL and FCALL (flagged skip_monitor) as they start,
// ahead of the commands their script calls, and everything else once it
// has run, so that EXEC follows the commands of its transaction.
func feedsFirst(cmd *command) bool {
	return cmd.flags&flagSkipMonitor != 0 && (strings.HasPrefix(cmd.name, "eval") || strings.HasPrefix(cmd.name, "fcall"))
}

// feedMonitors sends cmd to every monitor, unless it is an administrative
// command (too dangerous to show, as in Redis) or flagged skip_monitor.
func (c *client) feedMonitors(cmd *command, args [][]byte) {
	if cmd.flags&(flagAdmin|flagSkipMonitor) != 0 && !feedsFirst(cmd) {
		return
	}
	ms := &c.monitorScratch
	if ms.addr == "" {
		ms.addr = c.net.RemoteAddr().String()
	}
	line := c.monitorLine(ms.buf[:0], cmd, args, time.Now())
	if cap(line) <= 64<<10 {
		ms.buf = line // push copies it: the buffer is the client's again
	}
	m := &c.srv.ops.monitors
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, mc := range m.clients {
		if o := mc.out.Load(); o != nil {
			o.push(line)
		}
	}
}

// monitorLine formats one MONITOR line: the time, the database and who
// ran the command ("lua" for a script's commands), then each argument
// quoted as Redis's sdscatrepr quotes it, passwords redacted.
func (c *client) monitorLine(b []byte, cmd *command, args [][]byte, now time.Time) []byte {
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	us := int64(now.Nanosecond()/1000) + 1_000_000 // six digits after the '1'
	b = strconv.AppendInt(b, us, 10)
	b[len(b)-7] = '.'
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.dbNum.Load()), 10)
	b = append(b, ' ')
	if c.runningScript() {
		b = append(b, "lua"...)
	} else {
		b = append(b, c.monitorScratch.addr...)
	}
	b = append(b, "] "...)
	red := redactedArgs(cmd, args)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if red.has(i) {
			b = append(b, `"(redacted)"`...)
			continue
		}
		b = appendRepr(b, a)
	}
	return append(b, "\r\n"...)
}

// appendRepr appends s quoted as Redis's sdscatrepr does: backslash
// escapes for the quote, backslash, \n \r \t \a \b, \xNN for other bytes
// outside printable ASCII.
func appendRepr(b, s []byte) []byte {
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\a':
			b = append(b, `\a`...)
		case '\b':
			b = append(b, `\b`...)
		default:
			if ch >= 0x20 && ch < 0x7f {
				b = append(b, ch)
			} else {
				const hex = "0123456789abcdef"
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}
