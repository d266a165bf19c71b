package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/glob"
)

// Perm is what a command does with a key: Redis's %R and %W.
type Perm uint8

const (
	Read Perm = 1 << iota
	Write
	ReadWrite = Read | Write
)

// KeyPattern is one ~pattern (ReadWrite), %R~pattern or %W~pattern.
type KeyPattern struct {
	Pattern string
	Perm    Perm
}

func (p KeyPattern) String() string {
	switch p.Perm {
	case Read:
		return "%R~" + p.Pattern
	case Write:
		return "%W~" + p.Pattern
	}
	return "~" + p.Pattern
}

// User is one ACL user. A published User is never changed: ACL SETUSER
// applies its rules to a copy and publishes that (Ref), so connections
// read their user without a lock.
type User struct {
	Name       string
	enabled    bool
	nopass     bool
	skipSanit  bool // skip-sanitize-payload
	sanitize   bool // sanitize-payload
	passwords  []string
	allKeys    bool
	keys       []KeyPattern
	allChans   bool
	channels   []string
	allCmds    bool // every command, without looking at cmds
	cmds       bitset
	firstArgs  map[int][]string // +select|0: first arguments allowed of an otherwise denied command
	table      *Table
	restricted bool // not allCmds && allKeys: see Unrestricted
}

// newUser returns a user as Redis creates one: off, no passwords, no
// keys, no channels (acl-pubsub-default resetchannels), no commands.
func newUser(t *Table, name string) *User {
	return &User{Name: name, table: t, cmds: newBitset(t), restricted: true}
}

// newDefaultUser returns the default user as Redis creates it: on,
// nopass, every key, channel and command.
func newDefaultUser(t *Table) *User {
	u := newUser(t, "default")
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		if err := u.apply(r); err != nil {
			panic(err)
		}
	}
	u.finish()
	return u
}

func (u *User) clone() *User {
	c := *u
	c.passwords = slices.Clone(u.passwords)
	c.keys = slices.Clone(u.keys)
	c.channels = slices.Clone(u.channels)
	c.cmds = slices.Clone(u.cmds)
	if u.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(u.firstArgs))
		for id, a := range u.firstArgs {
			c.firstArgs[id] = slices.Clone(a)
		}
	}
	return &c
}

// finish computes what the permission checks read, once per change.
func (u *User) finish() { u.restricted = !(u.allCmds && u.allKeys) }

// Enabled reports whether the user may authenticate (on).
func (u *User) Enabled() bool { return u.enabled }

// NoPass reports whether any password authenticates the user.
func (u *User) NoPass() bool { return u.nopass }

// Unrestricted reports whether the user may run every command on every
// key, so that no per-command check is needed (channels aside: cachesrv
// has no Pub/Sub).
func (u *User) Unrestricted() bool { return !u.restricted }

// HashPassword returns a password's SHA-256 in lower-case hex, the form
// Redis stores and prints (#<hash>).
func HashPassword(pass string) string {
	h := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(h[:])
}

// CheckPassword reports whether pass authenticates the user, comparing
// hashes in constant time.
func (u *User) CheckPassword(pass string) bool {
	if !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := HashPassword(pass)
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// CanRun reports whether the user may run command id; firstArg is the
// command's first argument, or nil, for +cmd|firstarg rules.
func (u *User) CanRun(id int, firstArg []byte) bool {
	if u.allCmds || u.table.cmds[id].noAuth || u.cmds.has(id) {
		return true
	}
	if firstArg != nil {
		for _, a := range u.firstArgs[id] {
			if strings.EqualFold(a, string(firstArg)) {
				return true
			}
		}
	}
	return false
}

// CanAccess reports whether the user may touch key with the access perm
// needs (0: the command neither reads nor writes the value, as EXISTS:
// any pattern that matches will do).
func (u *User) CanAccess(key []byte, need Perm) bool {
	if u.allKeys {
		return true
	}
	for _, p := range u.keys {
		if p.Perm&need == need && glob.Match([]byte(p.Pattern), key) {
			return true
		}
	}
	return false
}

// Rule errors, with the texts of Redis's ACLSetUserStringError.
var (
	errSyntax        = errors.New("Syntax error")
	errUnknownName   = errors.New("Unknown command or category name in ACL")
	errKeysAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChansAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errNoSuchPass    = errors.New("The password you are trying to remove from the user does not exist")
	errBadHash       = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errSubFirstArg   = errors.New("Allowing first-arg of a subcommand is not supported")
	errSelectors     = errors.New("Selectors are not supported by cachesrv")
)

// apply applies one ACL SETUSER rule, as Redis's ACLSetUser does.
func (u *User) apply(op string) error {
	if op == "" {
		return nil
	}
	switch strings.ToLower(op) {
	case "on":
		u.enabled = true
		return nil
	case "off":
		u.enabled = false
		return nil
	case "skip-sanitize-payload":
		u.skipSanit, u.sanitize = true, false
		return nil
	case "sanitize-payload":
		u.skipSanit, u.sanitize = false, true
		return nil
	case "nopass":
		u.nopass, u.passwords = true, nil
		return nil
	case "resetpass":
		u.nopass, u.passwords = false, nil
		return nil
	case "clearselectors":
		return nil
	case "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "-@all"} {
			u.apply(r)
		}
		return nil
	}
	switch op[0] {
	case '>', '#':
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else if !validHash(h) {
			return errBadHash
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
		return nil
	case '<', '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else if !validHash(h) {
			return errBadHash
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return errNoSuchPass
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
		return nil
	case '(':
		if op[len(op)-1] == ')' {
			return errSelectors
		}
	}
	return u.applySelector(op)
}

func validHash(h string) bool {
	return len(h) == 64 && !strings.ContainsFunc(h, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	})
}

