package resp

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/redcon"
)

type fixedLimits struct{ bulk, query int64 }

func (l fixedLimits) ProtoMaxBulkLen() int64        { return l.bulk }
func (l fixedLimits) ClientQueryBufferLimit() int64 { return l.query }

var defaultLimits = fixedLimits{512 << 20, 1 << 30}

// trickle hands out its bytes n at a time, as a slow client's socket does.
type trickle struct {
	b []byte
	n int
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), t.n, len(t.b))
	copy(p, t.b[:n])
	t.b = t.b[n:]
	return n, nil
}

func command(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	return b
}

// A command sent a little at a time costs work linear in its length: the
// parse state of the incomplete command is kept between reads (finding 5:
// an EXISTS of 600k arguments in 1,400-byte pieces was re-parsed from its
// start on every read).
func TestSlowCommandIsParsedOnce(t *testing.T) {
	args := make([]string, 1+200_000)
	args[0] = "EXISTS"
	for i := range args[1:] {
		args[i+1] = "key:" + strconv.Itoa(i)
	}
	in := command(args...)
	r := NewReader(&trickle{b: in, n: 1400}, defaultLimits)
	cmds, err := r.ReadPipeline()
	if err != nil || len(cmds) != 1 || len(cmds[0]) != len(args) {
		t.Fatalf("got %d commands, err %v", len(cmds), err)
	}
	for i, a := range cmds[0] {
		if string(a) != args[i] {
			t.Fatalf("argument %d = %q, want %q", i, a, args[i])
		}
	}
	if r.scanned > 2*len(in) {
		t.Fatalf("parsed %d bytes for a command of %d", r.scanned, len(in))
	}
}

// The buffer grows with the bytes that arrived, never to a length a
// header announces (finding 1).
func TestBufferGrowsWithArrivedBytes(t *testing.T) {
	in := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n" + strings.Repeat("v", 100_000))
	r := NewReader(bytes.NewReader(in), defaultLimits)
	if _, err := r.ReadPipeline(); err != io.EOF {
		t.Fatalf("err %v, want EOF after the incomplete command", err)
	}
	if r.Size() > 2*len(in) {
		t.Fatalf("buffer of %d bytes after %d arrived", r.Size(), len(in))
	}
}

// Unauthenticated, the reader applies Redis's limits and hands over one
// command at a time, so that AUTH runs before the next is framed.
func TestUnauthenticatedReader(t *testing.T) {
	in := append(command("AUTH", "pw"), command("GET", strings.Repeat("k", 20_000))...)
	r := NewReader(bytes.NewReader(in), defaultLimits)
	r.Unauthenticated = true
	cmds, err := r.ReadPipeline()
	if err != nil || len(cmds) != 1 || string(cmds[0][0]) != "AUTH" {
		t.Fatalf("first read: %q, %v", cmds, err)
	}
	if _, err := r.ReadPipeline(); err != ProtocolError("unauthenticated bulk length") {
		t.Fatalf("err %v, want the unauthenticated bulk length error", err)
	}
	r = NewReader(bytes.NewReader(in), defaultLimits)
	r.Unauthenticated = true
	r.ReadPipeline()
	r.Unauthenticated = false // AUTH succeeded
	if cmds, err := r.ReadPipeline(); err != nil || len(cmds) != 1 || len(cmds[0][1]) != 20_000 {
		t.Fatalf("after AUTH: %d commands, %v", len(cmds), err)
	}
}

// Commands that arrive split anywhere, even one byte at a time, come out
// whole and the same.
func TestPipelineSplitAnywhere(t *testing.T) {
	var in []byte
	var want []string
	for i := range 50 {
		in = append(in, command("SET", "k"+strconv.Itoa(i), strings.Repeat("v", i*37))...)
		want = append(want, "SET k"+strconv.Itoa(i)+" "+strings.Repeat("v", i*37))
		in = append(in, "PING inline\r\n"...)
		want = append(want, "PING inline")
	}
	for _, step := range []int{1, 2, 7, 1400, len(in)} {
		r := NewReader(&trickle{b: bytes.Clone(in), n: step}, defaultLimits)
		var got []string
		for {
			cmds, err := r.ReadPipeline()
			for _, c := range cmds {
				got = append(got, string(bytes.Join(c, []byte(" "))))
			}
			if err != nil {
				break
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("step %d: %d commands, want %d", step, len(got), len(want))
		}
	}
}

// An inline command without quotes is split in place; it must give the
// same arguments as redcon's parser, which still handles quoted ones.
func TestInlineWithoutQuotesMatchesRedcon(t *testing.T) {
	for _, line := range []string{
		"PING\r\n", "PING\n", "SET k v\r\n", "  SET   k  v  \r\n", "GET\tk\r\n",
		"SET k v\rx\r\n", "ECHO a\\nb\r\n", "MSET a 1 b 2 c 3\n",
	} {
		want, err := redcon.Parse([]byte(line))
		if err != nil {
			t.Fatalf("%q: redcon: %v", line, err)
		}
		rd := NewReader(strings.NewReader(line), defaultLimits)
		cmds, err := rd.ReadPipeline()
		if err != nil && err != io.EOF {
			t.Fatalf("%q: %v", line, err)
		}
		if len(cmds) != 1 {
			t.Fatalf("%q: %d commands", line, len(cmds))
		}
		if len(cmds[0]) != len(want.Args) {
			t.Fatalf("%q: %q, redcon %q", line, cmds[0], want.Args)
		}
		for i := range want.Args {
			if string(cmds[0][i]) != string(want.Args[i]) {
				t.Fatalf("%q: %q, redcon %q", line, cmds[0], want.Args)
			}
		}
	}
}
