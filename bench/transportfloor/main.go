// Command transportfloor is a minimal Redis-protocol server with two
// interchangeable transports, to measure what the transport model alone
// costs per request, apart from everything cachesrv does for a command:
//
//   - goroutine: one goroutine per connection on Go's net package (its
//     netpoller), read all that arrived, run it, one write: cachesrv's
//     model.
//   - gnet: github.com/panjf2000/gnet/v2's event loops (one per core,
//     epoll, no goroutine per connection), the model of Redis and of
//     tidwall/evio.
//
// Both parse with redcon's parser and share one store (256 mutex-guarded
// maps); they answer PING, GET, SET and, for redis-benchmark's start-up,
// CONFIG GET with an empty array, and FLUSHALL. Nothing else: it is a floor, not a
// server. Run it behind bench/rbcompare:
//
//	(cd bench/transportfloor && go build -o /tmp/floor .)
//	go run ./bench/rbcompare -tests get,set \
//	  -also 'floor-goroutine=/tmp/floor -transport goroutine -port {port}' \
//	  -also 'floor-gnet=/tmp/floor -transport gnet -port {port}'
//
// It is its own module so that gnet stays out of cachesrv's go.mod.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"github.com/tidwall/redcon"
)

func main() {
	transport := flag.String("transport", "goroutine", "goroutine or gnet")
	port := flag.Int("port", 6399, "port on 127.0.0.1")
	flag.Parse()
	addr := fmt.Sprintf("127.0.0.1:%d", *port)
	var err error
	switch *transport {
	case "goroutine":
		err = serveGoroutines(addr)
	case "gnet":
		err = gnet.Run(&gnetServer{}, "tcp://"+addr, gnet.WithMulticore(true), gnet.WithNumEventLoop(runtime.GOMAXPROCS(0)))
	default:
		err = fmt.Errorf("unknown transport %q", *transport)
	}
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// store is the same for both transports: 256 maps, each behind a mutex.
type shard struct {
	mu sync.RWMutex
	m  map[string][]byte
}

var shards = func() []*shard {
	s := make([]*shard, 256)
	for i := range s {
		s[i] = &shard{m: map[string][]byte{}}
	}
	return s
}()

func shardOf(key []byte) *shard {
	h := uint32(2166136261)
	for _, b := range key {
		h = (h ^ uint32(b)) * 16777619
	}
	return shards[h&255]
}

// execute appends the reply to one command to out.
func execute(out []byte, args [][]byte) []byte {
	switch {
	case len(args) == 0:
		return out
	case eq(args[0], "ping"):
		return redcon.AppendString(out, "PONG")
	case eq(args[0], "get") && len(args) == 2:
		s := shardOf(args[1])
		s.mu.RLock()
		v, ok := s.m[string(args[1])]
		if ok {
			out = redcon.AppendBulk(out, v)
		} else {
			out = redcon.AppendNull(out)
		}
		s.mu.RUnlock()
		return out
	case eq(args[0], "set") && len(args) >= 3:
		s := shardOf(args[1])
		v := bytes.Clone(args[2])
		s.mu.Lock()
		s.m[string(args[1])] = v
		s.mu.Unlock()
		return redcon.AppendOK(out)
	case eq(args[0], "config"):
		return redcon.AppendArray(out, 0)
	case eq(args[0], "flushall"):
		for _, s := range shards {
			s.mu.Lock()
			clear(s.m)
			s.mu.Unlock()
		}
		return redcon.AppendOK(out)
	}
	return redcon.AppendError(out, "ERR unknown command '"+strconv.Quote(string(args[0]))+"'")
}

func eq(b []byte, lower string) bool {
	return len(b) == len(lower) && string(bytes.ToLower(b)) == lower
}

// runAll runs every complete command in in, appending replies to out; it
// returns the replies and how many bytes of in it consumed.
func runAll(in, out []byte, argsBuf [][]byte) ([]byte, int, error) {
	used := 0
	for {
		complete, args, _, left, err := redcon.ReadNextCommand(in[used:], argsBuf[:0])
		if err != nil {
			return out, used, err
		}
		if !complete {
			return out, used, nil
		}
		out = execute(out, args)
		used = len(in) - len(left)
	}
}

func serveGoroutines(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer conn.Close()
			buf := make([]byte, 0, 64<<10)
			out := make([]byte, 0, 64<<10)
			args := make([][]byte, 0, 8)
			for {
				if len(buf) == cap(buf) {
					buf = append(buf, 0)[:len(buf)]
				}
				n, err := conn.Read(buf[len(buf):cap(buf)])
				if err != nil {
					return
				}
				buf = buf[:len(buf)+n]
				var used int
				out, used, err = runAll(buf, out[:0], args)
				if err != nil {
					return
				}
				buf = buf[:copy(buf, buf[used:])]
				if len(out) > 0 {
					if _, err := conn.Write(out); err != nil {
						return
					}
				}
			}
		}()
	}
}

type gnetServer struct {
	gnet.BuiltinEventEngine
}

// connState is a gnet connection's reply buffer and argument scratch.
type connState struct {
	out  []byte
	args [][]byte
}

func (s *gnetServer) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&connState{out: make([]byte, 0, 4096), args: make([][]byte, 0, 8)})
	return nil, gnet.None
}

func (s *gnetServer) OnTraffic(c gnet.Conn) gnet.Action {
	st := c.Context().(*connState)
	in, _ := c.Peek(-1)
	out, used, err := runAll(in, st.out[:0], st.args)
	if err != nil {
		return gnet.Close
	}
	c.Discard(used)
	if len(out) > 0 {
		c.Write(out)
	}
	st.out = out[:0]
	return gnet.None
}