// applySelector applies a rule about keys, channels or commands (Redis's
// ACLSetSelector).
func (u *User) applySelector(op string) error {
	switch strings.ToLower(op) {
	case "allkeys", "~*":
		u.allKeys, u.keys = true, nil
		return nil
	case "resetkeys":
		u.allKeys, u.keys = false, nil
		return nil
	case "allchannels", "&*":
		u.allChans, u.channels = true, nil
		return nil
	case "resetchannels":
		u.allChans, u.channels = false, nil
		return nil
	case "allcommands", "+@all":
		for i := range u.cmds {
			u.cmds[i] = ^uint64(0)
		}
		u.allCmds, u.firstArgs = true, nil
		return nil
	case "nocommands", "-@all":
		clear(u.cmds)
		u.allCmds, u.firstArgs = false, nil
		return nil
	}
	switch {
	case op[0] == '~' || op[0] == '%':
		return u.addKeyPattern(op)
	case op[0] == '&':
		if u.allChans {
			return errChansAfterAll
		}
		if hasSpaces(op[1:]) {
			return errSyntax
		}
		if !slices.Contains(u.channels, op[1:]) {
			u.channels = append(u.channels, op[1:])
		}
		return nil
	case len(op) > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		cat := CategoryIndex(op[2:])
		if cat < 0 {
			return errUnknownName
		}
		u.setCategory(cat, op[0] == '+')
		return nil
	case op[0] == '+':
		return u.allowCommand(op[1:])
	case op[0] == '-':
		id, ok := u.table.Lookup(op[1:])
		if !ok {
			return errUnknownName
		}
		u.changePerm(id, false)
		return nil
	}
	return errSyntax
}

func (u *User) addKeyPattern(op string) error {
	if u.allKeys {
		return errKeysAfterAll
	}
	perm, off := ReadWrite, 1
	if op[0] == '%' {
		perm = 0
		for tilde := false; !tilde; off++ {
			if off == len(op) {
				break
			}
			switch c := op[off]; {
			case (c == 'R' || c == 'r') && perm&Read == 0:
				perm |= Read
			case (c == 'W' || c == 'w') && perm&Write == 0:
				perm |= Write
			case c == '~':
				tilde = true
			default:
				return errSyntax
			}
		}
	}
	pat := op[off:]
	if hasSpaces(pat) {
		return errSyntax
	}
	if i := slices.IndexFunc(u.keys, func(k KeyPattern) bool { return k.Pattern == pat }); i >= 0 {
		u.keys[i].Perm |= perm
	} else {
		u.keys = append(u.keys, KeyPattern{pat, perm})
	}
	return nil
}

// allowCommand applies +cmd, +container|sub or +cmd|firstarg.
func (u *User) allowCommand(name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		id, ok := u.table.Lookup(name)
		if !ok {
			return errUnknownName
		}
		u.changePerm(id, true)
		return nil
	}
	id, ok := u.table.Lookup(name[:i])
	switch {
	case !ok:
		return errUnknownName
	case u.table.cmds[id].parent >= 0:
		return errSubFirstArg
	case i == len(name)-1:
		return errSyntax
	case u.table.cmds[id].subs != nil:
		sub, ok := u.table.Lookup(name)
		if !ok {
			return errUnknownName
		}
		u.changePerm(sub, true)
		return nil
	}
	arg := name[i+1:]
	if !slices.ContainsFunc(u.firstArgs[id], func(a string) bool { return strings.EqualFold(a, arg) }) {
		if u.firstArgs == nil {
			u.firstArgs = map[int][]string{}
		}
		u.firstArgs[id] = append(u.firstArgs[id], arg)
	}
	return nil
}

// changePerm allows or denies a command, and a container's subcommands
// with it (Redis's ACLChangeSelectorPerm).
func (u *User) changePerm(id int, allow bool) {
	u.setBit(id, allow)
	delete(u.firstArgs, id)
	for _, sub := range u.table.cmds[id].subs {
		u.setBit(sub, allow)
	}
}

func (u *User) setBit(id int, on bool) {
	u.cmds.set(id, on)
	if !on {
		u.allCmds = false
	}
}

// setCategory applies +@cat or -@cat to every command that has it.
func (u *User) setCategory(cat int, allow bool) {
	for id, c := range u.table.cmds {
		if c.cats&(1<<cat) != 0 {
			u.changePerm(id, allow)
		}
	}
}

func hasSpaces(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == 0 || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	})
}
