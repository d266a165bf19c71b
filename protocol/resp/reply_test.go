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
