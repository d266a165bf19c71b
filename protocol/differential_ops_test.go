package protocol

import (
	"fmt"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestDifferentialOps compares the operator's diagnostics with
// redis-server byte for byte where the replies do not depend on timing:
// SLOWLOG's and LATENCY's errors, help, empty states and settings. The
// entries themselves (times, durations, client ports) are checked by
// TestSlowlog, TestMonitor and TestLatencyMonitor.
func TestDifferentialOps(t *testing.T) {
	runDifferential(t, differentialOpsScript, 40)
}

// TestDifferentialOpsClient compares CLIENT REPLY / PAUSE / UNPAUSE /
// UNBLOCK, ROLE and DEBUG's safe subset against a redis-server that
// allows DEBUG (Redis refuses it unless enable-debug-command is set;
// cachesrv serves its safe subset always). DEBUG HELP's text differs
// (Redis lists every subcommand it has) and is left out.
func TestDifferentialOpsClient(t *testing.T) {
	redisAddr := servertest.RedisServer(t, "--enable-debug-command", "yes")
	ts := startServer(t)
	for _, proto := range differentialProtocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ours, theirs := dialRESPProto(t, ts.addr, proto), dialRESPProto(t, redisAddr, proto)
			ours.exchange("FLUSHALL")
			theirs.exchange("FLUSHALL")
			if n := compareScript(t, ours, theirs, differentialOpsClientScript); n < 30 {
				t.Fatalf("compared only %d commands", n)
			}
		})
	}
}

const differentialOpsClientScript = `
CLIENT PAUSE -1
CLIENT PAUSE abc
CLIENT PAUSE 10 foo
CLIENT PAUSE 10 write extra
CLIENT PAUSE
CLIENT PAUSE 0 WRITE
CLIENT UNPAUSE
CLIENT UNPAUSE x
CLIENT UNBLOCK
CLIENT UNBLOCK abc
CLIENT UNBLOCK 1 foo
CLIENT UNBLOCK 99999 timeout
CLIENT UNBLOCK 99999 ERROR
CLIENT UNBLOCK 99999
CLIENT UNBLOCK 1 2 3
CLIENT REPLY
CLIENT REPLY maybe
CLIENT REPLY ON
CLIENT REPLY ON extra
ROLE
ROLE x
DEBUG
DEBUG nosuch
DEBUG SLEEP 0
DEBUG SLEEP abc
DEBUG SLEEP
DEBUG SET-ACTIVE-EXPIRE 1
DEBUG set-active-expire
DEBUG CHANGE-REPL-ID
DEBUG QUICKLIST-PACKED-THRESHOLD 100
DEBUG QUICKLIST-PACKED-THRESHOLD 1kb
DEBUG QUICKLIST-PACKED-THRESHOLD abc
DEBUG QUICKLIST-PACKED-THRESHOLD 0
DEBUG QUICKLIST-PACKED-THRESHOLD 5gb
DEBUG OBJECT nokey
`

const differentialOpsScript = `
CONFIG GET slowlog-log-slower-than
CONFIG GET slowlog-max-len
CONFIG GET latency-monitor-threshold
CONFIG SET slowlog-log-slower-than -2
CONFIG SET slowlog-log-slower-than abc
CONFIG SET slowlog-max-len -1
CONFIG SET latency-monitor-threshold -1
SLOWLOG
SLOWLOG foo
SLOWLOG HELP
SLOWLOG help extra
SLOWLOG GET abc
SLOWLOG GET -2
SLOWLOG GET " 1"
SLOWLOG GET 99999999999999999999
SLOWLOG GET 1 2
SLOWLOG LEN x
SLOWLOG RESET x
SLOWLOG RESET
SLOWLOG GET 0
CONFIG SET slowlog-log-slower-than -1
SLOWLOG RESET
PING
SLOWLOG LEN
SLOWLOG GET
SLOWLOG GET -1
CONFIG SET slowlog-log-slower-than 10000
LATENCY
LATENCY foo
LATENCY HELP
LATENCY LATEST
LATENCY LATEST x
LATENCY HISTORY
LATENCY HISTORY nosuch
LATENCY HISTORY a b
LATENCY GRAPH
LATENCY GRAPH nosuch
LATENCY DOCTOR
LATENCY DOCTOR x
LATENCY RESET
LATENCY RESET nosuch other
LATENCY HISTOGRAM nosuch
LATENCY HISTOGRAM nosuch|sub
CONFIG SET latency-monitor-threshold 100
LATENCY DOCTOR
CONFIG SET latency-monitor-threshold 0
MONITOR extra
`
