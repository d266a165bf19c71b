package resp

import (
	"bytes"
	"math"
	"testing"
)

// TestWriterProtocols: each typed write is RESP3's type after SetProto(3)
// and RESP2's equivalent otherwise, as Redis 7.0 writes them.
func TestWriterProtocols(t *testing.T) {
	for _, tc := range []struct {
		name         string
		write        func(w *Writer)
		resp2, resp3 string
	}{
		{"null", func(w *Writer) { w.WriteNull() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.WriteNullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.WriteMap(1); w.WriteBulkString("k"); w.WriteInt(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.WriteSet(1); w.WriteString("a") }, "*1\r\n+a\r\n", "~1\r\n+a\r\n"},
		{"push", func(w *Writer) { w.WritePush(1); w.WriteBulkString("m") }, "*1\r\n$1\r\nm\r\n", ">1\r\n$1\r\nm\r\n"},
		{"double", func(w *Writer) { w.WriteDouble(0.3) }, "$19\r\n0.29999999999999999\r\n", ",0.29999999999999999\r\n"},
		{"double inf", func(w *Writer) { w.WriteDouble(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double integral", func(w *Writer) { w.WriteDouble(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"bool", func(w *Writer) { w.WriteBool(true); w.WriteBool(false) }, ":1\r\n:0\r\n", "#t\r\n#f\r\n"},
		{"verbatim", func(w *Writer) { w.WriteVerbatim("txt", "a\r\nb") }, "$4\r\na\r\nb\r\n", "=8\r\ntxt:a\r\nb\r\n"},
		{"big number", func(w *Writer) { w.WriteBigNumber("-12345678901234567890") }, "$21\r\n-12345678901234567890\r\n", "(-12345678901234567890\r\n"},
		{"array and bulk stay", func(w *Writer) { w.WriteArray(1); w.WriteBulkString("x") }, "*1\r\n$1\r\nx\r\n", "*1\r\n$1\r\nx\r\n"},
	} {
		for _, proto := range []int{2, 3} {
			var out bytes.Buffer
			w := NewWriter(&out)
			w.SetProto(proto)
			if w.Proto() != proto || w.RESP3() != (proto == 3) {
				t.Fatalf("SetProto(%d): Proto %d, RESP3 %v", proto, w.Proto(), w.RESP3())
			}
			tc.write(w)
			w.Flush()
			want := tc.resp2
			if proto == 3 {
				want = tc.resp3
			}
			if out.String() != want {
				t.Errorf("%s in RESP%d = %q, want %q", tc.name, proto, out.String(), want)
			}
			// What the writer wrote, the reader reads back whole.
			if got, err := AppendReply(nil, replyReader(out.String())); err != nil || (tc.name != "bool" && string(got) != want) {
				t.Errorf("%s in RESP%d read back as %q, %v", tc.name, proto, got, err)
			}
		}
	}
	if w := NewWriter(nil); w.Proto() != 2 {
		t.Errorf("a new writer speaks RESP%d", w.Proto())
	}
}
