package store

// Access is how a key has been used, for OBJECT IDLETIME and OBJECT FREQ.
// Which of the two the store knows depends on the eviction policy, as in
// Redis: the LFU policies keep a counter and no clock, every other policy
// a clock and no counter (meta.go).
type Access struct {
	Idle    int64 // seconds since the key was last used, if HasIdle
	HasIdle bool
	Freq    int // the LFU counter after decay, 0-255, if HasFreq
	HasFreq bool
}

// Access reports how key has been used, without counting as a use; false
// if it is missing.
func (t Tx) Access(key []byte) (Access, bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return Access{}, false
	}
	p := sh.memory.policy()
	var a Access
	a.Idle, a.HasIdle = idleSeconds(e, p, t.now)
	if !a.HasIdle {
		a.Freq, a.HasFreq = int(lfuDecayed(e.meta(), t.now)), true
	}
	return a, true
}

// SetAccess sets how key was last used, as RESTORE's IDLETIME and FREQ
// do in Redis: idle seconds (if idle >= 0) under a policy that keeps a
// clock, the LFU counter (if freq >= 0) under the LFU policies; the other
// one is ignored. It does not count as a use.
func (t Tx) SetAccess(key []byte, idle int64, freq int) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return
	}
	switch p := sh.memory.policy(); {
	case p == AllKeysLFU || p == VolatileLFU:
		if freq >= 0 {
			e.setMeta(lfuMinutes(t.now)<<8 | uint32(min(freq, 255)))
		}
	case idle >= 0:
		clock := lruClock(t.now - min(idle, 1<<40)*1000)
		if p == AllKeysS3FIFO {
			e.setMeta(clock&s3Mask<<s3Shift | e.meta()&(1<<s3Shift-1))
		} else {
			e.setMeta(clock)
		}
	}
}
