package protocol

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/pubsub"
)

// outbox carries what other goroutines send a client without its asking:
// pub/sub messages and client-side caching invalidations. A connection
// gets one at its first SUBSCRIBE or CLIENT TRACKING, with a goroutine
// (run) that writes them out while the client's own goroutine waits for
// its next command.
//
// Order is what makes client-side caching correct: an invalidation must
// never reach the client before the reply of a read that it makes stale.
// So while the client's goroutine runs a pipeline (busy), pushes wait, and
// its flush writes them after the replies; and the two goroutines take
// turns on the socket (wmu). Publishers only append to buf, under mu,
// and never wait for the socket.
type outbox struct {
	c *client

	wmu sync.Mutex // held while writing to the socket

	mu        sync.Mutex // guards the fields below
	buf       []byte     // pushes not yet written
	inflight  int        // bytes being written by run
	busy      bool       // the client's goroutine is running a pipeline
	closed    bool
	softSince time.Time // since when pending bytes are over the soft limit

	resp3 atomic.Bool // the client speaks RESP3 (set by its goroutine)
	wake  chan struct{}
	done  chan struct{}
}

// outbox returns the client's outbox, creating it (and its writer) on
// first use; the client's own goroutine calls it during a pipeline, so a
// new outbox starts busy.
func (c *client) outbox() *outbox {
	o := c.out.Load()
	if o == nil {
		o = c.newOutbox(true)
	}
	return o
}

// outboxFromAny is outbox for other goroutines (an invalidation for a
// REDIRECT client that has none yet): a new outbox starts idle.
func (c *client) outboxFromAny() *outbox {
	if o := c.out.Load(); o != nil {
		return o
	}
	return c.newOutbox(false)
}

func (c *client) newOutbox(busy bool) *outbox {
	o := &outbox{c: c, busy: busy, wake: make(chan struct{}, 1), done: make(chan struct{})}
	o.resp3.Store(c.proto.Load() == 3)
	if !c.out.CompareAndSwap(nil, o) {
		o = c.out.Load() // another goroutine made it first
		if busy {
			o.begin()
		}
		return o
	}
	go o.run()
	return o
}

// Deliver queues a published message (pubsub.Subscriber).
func (o *outbox) Deliver(m *pubsub.Message) { o.push(m.Encode(o.resp3.Load())) }

// DeliverNow writes a message the client itself published into its
// replies, ahead of PUBLISH's own reply, as Redis does.
// (CLIENT REPLY OFF does not stop it: pushWriter, cmd_connection_ops.go.)
func (o *outbox) DeliverNow(m *pubsub.Message) { o.c.pushWriter().WriteRaw(m.Encode(o.c.RESP3())) }

// push queues msg for the client, closing the connection if its pending
// pushes pass client-output-buffer-limit's pubsub class. Redis applies
// that class to subscribed clients only, and the normal one (unlimited
// by default) to others; here a client tracking keys in BCAST mode that
// never reads would otherwise grow without bound, so every client's
// pushes have the pubsub class's limits.
func (o *outbox) push(msg []byte) {
	c := o.c
	lim := c.srv.cfg.OutputBufferLimit(config.ClassPubSub)
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.buf = append(o.buf, msg...)
	pending := int64(len(o.buf) + o.inflight)
	over := lim.Hard > 0 && pending > lim.Hard
	if lim.Soft > 0 && pending > lim.Soft {
		now := time.Now()
		if o.softSince.IsZero() {
			o.softSince = now
		} else if now.Sub(o.softSince) > lim.SoftTime {
			over = true
		}
	} else {
		o.softSince = time.Time{}
	}
	if over {
		o.closed = true
		o.buf = nil
	}
	// The writer is woken by the first push that finds the buffer
	// empty; later ones join the same write.
	idle := !o.busy && len(o.buf) == len(msg)
	o.mu.Unlock()
	c.mem.pushed.Store(pending)
	if over {
		c.srv.log.Warn("client closed for overcoming of output buffer limits", "client", c.net.RemoteAddr().String(), "pending", pending)
		c.srv.stats.outputLimitClosed.Add(1)
		c.kill()
		return
	}
	if idle {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
}

// pushLinger is how long the writer waits, once woken, before writing:
// pushes that arrive meanwhile (a burst of invalidations, a stream of
// messages) go out in one write, and those to a client that starts a
// pipeline meanwhile go out with its replies, without a write of their
// own. It is the most an invalidation waits for an idle client. Measured
// with 20 tracking clients at pipeline 16 (bench/trackbench, 20% SETs),
// writing each push at once cost a system call per invalidation, 36% of
// the server's CPU time, and tracking cut throughput to 0.37x of tracking
// off; with 200 us 0.51x, with 500 us to 1 ms about 0.55-0.6x.
const pushLinger = 500 * time.Microsecond

// run writes pushes out while the client is idle.
func (o *outbox) run() {
	for {
		select {
		case <-o.done:
			return
		case <-o.wake:
		}
		time.Sleep(pushLinger)
		o.wmu.Lock()
		err := o.writeOut(false)
		o.wmu.Unlock()
		if err != nil {
			o.c.kill()
			return
		}
	}
}

// writeOut writes the pending pushes; the caller holds wmu. Unless force
// (the client's own flush), it writes nothing while the client is busy.
func (o *outbox) writeOut(force bool) error {
	o.mu.Lock()
	if (o.busy && !force) || len(o.buf) == 0 {
		o.mu.Unlock()
		return nil
	}
	b := o.buf
	o.buf = nil
	o.inflight = len(b)
	o.mu.Unlock()
	n, err := o.c.net.Write(b)
	o.c.stripe.netOut.Add(int64(n))
	o.mu.Lock()
	o.inflight = 0
	if len(o.buf) == 0 && cap(b) <= 64<<10 {
		o.buf = b[:0] // reuse the buffer
	}
	o.mu.Unlock()
	o.c.mem.pushed.Store(0)
	return err
}

// take removes and returns the pending pushes; the client's goroutine
// writes them after its replies, in the same write.
func (o *outbox) take() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buf
	o.buf = nil
	return b
}

// recycle gives a taken buffer back for reuse once it has been copied.
func (o *outbox) recycle(b []byte) {
	o.c.mem.pushed.Store(0)
	if cap(b) > 64<<10 {
		return
	}
	o.mu.Lock()
	if o.buf == nil {
		o.buf = b[:0]
	}
	o.mu.Unlock()
}

// begin marks the client busy: pushes wait for the pipeline's replies.
func (o *outbox) begin() {
	o.mu.Lock()
	o.busy = true
	o.mu.Unlock()
}

// end marks the pipeline done, so that the writer may write pushes.
func (o *outbox) end() {
	o.mu.Lock()
	o.busy = false
	wake := len(o.buf) > 0
	o.mu.Unlock()
	if wake {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
}

// close stops the writer; later pushes are dropped.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.buf = nil
	o.mu.Unlock()
	close(o.done)
}
