package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// replyReader returns a reader of the replies in s.
func replyReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestAppendReply(t *testing.T) {
	all := []string{
		"+OK\r\n", "-ERR no\r\n", ":12\r\n", "$3\r\nabc\r\n", "$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"$4\r\na\r\nb\r\n", // a bulk string holding CRLF
		"*3\r\n$1\r\nx\r\n*2\r\n:1\r\n-ERR inner\r\n$-1\r\n",
		"_\r\n", ",1.5\r\n", "#t\r\n",
	}
	r := replyReader(strings.Join(all, ""))
	for _, want := range all {
		got, err := AppendReply([]byte("dst:"), r)
		if err != nil || string(got) != "dst:"+want {
			t.Errorf("AppendReply = %q, %v; want %q", got, err, "dst:"+want)
		}
	}
	if _, err := AppendReply(nil, r); err != io.EOF {
		t.Errorf("at the end: %v, want EOF", err)
	}
	for _, cut := range []string{"$3\r\nab", "*2\r\n:1\r\n"} {
		if _, err := AppendReply(nil, replyReader(cut)); !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
			t.Errorf("%q: %v, want an EOF", cut, err)
		}
	}
	for _, bad := range []string{"?\r\n", "+OK\n", "$x\r\n", "*-2\r\n"} {
		if _, err := AppendReply(nil, replyReader(bad)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%q: %v, want ErrMalformedReply", bad, err)
		}
	}
}

func TestReadValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"+OK\r\n", "string OK"},
		{"-ERR top\r\n", "resp.Error ERR top"},
		{":42\r\n", "int64 42"},
		{"$3\r\nabc\r\n", "string abc"},
		{"$-1\r\n", "<nil> <nil>"},
		{"*-1\r\n", "<nil> <nil>"},
		{"_\r\n", "<nil> <nil>"},
		{",1.5\r\n", "float64 1.5"},
		{",-inf\r\n", "float64 -Inf"},
		{"#f\r\n", "bool false"},
		{"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n", "[]interface {} [1 [x]]"},
		{"*1\r\n-ERR inner\r\n", "[]interface {} [ERR inner]"},
		{strings.Repeat("*1\r\n", maxValueDepth) + ":1\r\n", "[]interface {} [[[[[[[[1]]]]]]]]"},
	} {
		v, err := ReadValue(replyReader(tc.in))
		if got := fmt.Sprintf("%T %v", v, v); err != nil || got != tc.want {
			t.Errorf("%q: %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"$999999999999\r\n", "*99999999\r\n", strings.Repeat("*1\r\n", maxValueDepth+1) + ":1\r\n",
		"?\r\n", "+no crlf\n", ":x\r\n", ",x\r\n", "#y\r\n",
	} {
		if _, err := ReadValue(replyReader(bad)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%q: %v, want ErrMalformedReply", bad, err)
		}
	}
	if _, err := ReadValue(replyReader("$3\r\nab")); err != io.ErrUnexpectedEOF {
		t.Errorf("cut bulk string: %v", err)
	}
}

func TestRead(t *testing.T) {
	in := "+OK\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\nx\r\n-ERR inner\r\n-OOM full\r\n*-1\r\n_\r\n*2\r\n:1\r\n$1\r\ny\r\n,1.5\r\n"
	r := replyReader(in)
	for i, w := range []struct {
		kind Kind
		err  string
	}{{KindOK, ""}, {KindOK, ""}, {KindValue, ""}, {KindNil, ""}, {KindError, "ERR inner"}, {KindError, "OOM full"}, {KindNil, ""}, {KindNil, ""}, {KindOK, ""}, {KindOK, ""}} {
		k, e, err := Read(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if k != w.kind || string(e) != w.err {
			t.Errorf("reply %d: kind %d %q, want %d %q", i, k, e, w.kind, w.err)
		}
	}
	for _, bad := range []string{"?\r\n", "+OK\n", "$x\r\n", "$\r\n"} {
		if _, _, err := Read(replyReader(bad)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("Read(%q) = %v, want ErrMalformedReply", bad, err)
		}
	}
}

// TestReadAllocatesNothing: the benchmarks' load path reads replies
// without allocating.
func TestReadAllocatesNothing(t *testing.T) {
	const runs = 1000
	r := replyReader(strings.Repeat("$3\r\nabc\r\n+OK\r\n$-1\r\n-ERR x\r\n*2\r\n:1\r\n$1\r\nx\r\n", runs+1))
	allocs := testing.AllocsPerRun(runs, func() {
		for range 5 {
			if _, _, err := Read(r); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per 5 replies", allocs)
	}
}

// resp3Replies are one of each RESP3 type, nested and not, as Redis 7
// sends them (and a few it could).
var resp3Replies = []string{
	"_\r\n", ",3.14\r\n", ",inf\r\n", "#t\r\n", "#f\r\n",
	"(3492890328409238509324850943850943825024385\r\n",
	"!21\r\nSYNTAX invalid syntax\r\n",
	"=15\r\ntxt:Some string\r\n",
	"=8\r\ntxt:a\r\nb\r\n", // a verbatim string holding CRLF
	"%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n_\r\n",
	"%0\r\n", "~0\r\n",
	"~3\r\n+a\r\n:1\r\n,2.5\r\n",
	">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
	"|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n", // an attribute and the reply it describes
	"*2\r\n%1\r\n$1\r\nk\r\n~1\r\n#t\r\n-ERR x\r\n",
}

func TestAppendReplyRESP3(t *testing.T) {
	r := replyReader(strings.Join(resp3Replies, ""))
	for _, want := range resp3Replies {
		got, err := AppendReply(nil, r)
		if err != nil || string(got) != want {
			t.Errorf("AppendReply = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := AppendReply(nil, r); err != io.EOF {
		t.Errorf("at the end: %v, want EOF", err)
	}
	for _, bad := range []string{"%-1\r\n", "~-1\r\n", "=-1\r\n", "!-1\r\n", "=2\r\nab\r\n", ">x\r\n"} {
		if _, err := AppendReply(nil, replyReader(bad)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%q: %v, want ErrMalformedReply", bad, err)
		}
	}
	if _, err := AppendReply(nil, replyReader("%1\r\n+k\r\n")); err != io.EOF {
		t.Errorf("map cut after its key: %v, want EOF", err)
	}
}

func TestReadValueRESP3(t *testing.T) {
	want := []string{
		"<nil> <nil>", "float64 3.14", "float64 +Inf", "bool true", "bool false",
		"*big.Int 3492890328409238509324850943850943825024385",
		"resp.Error SYNTAX invalid syntax",
		"resp.Verbatim Some string", // its String is its text
		"resp.Verbatim a\r\nb",
		"resp.Map [first 1 second <nil>]",
		"resp.Map []", "resp.Set []",
		"resp.Set [a 1 2.5]",
		"resp.Push [message ch hi]",
		"string v",
		"[]interface {} [[k [true]] ERR x]",
	}
	r := replyReader(strings.Join(resp3Replies, ""))
	for i, w := range want {
		v, err := ReadValue(r)
		if got := fmt.Sprintf("%T %v", v, v); err != nil || got != w {
			t.Errorf("%q: %s, %v; want %s", resp3Replies[i], got, err, w)
		}
	}
	m, _ := ReadValue(replyReader("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n"))
	if v, ok := m.(Map).Get("proto"); !ok || v != int64(3) {
		t.Errorf("Map.Get(proto) = %v, %v", v, ok)
	}
	if _, ok := m.(Map).Get("nosuch"); ok {
		t.Error("Map.Get found a key that is not there")
	}
	if v, err := ReadValue(replyReader("=7\r\nmkd:abc\r\n")); err != nil || v != (Verbatim{Format: "mkd", Text: "abc"}) {
		t.Errorf("verbatim mkd: %#v, %v", v, err)
	}
	for _, bad := range []string{"(12x\r\n", "=5\r\ntxt-a\r\n", "$3\r\nabcde\r\n", "%99999999\r\n",
		strings.Repeat("~1\r\n", maxValueDepth+1) + ":1\r\n"} {
		if _, err := ReadValue(replyReader(bad)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%q: %v, want ErrMalformedReply", bad, err)
		}
	}
}

func TestReadRESP3(t *testing.T) {
	in := strings.Join(resp3Replies, "") +
		">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nx\r\n" // a push, then a reply
	r := replyReader(in)
	for i, w := range []struct {
		kind Kind
		err  string
	}{
		{KindNil, ""}, {KindOK, ""}, {KindOK, ""}, {KindOK, ""}, {KindOK, ""}, {KindOK, ""},
		{KindError, "SYNTAX invalid syntax"}, {KindValue, ""}, {KindValue, ""},
		{KindOK, ""}, {KindOK, ""}, {KindOK, ""}, {KindOK, ""},
		// The push message (out of band) is skipped: the next reply is
		// the attribute's value.
		{KindValue, ""},
		{KindError, "ERR x"},
		{KindValue, ""}, // after the invalidation push
	} {
		k, e, err := Read(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if k != w.kind || string(e) != w.err {
			t.Errorf("reply %d: kind %d %q, want %d %q", i, k, e, w.kind, w.err)
		}
	}
	if _, _, err := Read(r); err != io.EOF {
		t.Errorf("at the end: %v, want EOF", err)
	}
}

// TestReadRESP3AllocatesNothing: RESP3 replies (a verbatim string, a map,
// a push skipped, a blob error) read without allocating too.
func TestReadRESP3AllocatesNothing(t *testing.T) {
	const runs = 1000
	r := replyReader(strings.Repeat("=5\r\ntxt:a\r\n%1\r\n+k\r\n_\r\n>2\r\n+p\r\n:1\r\n!3\r\nERR\r\n", runs+1))
	allocs := testing.AllocsPerRun(runs, func() {
		for range 3 {
			if _, _, err := Read(r); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per 3 replies", allocs)
	}
}
