package protocol

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// errorStats counts error replies by their prefix (the first word: ERR,
// WRONGTYPE, NOSCRIPT...) for INFO errorstats, and in all for INFO
// stats' total_error_replies. Only error replies pay for it.
type errorStats struct {
	total  atomic.Int64
	mu     sync.Mutex
	byCode map[string]*atomic.Int64
}

// errorStatsMax is how many distinct prefixes are counted, as Redis's
// ERROR_STATS_NUMBER: past it new ones count in the total only.
const errorStatsMax = 128

// WriteError writes an error reply and counts it. It shadows the reply
// writer's WriteError for every error a client is sent, so that no
// handler has to remember to count.
func (c *client) WriteError(msg string) {
	c.srv.ops.errors.add(msg)
	c.Writer.WriteError(msg)
}

func (e *errorStats) add(msg string) {
	e.total.Add(1)
	code, _, _ := strings.Cut(msg, " ")
	e.mu.Lock()
	n := e.byCode[code]
	if n == nil && len(e.byCode) < errorStatsMax {
		if e.byCode == nil {
			e.byCode = make(map[string]*atomic.Int64)
		}
		n = new(atomic.Int64)
		e.byCode[code] = n
	}
	e.mu.Unlock()
	if n != nil {
		n.Add(1)
	}
}

func (e *errorStats) reset() {
	e.mu.Lock()
	e.byCode = nil
	e.mu.Unlock()
	e.total.Store(0)
}

// infoErrorStats is INFO's Errorstats section: errorstat_<PREFIX>:count=N
// for each prefix seen, in name order.
func infoErrorStats(s *Server, b *strings.Builder) {
	e := &s.ops.errors
	e.mu.Lock()
	codes := make([]string, 0, len(e.byCode))
	for code := range e.byCode {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", code, e.byCode[code].Load())
	}
	e.mu.Unlock()
}

// infoModules is INFO's Modules section: there are no modules.
func infoModules(*Server, *strings.Builder) {}

// replicationID is INFO replication's master_replid: 40 random hex
// digits chosen at start, as Redis's.
var replicationID = func() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()
