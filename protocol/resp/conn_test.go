package resp

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer answers each command with answers[its name], or with an
// error reply for a name it does not know; "AUTH" checks the password.
func fakeServer(t *testing.T, password string, answers map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for {
					req, err := ReadValue(r) // a command is an array of bulk strings
					if err != nil {
						return
					}
					args := req.([]any)
					name := args[0].(string)
					answer, ok := answers[name]
					switch {
					case name == "AUTH" && args[1] == password:
						answer = "+OK\r\n"
					case name == "AUTH":
						answer = "-WRONGPASS invalid password\r\n"
					case !ok:
						answer = fmt.Sprintf("-ERR unknown command '%s'\r\n", name)
					}
					conn.Write([]byte(answer))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestConn(t *testing.T) {
	info := "# Memory\r\nused_memory:1024\r\nx:y\r\n\r\n"
	addr := fakeServer(t, "s3cret", map[string]string{
		"PING":            "+PONG\r\n",
		"DBSIZE":          ":42\r\n",
		"INFO":            fmt.Sprintf("$%d\r\n%s\r\n", len(info), info),
		"CACHESRV.SHARDS": "*1\r\n*2\r\n$4\r\nkeys\r\n:3\r\n",
	})
	if _, err := Dial(addr, "wrong", time.Second); err == nil || !strings.Contains(err.Error(), "AUTH: WRONGPASS") {
		t.Errorf("wrong password: %v", err)
	}
	c, err := Dial(addr, "s3cret", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := c.Do("PING"); v != "PONG" || err != nil {
		t.Errorf("PING: %v, %v", v, err)
	}
	if v, err := c.Do("CACHESRV.SHARDS"); fmt.Sprint(v) != "[[keys 3]]" || err != nil {
		t.Errorf("CACHESRV.SHARDS: %v, %v", v, err)
	}
	if n, err := c.DBSize(); n != 42 || err != nil {
		t.Errorf("DBSize: %d, %v", n, err)
	}
	if f, err := c.Info("memory"); err != nil || InfoInt(f, "used_memory") != 1024 || f["x"] != "y" {
		t.Errorf("Info: %v, %v", f, err)
	}
	_, err = c.Do("FLUSHALL")
	var e Error
	if !errors.As(err, &e) || err.Error() != "FLUSHALL: ERR unknown command 'FLUSHALL'" {
		t.Errorf("error reply: %v", err)
	}
	// The connection is still in step: a pipeline written and read by
	// the caller.
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(AppendCommand(AppendCommand(nil, []byte("PING")), []byte("NOPE"))); err != nil {
		t.Fatal(err)
	}
	if k, _, err := Read(c.R); k != KindOK || err != nil {
		t.Errorf("pipelined PING: %v, %v", k, err)
	}
	if k, e, err := Read(c.R); k != KindError || !strings.HasPrefix(string(e), "ERR unknown") || err != nil {
		t.Errorf("pipelined NOPE: %v %q, %v", k, e, err)
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(addr, "", time.Second); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Dial to a closed port: %v", err)
	}
}
