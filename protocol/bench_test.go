package protocol

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// BenchmarkPipeline measures the server's cost per command over a real
// loopback connection: one client sends pipelines of depth 16 (or 1) and
// reads the replies. The client reuses its buffers, so allocs/op is what
// the server allocates per command.
func BenchmarkPipeline(b *testing.B) {
	for _, tc := range []struct {
		name  string
		depth int
		cmd   func(i int) string
		reply int // bytes per reply
	}{
		{"SET/P16", 16, func(i int) string { return respCommand("SET", fmt.Sprintf("key:%06d", i), strings.Repeat("v", 100)) }, 5},
		{"GET/P16", 16, func(i int) string { return respCommand("GET", fmt.Sprintf("key:%06d", i)) }, 107},
		{"SET/P1", 1, func(i int) string { return respCommand("SET", fmt.Sprintf("key:%06d", i), strings.Repeat("v", 100)) }, 5},
		{"GET/P1", 1, func(i int) string { return respCommand("GET", fmt.Sprintf("key:%06d", i)) }, 107},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ts := startServer(b, func(c *config.Config) { c.Shards = 256 })
			const keys = 4096
			for i := range keys { // preload so GETs hit
				ts.store.Tx().Set([]byte(fmt.Sprintf("key:%06d", i)), []byte(strings.Repeat("v", 100)), 0)
			}
			var batches [][]byte
			for i := 0; i < keys; i += tc.depth {
				var sb strings.Builder
				for j := range tc.depth {
					sb.WriteString(tc.cmd(i + j))
				}
				batches = append(batches, []byte(sb.String()))
			}
			conn, err := net.Dial("tcp", ts.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			replies := make([]byte, tc.depth*tc.reply)
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += tc.depth {
				if _, err := conn.Write(batches[(n/tc.depth)%len(batches)]); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(conn, replies); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestPath measures what the server itself spends per
// request, with the network taken out: each connection is an in-memory
// net.Conn that hands the server one pipeline per read (of 1 or 16
// requests) and discards its replies, so ns/op is the connection loop's read
// bookkeeping, parsing, dispatch, the store, statistics and the reply,
// without system calls or the netpoller. "parallel" runs one such
// connection per GOMAXPROCS at once, which shows the cost of counters
// and locks that every connection shares.
func BenchmarkRequestPath(b *testing.B) {
	for _, tc := range []struct {
		name string
		cmd  func(i int) string
	}{
		{"GET", func(i int) string { return respCommand("GET", fmt.Sprintf("key:%06d", i%4096)) }},
		{"SET", func(i int) string {
			return respCommand("SET", fmt.Sprintf("key:%06d", i%4096), strings.Repeat("v", 100))
		}},
	} {
		for _, v := range []struct {
			depth    int
			parallel bool
		}{{1, false}, {1, true}, {16, false}} {
			parallel := v.parallel
			name := fmt.Sprintf("%s/P%d", tc.name, v.depth)
			if parallel {
				name += "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				ts := startServer(b, func(c *config.Config) { c.Shards = 256 })
				for i := range 4096 {
					ts.store.Tx().Set([]byte(fmt.Sprintf("key:%06d", i)), []byte(strings.Repeat("v", 100)), 0)
				}
				reqs := make([][]byte, 4096/v.depth)
				for i := range reqs {
					for j := range v.depth {
						reqs[i] = append(reqs[i], tc.cmd(i*v.depth+j)...)
					}
				}
				conns := 1
				if parallel {
					conns = runtime.GOMAXPROCS(0)
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				for k := range conns {
					fc := &memConn{reqs: reqs, left: b.N / conns / v.depth, next: k * 997}
					c := ts.srv.admit(fc)
					if c == nil {
						b.Fatal("not admitted")
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						ts.srv.serveConn(c)
					}()
				}
				wg.Wait()
			})
		}
	}
}

// memConn is an in-memory client connection for BenchmarkRequestPath:
// each Read returns the next request until left runs out, then EOF;
// writes are discarded.
type memConn struct {
	reqs [][]byte
	next int
	left int
}

func (m *memConn) Read(p []byte) (int, error) {
	if m.left == 0 {
		return 0, io.EOF
	}
	m.left--
	r := m.reqs[m.next%len(m.reqs)]
	m.next++
	return copy(p, r), nil
}

func (m *memConn) Write(p []byte) (int, error)        { return len(p), nil }
func (m *memConn) Close() error                       { return nil }
func (m *memConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6379} }
func (m *memConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000} }
func (m *memConn) SetDeadline(t time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(t time.Time) error { return nil }
