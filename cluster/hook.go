package cluster

import "sync/atomic"

// tableHook is the function OnTableChange installed.
type tableHook struct {
	fn atomic.Pointer[func(prev, next *Table)]
}

// OnTableChange makes fn run after each new slot table that moves slots
// takes over (a join, a leave, a failure), with the old and new tables.
// It runs on the goroutine that rebuilt the table and must not block:
// client-side caching uses it to tell clients to drop what they cached
// from slots whose owner changed, whose writes it would no longer see.
func (c *Cluster) OnTableChange(fn func(prev, next *Table)) {
	c.tableHook.fn.Store(&fn)
}

func (h *tableHook) changed(prev, next *Table) {
	if fn := h.fn.Load(); fn != nil {
		(*fn)(prev, next)
	}
}
