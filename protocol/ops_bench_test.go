package protocol

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// BenchmarkMonitor measures what MONITOR costs the commands it watches:
// SET and GET at pipeline depth 16 with nobody monitoring ("off": one
// atomic load per command) and with one monitor reading everything
// ("on": a line formatted and queued per command).
func BenchmarkMonitor(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		for _, tc := range []struct {
			name  string
			cmd   func(i int) string
			reply int
		}{
			{"SET", func(i int) string { return respCommand("SET", fmt.Sprintf("key:%06d", i), strings.Repeat("v", 100)) }, 5},
			{"GET", func(i int) string { return respCommand("GET", fmt.Sprintf("key:%06d", i)) }, 107},
		} {
			b.Run(tc.name+"/P16/"+mode, func(b *testing.B) {
				const depth, keys = 16, 4096
				ts := startServer(b, func(c *config.Config) { c.Shards = 256 })
				for i := range keys {
					ts.store.Tx().Set([]byte(fmt.Sprintf("key:%06d", i)), []byte(strings.Repeat("v", 100)), 0)
				}
				if mode == "on" {
					m, err := net.Dial("tcp", ts.addr)
					if err != nil {
						b.Fatal(err)
					}
					defer m.Close()
					m.Write([]byte(respCommand("MONITOR")))
					ok := make([]byte, 5)
					if _, err := io.ReadFull(m, ok); err != nil || string(ok) != "+OK\r\n" {
						b.Fatalf("MONITOR: %q %v", ok, err)
					}
					go io.Copy(io.Discard, m)
				}
				var batches [][]byte
				for i := 0; i < keys; i += depth {
					var sb strings.Builder
					for j := range depth {
						sb.WriteString(tc.cmd(i + j))
					}
					batches = append(batches, []byte(sb.String()))
				}
				conn, err := net.Dial("tcp", ts.addr)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				replies := make([]byte, depth*tc.reply)
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; n < b.N; n += depth {
					if _, err := conn.Write(batches[(n/depth)%len(batches)]); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(conn, replies); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
