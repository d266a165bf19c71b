package protocol

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

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
