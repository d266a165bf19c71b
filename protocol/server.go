// Package protocol serves the Redis protocol (RESP2) over TCP with
// tidwall/redcon: one command table drives dispatch, arity checks, COMMAND
// and INFO; per-connection state (name, AUTH, MULTI, WATCH) lives in a
// client; every key command runs against the store under its shards' locks.
package protocol

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/store"
	"github.com/tidwall/redcon"
)

// Version is reported by INFO, HELLO and the start-up log line.
var Version = "0.1.0"

// redisVersion is the Redis version whose commands and replies we follow;
// clients read it from INFO and HELLO to decide which features to use.
const redisVersion = "7.0.0"

// Server is one cachesrv RESP endpoint.
type Server struct {
	cfg   *Config
	store *store.Store
	log   *slog.Logger

	started time.Time
	nextID  atomic.Int64

	mu      sync.Mutex
	clients map[int64]*client

	closing  atomic.Bool
	drained  chan struct{} // closed when the last client is gone after shutdown began
	listener net.Listener

	stats serverStats
}

// serverStats are the counters INFO stats reports.
type serverStats struct {
	connectionsReceived atomic.Int64
	rejectedConns       atomic.Int64
	commandsProcessed   atomic.Int64
	hits, misses        atomic.Int64
	netInput            atomic.Int64
}

// NewServer returns a server over st configured by cfg.
func NewServer(cfg *Config, st *store.Store, log *slog.Logger) *Server {
	return &Server{
		cfg:     cfg,
		store:   st,
		log:     log,
		started: time.Now(),
		clients: make(map[int64]*client),
		drained: make(chan struct{}),
	}
}

// Serve accepts clients on ln until Shutdown. It returns nil after a
// clean shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.listener = ln
	s.mu.Unlock()
	return redcon.Serve(&guardListener{Listener: ln, srv: s}, s.handle, s.accept, s.closed)
}

var errAlreadyShuttingDown = errors.New("already shutting down")

// Shutdown stops accepting clients, lets each finish the commands it has
// already sent, closes them, and returns when all are gone or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return errAlreadyShuttingDown
	}
	s.mu.Lock()
	if s.listener != nil {
		s.listener.Close()
	}
	for _, c := range s.clients {
		// Wake a client blocked in read; one in the middle of a pipeline
		// finishes it and writes its replies first (guardConn refuses the
		// next read).
		c.net.SetReadDeadline(time.Now())
	}
	empty := len(s.clients) == 0
	s.mu.Unlock()
	if empty {
		s.closeDrained()
	}
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) closeDrained() {
	select {
	case <-s.drained:
	default:
		close(s.drained)
	}
}

// guardListener wraps each accepted connection in a guardConn. After
// shutdown begins its Accept blocks until every client is gone: redcon
// closes all connections the moment Accept fails, which would cut off
// replies still being written.
type guardListener struct {
	net.Listener
	srv *Server
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		if l.srv.closing.Load() {
			<-l.srv.drained
			return nil, net.ErrClosed
		}
		return nil, err
	}
	return &guardConn{Conn: c, cfg: l.srv.cfg, closing: &l.srv.closing}, nil
}

func (s *Server) accept(conn redcon.Conn) bool {
	s.stats.connectionsReceived.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if int64(len(s.clients)) >= s.cfg.MaxClients.Load() {
		s.stats.rejectedConns.Add(1)
		conn.NetConn().Write([]byte("-ERR max number of clients reached\r\n"))
		return false
	}
	c := newClient(s, conn)
	s.clients[c.id] = c
	conn.SetContext(c)
	return true
}

func (s *Server) closed(conn redcon.Conn, err error) {
	c, _ := conn.Context().(*client)
	if c == nil {
		return
	}
	c.release()
	s.mu.Lock()
	delete(s.clients, c.id)
	last := len(s.clients) == 0
	s.mu.Unlock()
	if last && s.closing.Load() {
		s.closeDrained()
	}
}

// ClientCount returns the number of connected clients.
func (s *Server) ClientCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}
