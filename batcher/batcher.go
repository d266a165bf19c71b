// Package batcher turns many small operations into fewer large ones: items
// added from any number of goroutines are handed to a flush function in
// batches, when a batch reaches its size or when its oldest item has
// waited the linger time, whichever comes first.
//
// One goroutine runs every flush, so flushes of one Batcher never overlap
// and see items in the order Add accepted them. Memory is bounded: while a
// flush runs, at most one more batch's worth of items waits, and Add
// blocks (back-pressure) until there is room.
//
// It is meant for work whose cost is per call rather than per item: one
// network write for many forwarded commands, one lock acquisition for many
// writes. Where the per-item cost dominates, the extra hand-off between
// goroutines makes batching a loss; measure before using it.
package batcher

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("batcher: closed")

// Batcher collects items of type T and flushes them in batches.
type Batcher[T any] struct {
	size   int
	linger time.Duration
	flush  func([]T)

	mu     sync.RWMutex // held for reading by Add while it sends, for writing by Close
	closed bool
	in     chan T
	done   chan struct{}
}

// New starts a batcher that calls flush with at most size items at a
// time, no later than linger after the first item of a batch arrived. A
// linger of 0 never waits: a batch is whatever has queued up by the time
// the previous flush ended, which batches under load and adds no latency
// when idle. The slice passed to flush is reused afterwards: flush must
// not keep it.
func New[T any](size int, linger time.Duration, flush func([]T)) *Batcher[T] {
	if size < 1 {
		size = 1
	}
	b := &Batcher[T]{
		size:   size,
		linger: linger,
		flush:  flush,
		in:     make(chan T, size),
		done:   make(chan struct{}),
	}
	go b.loop()
	return b
}

// Add queues an item, blocking while the batcher is a full batch behind.
// It fails with ErrClosed after Close, or with ctx's error.
func (b *Batcher[T]) Add(ctx context.Context, item T) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	select {
	case b.in <- item:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes what was added and stops the batcher; it returns when the
// last flush has finished. Calling it again does nothing.
func (b *Batcher[T]) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.in)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *Batcher[T]) loop() {
	defer close(b.done)
	batch := make([]T, 0, b.size)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	send := func() {
		if len(batch) > 0 {
			b.flush(batch)
			clear(batch)
			batch = batch[:0]
		}
		timer.Stop()
	}
	for {
		select {
		case item, ok := <-b.in:
			if !ok {
				send()
				return
			}
			batch = append(batch, item)
			if b.linger == 0 {
				b.drain(&batch)
				send()
				continue
			}
			if len(batch) == 1 {
				timer.Reset(b.linger)
			}
			if len(batch) >= b.size {
				send()
			}
		case <-timer.C:
			send()
		}
	}
}

// drain adds the items already queued, up to a full batch, without waiting.
func (b *Batcher[T]) drain(batch *[]T) {
	for len(*batch) < b.size {
		select {
		case item, ok := <-b.in:
			if !ok {
				return
			}
			*batch = append(*batch, item)
		default:
			return
		}
	}
}

// TryAdd queues an item if the batcher has room, without waiting, and
// reports whether it did: for senders that must never block (a message
// that may be dropped, published under a lock).
func (b *Batcher[T]) TryAdd(item T) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return false
	}
	select {
	case b.in <- item:
		return true
	default:
		return false
	}
}
