package cluster

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// slotVectors are CLUSTER KEYSLOT replies of redis-server 7.0.15 in cluster
// mode, covering the hash tag rules: first '{', first '}' after it, and an
// empty tag meaning the whole key is hashed.
var slotVectors = []struct {
	key  string
	slot int
}{
	{"foo", 12182},
	{"bar", 5061},
	{"", 0},
	{"a", 15495},
	{"123456789", 12739},
	{"{user1}.a", 8106},
	{"{user1}.b", 8106},
	{"user1", 8106},
	{"{}x", 10595},
	{"{}", 15257},
	{"x{}", 2608},
	{"{", 4092},
	{"}", 12090},
	{"}{", 12793},
	{"foo{}{bar}", 8363},    // first tag is empty: the whole key
	{"foo{{bar}}zap", 4015}, // tag is "{bar"
	{"foo{bar}{zap}", 5061}, // first tag wins: "bar"
	{"{foo", 13308},
	{"foo}", 15679},
	{"a{b}c", 3300},
	{"{a}{b}", 15495}, // "a"
	{"{{}}", 4092},    // tag is "{"
	{"{ab}", 13567},
	{"ab", 13567},
	{"hello world", 15332},
	{"key:000000", 1364},
	{"key:9999", 2633},
	{"{user1000}.following", 3443},
	{"{user1000}.followers", 3443},
	{"çé", 14256},
	{"x{yz", 595},
	{"{abc}}", 7638},
	{"{}{abc}", 7878},
	{"somekey", 11058},
	{"Hello", 3030},
	{"user:1000", 1649},
	{"{u}", 11826},
	{"u", 11826},
	{"\x00\xff\x10{\x01}", 4129},
	{"\xff\xfe\xfd\xfc", 14590},
	{strings.Repeat("k", 1000), 15858},
}

func TestSlotVectors(t *testing.T) {
	for _, v := range slotVectors {
		if got := Slot(v.key); got != v.slot {
			t.Errorf("Slot(%q) = %d, want %d", v.key, got, v.slot)
		}
		if got := Slot([]byte(v.key)); got != v.slot {
			t.Errorf("Slot([]byte(%q)) = %d, want %d", v.key, got, v.slot)
		}
	}
}

func TestCRC16(t *testing.T) {
	// The check value of CRC-16/XMODEM, and the one Redis's crc16.c cites.
	if got := crc16("123456789"); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#04x, want 0x31C3", got)
	}
	if got := crc16(""); got != 0 {
		t.Fatalf("crc16(\"\") = %#04x, want 0", got)
	}
}

func TestSlotNamedTypes(t *testing.T) {
	type key string
	type raw []byte
	if Slot(key("foo")) != 12182 || Slot(raw("foo")) != 12182 {
		t.Fatal("named string and []byte types must hash like their underlying types")
	}
}

// TestSlotMatchesRedisServer compares Slot with CLUSTER KEYSLOT of a real
// redis-server in cluster mode (on 127.0.0.1) over random keys rich in
// braces. Skipped without redis-server unless CACHESRV_REQUIRE_REDIS_TOOLS=1.
func TestSlotMatchesRedisServer(t *testing.T) {
	conn, err := net.Dial("tcp", servertest.RedisServer(t, "--cluster-enabled", "yes"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "{}{}ab\x00\xff"
	keys := make([]string, 2000)
	for i := range keys {
		b := make([]byte, rng.IntN(12))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		keys[i] = string(b)
	}
	w := bufio.NewWriter(conn)
	for _, k := range keys {
		fmt.Fprintf(w, "*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$%d\r\n%s\r\n", len(k), k)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	for _, k := range keys {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		want, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, ":"), "\r\n"))
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %q: reply %q", k, line)
		}
		if got := Slot(k); got != want {
			t.Errorf("Slot(%q) = %d, redis-server says %d", k, got, want)
		}
	}
}

func BenchmarkSlot(b *testing.B) {
	key := []byte("user:{12345}:profile")
	for b.Loop() {
		Slot(key)
	}
}
