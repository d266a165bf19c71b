package protocol

import (
	"net"
	"net/netip"
	"time"
)

// deniedProtectedMode is Redis 7's reply, word for word, to a client
// refused by protected mode.
const deniedProtectedMode = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, " +
	"however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
	"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. " +
	"NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.MustParseAddr("::1")
)

// protectedModeRefuses reports whether protected mode keeps conn out, as
// Redis's acceptCommonHandler decides: protected-mode is on, the default
// user is nopass (no requirepass, nor a password given it by ACL), and
// the client is not at 127.0.0.1 or ::1 (exactly those, as Redis compares
// them; a connection that is not TCP is local). A server bound to all
// addresses by mistake then serves nobody but its own host until someone
// sets a password or turns protected mode off.
func (s *Server) protectedModeRefuses(conn net.Conn) bool {
	if !s.cfg.ProtectedMode.Load() {
		return false
	}
	if u := s.users.Default().Load(); u != nil && !u.NoPass() {
		return false
	}
	tcp, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, _ := netip.AddrFromSlice(tcp.IP)
	ip = ip.Unmap()
	return ip != loopback4 && ip != loopback6
}

// refuseDenied answers a client refused by protected mode and closes it,
// in its own goroutine: the accept loop must not wait on a client.
func refuseDenied(conn net.Conn) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(deniedProtectedMode)); err != nil {
		conn.Close()
		return
	}
	lingerClose(conn)
}
