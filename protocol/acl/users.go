package acl

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Ref is a user as connections hold it: ACL SETUSER publishes a new User
// behind the same Ref, so a connection authenticated as a user follows
// its changes, as in Redis.
type Ref struct {
	name string
	cur  atomic.Pointer[User]
}

// Name returns the user's name.
func (r *Ref) Name() string { return r.name }

// Load returns the user's current rules.
func (r *Ref) Load() *User { return r.cur.Load() }

// Users is the server's set of users, the default user always among
// them.
type Users struct {
	table *Table
	mu    sync.Mutex // serializes changes; readers use the Refs
	users map[string]*Ref
	def   *Ref
}

// NewUsers returns a set holding only the default user, as Redis starts.
func NewUsers(t *Table) *Users {
	us := &Users{table: t, users: map[string]*Ref{}}
	us.def = &Ref{name: "default"}
	us.def.cur.Store(newDefaultUser(t))
	us.users["default"] = us.def
	return us
}

// Table returns the command table the users' rules refer to.
func (us *Users) Table() *Table { return us.table }

// Default returns the default user, which new connections start as.
func (us *Users) Default() *Ref { return us.def }

// Get returns a user by name (case-sensitive, as in Redis), or nil.
func (us *Users) Get(name string) *Ref {
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.users[name]
}

// Names returns the user names in order (ACL USERS).
func (us *Users) Names() []string {
	us.mu.Lock()
	defer us.mu.Unlock()
	names := make([]string, 0, len(us.users))
	for n := range us.users {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// List returns every user's line, in name order, as ACL LIST prints them
// and the aclfile holds them.
func (us *Users) List() []string {
	var out []string
	for _, n := range us.Names() {
		if r := us.Get(n); r != nil {
			out = append(out, "user "+n+" "+r.Load().Describe())
		}
	}
	return out
}

// SetUserError is a rule ACL SETUSER could not apply.
type SetUserError struct {
	Rule string
	Err  error
}

func (e *SetUserError) Error() string {
	return fmt.Sprintf("Error in ACL SETUSER modifier '%s': %s", e.Rule, e.Err)
}

// ErrBadUsername refuses a user name with spaces or NUL bytes.
var ErrBadUsername = errors.New("Usernames can't contain spaces or null characters")

// SetUser applies rules to the named user, creating it if needed. Either
// every rule applies or none does, and the user is not created.
func (us *Users) SetUser(name string, rules []string) error {
	if hasSpaces(name) {
		return ErrBadUsername
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	ref := us.users[name]
	var u *User
	if ref != nil {
		u = ref.Load().clone()
	} else {
		u = newUser(us.table, name)
	}
	for _, r := range rules {
		if err := u.apply(r); err != nil {
			return &SetUserError{r, err}
		}
	}
	u.finish()
	if ref == nil {
		ref = &Ref{name: name}
		us.users[name] = ref
	}
	ref.cur.Store(u)
	return nil
}

// Delete removes the named users but default, returning those removed:
// their connections must be closed.
func (us *Users) Delete(names []string) []*Ref {
	us.mu.Lock()
	defer us.mu.Unlock()
	var gone []*Ref
	for _, n := range names {
		if r := us.users[n]; r != nil && r != us.def {
			delete(us.users, n)
			gone = append(gone, r)
		}
	}
	return gone
}

// Exists reports whether ref is still one of the users: a connection
// whose user was deleted, or replaced by ACL LOAD, must go.
func (us *Users) Exists(ref *Ref) bool {
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.users[ref.name] == ref
}

// SetDefaultPassword makes pass the default user's only password, or,
// with pass "", makes it nopass: what CONFIG SET requirepass does.
func (us *Users) SetDefaultPassword(pass string) {
	rules := []string{"resetpass", ">" + pass}
	if pass == "" {
		rules = []string{"resetpass", "nopass"}
	}
	if err := us.SetUser("default", rules); err != nil {
		panic(err)
	}
}

// Authenticate returns the user that name and pass authenticate, or nil.
func (us *Users) Authenticate(name, pass string) *Ref {
	r := us.Get(name)
	if r == nil || !r.Load().CheckPassword(pass) {
		return nil
	}
	return r
}

// LoadFile replaces every user with the file's, in Redis's aclfile format:
// one "user <name> <rule> ..." per line. The file is checked whole
// first; on any error nothing changes, and the error lists every bad
// line as Redis's does. Without a default user in the file, default is
// created as at start. Users that were not replaced by the same Ref are
// gone: their connections must be closed (Exists reports false).
func (us *Users) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*os.PathError); ok {
			msg = pe.Err.Error() // strerror's text, capitalized below as C's is
		}
		return fmt.Errorf("Error loading ACLs, opening file '%s': %s", path, strings.ToUpper(msg[:1])+msg[1:])
	}
	loaded := map[string]*User{}
	var errs strings.Builder
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		var args []string
		for _, a := range strings.Split(line, " ") {
			if a != "" {
				args = append(args, a)
			}
		}
		linenum := n + 1
		if args[0] != "user" || len(args) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, linenum)
			continue
		}
		if hasSpaces(args[1]) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", path, linenum, args[1])
			continue
		}
		u := newUser(us.table, args[1])
		bad := false
		for _, r := range args[2:] {
			if err := u.apply(strings.Trim(r, "\t\r\n")); err != nil {
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, linenum, r, err)
				bad = true
				break
			}
		}
		if bad {
			continue
		}
		if loaded[args[1]] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", args[1], linenum)
			continue
		}
		u.finish()
		loaded[args[1]] = u
	}
	if errs.Len() > 0 {
		return errors.New(errs.String() + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	def := loaded["default"]
	if def == nil {
		def = newDefaultUser(us.table)
	}
	us.users = map[string]*Ref{"default": us.def}
	us.def.cur.Store(def)
	for name, u := range loaded {
		if name != "default" {
			r := &Ref{name: name}
			r.cur.Store(u)
			us.users[name] = r
		}
	}
	return nil
}

// SaveFile writes every user to path in the aclfile format, through a
// temporary file renamed over it, so that a crash leaves the old file.
func (us *Users) SaveFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".acl-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, l := range us.List() {
		w.WriteString(l + "\n")
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
