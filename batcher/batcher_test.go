package batcher

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// recorder is a flush function that remembers its batches.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	running atomic.Int32
	overlap atomic.Bool
	delay   time.Duration
	hold    chan struct{} // if set, each flush returns only once it is closed
}

func (r *recorder) flush(items []int) {
	if r.running.Add(1) > 1 {
		r.overlap.Store(true)
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(items))
	r.mu.Unlock()
	if r.hold != nil {
		<-r.hold
	}
	r.running.Add(-1)
}

func (r *recorder) all() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

func TestSizeTrigger(t *testing.T) {
	r := &recorder{}
	b := New(4, time.Hour, r.flush)
	for i := range 8 {
		b.Add(context.Background(), i)
	}
	waitFor(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.batches) == 2 })
	r.mu.Lock()
	if len(r.batches[0]) != 4 || len(r.batches[1]) != 4 {
		t.Fatalf("batches %v, want two of 4 (the linger is an hour)", r.batches)
	}
	r.mu.Unlock()
	b.Close()
}

func TestLingerTrigger(t *testing.T) {
	r := &recorder{}
	// Long enough that the second Add comes before it ends even on a
	// busy machine; a timer never fires early, so the lower bound holds.
	const linger = 100 * time.Millisecond
	b := New(100, linger, r.flush)
	defer b.Close()
	start := time.Now()
	b.Add(context.Background(), 1)
	b.Add(context.Background(), 2)
	waitFor(t, func() bool { return len(r.all()) == 2 })
	if waited := time.Since(start); waited < linger {
		t.Fatalf("flushed after %v, before the linger", waited)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.batches) != 1 {
		t.Fatalf("batches %v, want one", r.batches)
	}
}

func TestCloseFlushesRestAndRefusesMore(t *testing.T) {
	r := &recorder{}
	b := New(100, time.Hour, r.flush)
	for i := range 5 {
		b.Add(context.Background(), i)
	}
	b.Close()
	if got := r.all(); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("after Close: %v", got)
	}
	if err := b.Add(context.Background(), 9); err != ErrClosed {
		t.Fatalf("Add after Close: %v", err)
	}
	b.Close() // a second Close is harmless
}

func TestConcurrentProducersNoLossNoOverlap(t *testing.T) {
	r := &recorder{delay: 50 * time.Microsecond}
	b := New(16, time.Millisecond, r.flush)
	const producers, each = 8, 500
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := b.Add(context.Background(), p*each+i); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	b.Close()
	got := r.all()
	if len(got) != producers*each {
		t.Fatalf("%d items flushed, want %d", len(got), producers*each)
	}
	// Each producer's items arrive in the order it added them.
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	for _, v := range got {
		p := v / each
		if v <= last[p] {
			t.Fatalf("producer %d's items out of order", p)
		}
		last[p] = v
	}
	if r.overlap.Load() {
		t.Fatal("flushes overlapped")
	}
	for _, batch := range r.batches {
		if len(batch) > 16 {
			t.Fatalf("batch of %d, over the size", len(batch))
		}
	}
}

// TestBackPressure: with the flusher stuck, Add accepts at most about two
// batches (one being flushed, one waiting) and then blocks.
func TestBackPressure(t *testing.T) {
	release := make(chan struct{})
	var flushed atomic.Int64
	b := New(4, time.Millisecond, func(items []int) {
		<-release
		flushed.Add(int64(len(items)))
	})
	accepted := make(chan int, 100)
	go func() {
		for i := range 100 {
			if b.Add(context.Background(), i) != nil {
				return
			}
			accepted <- i
		}
	}()
	// Until the producer blocks in Add: then the batcher is as full as it
	// gets (a sleep would only make that likely).
	servertest.WaitForGoroutines(t, 1, "[select", "batcher.(*Batcher[...]).Add(")
	if n := len(accepted); n > 2*4+1 {
		t.Fatalf("%d items accepted while the flusher was stuck; memory is not bounded", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := b.Add(ctx, -1); err != context.DeadlineExceeded {
		t.Fatalf("Add with a full batcher and a deadline: %v", err)
	}
	close(release)
	waitFor(t, func() bool { return len(accepted) == 100 })
	b.Close()
	if flushed.Load() != 100 {
		t.Fatalf("flushed %d", flushed.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestZeroLingerBatchesWhatIsQueued: with linger 0 a lone item is flushed
// without waiting for more, and items queued while a flush runs go out
// together.
func TestZeroLingerBatchesWhatIsQueued(t *testing.T) {
	r := &recorder{hold: make(chan struct{})}
	b := New(64, 0, r.flush)
	b.Add(context.Background(), 0)
	// Flushed alone: nothing else was added.
	waitFor(t, func() bool { return len(r.all()) == 1 })
	for i := 1; i <= 40; i++ { // queued while the first flush is held
		b.Add(context.Background(), i)
	}
	close(r.hold)
	b.Close()
	if len(r.all()) != 41 {
		t.Fatalf("lost items")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.batches) > 10 {
		t.Fatalf("%d batches for 41 items: queued items were not batched", len(r.batches))
	}
}
