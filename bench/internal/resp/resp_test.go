package resp

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	in := "+OK\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\nx\r\n-ERR inner\r\n-OOM full\r\n*-1\r\n_\r\n*2\r\n:1\r\n$1\r\ny\r\n,1.5\r\n"
	r := bufio.NewReader(strings.NewReader(in))
	for i, w := range []struct {
		kind Kind
		err  string
	}{{OK, ""}, {OK, ""}, {Value, ""}, {Nil, ""}, {Error, "ERR inner"}, {Error, "OOM full"}, {Nil, ""}, {Nil, ""}, {OK, ""}, {OK, ""}} {
		k, e, err := Read(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if k != w.kind || string(e) != w.err {
			t.Errorf("reply %d: kind %d %q, want %d %q", i, k, e, w.kind, w.err)
		}
	}
	for _, bad := range []string{"?\r\n", "+OK\n", "$x\r\n", "$\r\n"} {
		if _, _, err := Read(bufio.NewReader(strings.NewReader(bad))); !errors.Is(err, ErrProtocol) {
			t.Errorf("Read(%q) = %v, want ErrProtocol", bad, err)
		}
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(AppendCommand([]byte("x"), []byte("SET"), []byte("k"), []byte("")))
	if want := "x*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseInfo(t *testing.T) {
	f := ParseInfo("# Memory\r\nused_memory:1024\r\nmaxmemory_policy:allkeys-lru\r\n\r\n# Stats\r\nevicted_keys:7\r\n")
	if InfoInt(f, "used_memory") != 1024 || InfoInt(f, "evicted_keys") != 7 || f["maxmemory_policy"] != "allkeys-lru" ||
		InfoInt(f, "absent") != -1 || len(f) != 3 {
		t.Errorf("ParseInfo: %v", f)
	}
}
