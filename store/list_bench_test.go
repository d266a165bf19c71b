package store

import (
	"fmt"
	"testing"
)

// Lists: push and pop at both ends, and LINDEX into a large list.
func benchList(b *testing.B, n int) (*Store, []byte) {
	s, _ := newTestStore(b, Options{})
	key := []byte("list")
	e := []byte("0123456789abcdef")
	withTx(s, key, true, func(tx Tx) {
		for range n {
			tx.ListPush(key, false, false, e)
		}
	})
	return s, key
}

func BenchmarkListPushPop(b *testing.B) {
	for _, n := range []int{10, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, key := benchList(b, n)
			e := []byte("0123456789abcdef")
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				withTx(s, key, true, func(tx Tx) {
					tx.ListPush(key, i%2 == 0, false, e)
					tx.ListPop(key, i%2 != 0, 1, func([]byte) {})
				})
			}
		})
	}
}

func BenchmarkListPush(b *testing.B) {
	s, key := benchList(b, 0)
	e := []byte("0123456789abcdef")
	b.ReportAllocs()
	for i := range b.N {
		withTx(s, key, true, func(tx Tx) { tx.ListPush(key, i%2 == 0, false, e) })
	}
}

func BenchmarkListIndex(b *testing.B) {
	for _, n := range []int{100, 1000000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, key := benchList(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				withTx(s, key, false, func(tx Tx) { tx.ListIndex(key, int64(i%n)) })
			}
		})
	}
}
