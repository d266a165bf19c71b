package cluster

import "sync"

// tableHooks are the functions OnTableChanging and OnTableChange
// installed, run in the order they were added.
type tableHooks struct {
	mu     sync.Mutex
	before []func(prev, next *Table)
	after  []func(prev, next *Table)
}

// OnTableChange makes fn run after each new slot table that moves slots
// takes over (a join, a leave, a failure), with the old and new tables.
// Several functions may subscribe; each runs, in the order they were
// added, on the goroutine that rebuilt the table, and must not block:
// client-side caching uses it to tell clients to drop what they cached
// from slots whose owner changed, whose writes it would no longer see;
// hand-off uses it to start streaming the keys of slots this node lost.
func (c *Cluster) OnTableChange(fn func(prev, next *Table)) {
	c.tableHooks.mu.Lock()
	c.tableHooks.after = append(c.tableHooks.after, fn)
	c.tableHooks.mu.Unlock()
}

// OnTableChanging is OnTableChange for a function that must run before
// the new table takes over, while Table still returns prev: hand-off marks
// the slots this node gains as importing there, so that no command routed
// by the new table runs before the mark is in place.
func (c *Cluster) OnTableChanging(fn func(prev, next *Table)) {
	c.tableHooks.mu.Lock()
	c.tableHooks.before = append(c.tableHooks.before, fn)
	c.tableHooks.mu.Unlock()
}

func (h *tableHooks) get(after bool) []func(prev, next *Table) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if after {
		return h.after
	}
	return h.before
}

// changing runs the OnTableChanging hooks.
func (h *tableHooks) changing(prev, next *Table) {
	for _, fn := range h.get(false) {
		fn(prev, next)
	}
}

// changed runs the OnTableChange hooks.
func (h *tableHooks) changed(prev, next *Table) {
	for _, fn := range h.get(true) {
		fn(prev, next)
	}
}
