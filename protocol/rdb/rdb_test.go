package rdb

import (
	"bytes"
	"strings"
	"testing"
)

// Payloads redis-server 7.0.15 returned for DUMP.
var redisDumps = []struct {
	payload string
	value   string
}{
	{"\x00\x05hello\n\x00cr\xdfve4 \n", "hello"},
	{"\x00\xc190\n\x00\x9d\x94\xea'\x93\xfc\b\xb9", "12345"},
	{"\x00\xc3\t@d\x01aa\xe0W\x00\x01aa\n\x00\xe8\xa3\xb5\a\xb0m\xf2q", strings.Repeat("a", 100)},
	{"\x00\xc0\xfd\n\x00\x1bqi\xe0\x85\x8c\xe0\x06", "-3"},
	{"\x00\xc2p\x11\x01\x00\n\x00\x01\xa4\b\xfe\x950\x95\xa5", "70000"},
}

func TestReadRedisDumps(t *testing.T) {
	for _, d := range redisDumps {
		typ, body, err := Open([]byte(d.payload))
		if err != nil || typ != TypeString {
			t.Fatalf("%q: type %d, %v", d.value, typ, err)
		}
		s, rest, err := ReadString(body)
		if err != nil || string(s) != d.value || len(rest) != 0 {
			t.Errorf("%q: read %q, rest %q, %v", d.value, s, rest, err)
		}
	}
}

func TestWriteLikeRedis(t *testing.T) {
	for _, d := range redisDumps {
		if len(d.value) > 20 {
			continue // Redis compresses it; we write it raw
		}
		got := Seal(AppendString([]byte{TypeString}, []byte(d.value)))
		if !bytes.Equal(got, []byte(d.payload)) {
			t.Errorf("%q: wrote %q, Redis %q", d.value, got, d.payload)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	good := []byte(redisDumps[0].payload)
	bad := bytes.Clone(good)
	bad[3] ^= 1
	if _, _, err := Open(bad); err != ErrBadPayload {
		t.Errorf("a flipped bit: %v", err)
	}
	newer := bytes.Clone(good)
	newer[len(newer)-10] = 11
	if _, _, err := Open(newer); err != ErrBadPayload {
		t.Errorf("a newer RDB version: %v", err)
	}
	if _, _, err := Open([]byte("short")); err != ErrBadPayload {
		t.Errorf("too short: %v", err)
	}
	// A forged LZF length must not allocate: the reader refuses it.
	forged := Seal(append([]byte{TypeString, 0xc3}, AppendLength(AppendLength(nil, 2), 1<<40)...))
	_, body, _ := Open(forged)
	if _, _, err := ReadString(append(body, 'x', 'y')); err == nil {
		t.Error("a forged uncompressed length was accepted")
	}
}

func TestReadRedisCollections(t *testing.T) {
	h := "\x10$$\x00\x00\x00\b\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\x81c\x02\xdf8\x02\x81d\x02\xf2\xa0\x86\x01\x04\xff\n\x00le\x9f?\x99\x8d\xa2@"
	typ, body, err := Open([]byte(h))
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := ReadHash(typ, body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pairs {
		got = append(got, string(p[0])+"="+string(p[1]))
	}
	if strings.Join(got, ",") != "a=1,b=hello,c=-200,d=100000" {
		t.Errorf("listpack hash: %v", got)
	}
	ht := "\x04\x04\x02f4\xc3\t@F\x01xx\xe09\x00\x01xx\x02f3\xc1x\xec\x02f1\x02v1\x02f2\xc0d\n\x00`\x02=\xa2\xd6R\x80\xfa"
	typ, body, _ = Open([]byte(ht))
	if pairs, err = ReadHash(typ, body); err != nil || len(pairs) != 4 || string(pairs[0][1]) != strings.Repeat("x", 70) || string(pairs[1][1]) != "-5000" {
		t.Errorf("hashtable hash: %q %v", pairs, err)
	}
	for payload, want := range map[string]string{
		"\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00\x90\xee\xfe\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\n\x00\xa8\xb6<b,\xbf,\x9c": "-70000,1,2,3",
		"\x02\x03\x01c\x01b\x01a\n\x00^\xa6~V#u\x0b\xab": "c,b,a",
	} {
		typ, body, _ := Open([]byte(payload))
		members, err := ReadSet(typ, body)
		var got []string
		for _, m := range members {
			got = append(got, string(m))
		}
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("set type %d: %v %v, want %s", typ, got, err, want)
		}
	}
}
