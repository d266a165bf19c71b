// Package acl is Redis 7.0's ACL model as pure logic: users with
// passwords (kept as SHA-256 hex, as Redis keeps them), key patterns with
// read/write permissions, channel patterns and allowed commands; the
// rule language of ACL SETUSER; the rule strings ACL LIST and ACL SAVE
// print, computed as Redis 7.0 computes them; and the ACL LOG. It knows
// commands only through a Table that the server builds from its own
// command table, so it has no dependency on the protocol package.
package acl

import (
	"slices"
	"strings"
)

// Categories are Redis's ACL categories, in the order of its
// ACLCommandCategories table: ACL CAT lists them in this order, and the
// rule string ACL LIST prints tries them in this order.
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// CategoryIndex returns the index of a category name (case-insensitive)
// in Categories, or -1.
func CategoryIndex(name string) int {
	return slices.Index(Categories, strings.ToLower(name))
}

// CommandInfo describes one command or subcommand to NewTable.
type CommandInfo struct {
	Name       string   // full lower-case name: "get", "config|get"
	Categories []string // without '@'
	// NoAuth commands (AUTH, HELLO, QUIT, RESET) may always run.
	NoAuth bool
}

// Table is the commands ACL rules can name. Each command and subcommand
// has an ID, its index here; a container (CLIENT) comes before its
// subcommands.
type Table struct {
	cmds   []tableCmd
	byName map[string]int
}

type tableCmd struct {
	name   string
	cats   uint32
	noAuth bool
	parent int   // -1 for a top-level command
	subs   []int // a container's subcommands
}

// NewTable builds a Table. Subcommands ("client|id") must follow their
// container ("client"); the order is the one single-command rules are
// printed in.
func NewTable(cmds []CommandInfo) *Table {
	t := &Table{byName: make(map[string]int, len(cmds))}
	for _, c := range cmds {
		tc := tableCmd{name: c.Name, noAuth: c.NoAuth, parent: -1}
		for _, cat := range c.Categories {
			if i := CategoryIndex(cat); i >= 0 {
				tc.cats |= 1 << i
			}
		}
		id := len(t.cmds)
		if parent, _, ok := strings.Cut(c.Name, "|"); ok {
			p, found := t.byName[parent]
			if !found {
				panic("acl: subcommand " + c.Name + " before its container")
			}
			tc.parent = p
			t.cmds[p].subs = append(t.cmds[p].subs, id)
		}
		t.cmds = append(t.cmds, tc)
		t.byName[c.Name] = id
	}
	return t
}

// Lookup returns a command's ID by its full name (case-insensitive).
func (t *Table) Lookup(name string) (int, bool) {
	id, ok := t.byName[strings.ToLower(name)]
	return id, ok
}

// Name returns the full name of command id.
func (t *Table) Name(id int) string { return t.cmds[id].name }

// InCategory lists the commands of a category, as ACL CAT <category>
// does: every command and subcommand that has it.
func (t *Table) InCategory(cat int) []string {
	var out []string
	for _, c := range t.cmds {
		if c.cats&(1<<cat) != 0 {
			out = append(out, c.name)
		}
	}
	return out
}

// futureBit is the bit of a user's command set that +@all sets and no
// command has: it records that the set was built by subtracting from
// everything, which the rule string shows as "+@all ...".
func (t *Table) futureBit() int { return len(t.cmds) }

// bitset is a set of command IDs, plus the future bit.
type bitset []uint64

func newBitset(t *Table) bitset { return make(bitset, t.futureBit()/64+1) }

func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) set(i int, on bool) {
	if on {
		b[i/64] |= 1 << (i % 64)
	} else {
		b[i/64] &^= 1 << (i % 64)
	}
}
