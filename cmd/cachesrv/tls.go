package main

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// listenTLS opens the tls-port listener, on the bind address and network
// of the plain port, or returns nil without tls-port. It loads the
// certificate, key and CAs first, so that a bad file stops the start with
// an error naming its setting. The listener asks the configuration at
// every handshake (config.TLSConfig.ServerConfig): CONFIG SET of the files
// reaches new clients without a restart. Handshakes run on the client's
// first read, in its own goroutine, so a slow or plain-TCP client holds
// up no one else and only loses its own connection; the failure is
// logged, as Redis logs it, since the client often cannot say why.
func listenTLS(cfg *config.Config, log *slog.Logger) (net.Listener, error) {
	if !cfg.TLS.Enabled() {
		if cfg.TLS.Cluster() {
			// Not silently in clear text what was asked to be encrypted.
			return nil, errors.New("tls-cluster yes needs tls-port: peer links dial each node's TLS port")
		}
		return nil, nil
	}
	if err := cfg.TLS.Load(); err != nil {
		return nil, err
	}
	if tlsOnly(cfg) && cfg.Cluster.Enabled && !cfg.TLS.Cluster() {
		return nil, errors.New("port 0 (TLS only) with cluster: peers reach a node's RESP port in clear text; keep a plain port for them, or set tls-cluster yes")
	}
	ln, err := net.Listen(cfg.ListenNetwork(), net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.TLS.Port)))
	if err != nil {
		return nil, err
	}
	return &tlsListener{Listener: ln, conf: cfg.TLS.ServerConfig(), log: log}, nil
}

// tlsListener is tls.NewListener's, with connections that log a failed
// handshake.
type tlsListener struct {
	net.Listener
	conf *tls.Config
	log  *slog.Logger
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsConn{Conn: tls.Server(c, l.conf), log: l.log}, nil
}

// tlsConn completes the handshake on the first read and logs why it
// failed, unless the client just went away or the server is closing it.
type tlsConn struct {
	*tls.Conn
	log       *slog.Logger
	handshook bool // only the connection's one reader touches it
}

func (c *tlsConn) Read(b []byte) (int, error) {
	if !c.handshook {
		c.handshook = true
		if err := c.Handshake(); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, net.ErrClosed) {
				c.log.Warn("TLS handshake failed", "client", c.RemoteAddr().String(), "err", err)
			}
			return 0, err
		}
	}
	return c.Conn.Read(b)
}

// tlsOnly reports whether the plain port is off: --port 0 with --tls-port,
// as in Redis, where port 0 means no plain TCP listener. (Without
// --tls-port, port 0 keeps its meaning here: any free port.)
func tlsOnly(cfg *config.Config) bool { return cfg.Port == 0 && cfg.TLS.Enabled() }
