package acl

import (
	"sync"
	"time"
)

// LogEntry is one ACL LOG entry, with Redis 7.0's fields.
type LogEntry struct {
	Count      int
	Reason     string // "auth", "command", "key" (Redis also has "channel")
	Context    string // "toplevel" or "multi" ("lua" in Redis)
	Object     string // the command, the key, or AUTH/HELLO as the client wrote it
	Username   string
	Created    time.Time // of the last occurrence: age-seconds counts from it
	ClientInfo string    // CLIENT INFO of the offending connection
}

// logGroupWindow and logGroupDepth are Redis's: an entry like one of the
// 10 newest, less than 60 s younger, counts as that one again.
const (
	logGroupWindow = 60 * time.Second
	logGroupDepth  = 10
)

// Log is the ACL LOG: newest first, at most a given length.
type Log struct {
	mu      sync.Mutex
	entries []LogEntry
}

// Add records e, or counts it as a repeat of a recent like entry (which
// moves to the front with e's time and client), then trims the log to
// maxLen entries.
func (l *Log) Add(e LogEntry, maxLen int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Count = 1
	for i := 0; i < len(l.entries) && i < logGroupDepth; i++ {
		old := l.entries[i]
		if old.Reason == e.Reason && old.Context == e.Context && old.Object == e.Object &&
			old.Username == e.Username && e.Created.Sub(old.Created) <= logGroupWindow {
			e.Count = old.Count + 1
			l.entries = append(l.entries[:i], l.entries[i+1:]...)
			break
		}
	}
	l.entries = append([]LogEntry{e}, l.entries...)
	if maxLen >= 0 && len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
}

// Entries returns up to n of the newest entries (all for n < 0).
func (l *Log) Entries(n int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	return append([]LogEntry(nil), l.entries[:n]...)
}

// Reset empties the log.
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
