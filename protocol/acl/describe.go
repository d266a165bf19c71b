package acl

import (
	"math"
	"strings"
)

// Describe returns the user's rules as ACL LIST prints them and ACL SAVE
// writes them, after "user <name> ": flags, password hashes, keys,
// channels, then the command rules.
func (u *User) Describe() string {
	var b strings.Builder
	for _, f := range u.Flags() {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	if u.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range u.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if u.allChans {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range u.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(u.CommandRules())
	return b.String()
}

// Flags returns the user's flags in Redis's order, as ACL GETUSER lists
// them.
func (u *User) Flags() []string {
	var out []string
	if u.enabled {
		out = append(out, "on")
	} else {
		out = append(out, "off")
	}
	if u.nopass {
		out = append(out, "nopass")
	}
	if u.skipSanit {
		out = append(out, "skip-sanitize-payload")
	}
	if u.sanitize {
		out = append(out, "sanitize-payload")
	}
	return out
}

// Passwords returns the password hashes, in the order they were added.
func (u *User) Passwords() []string { return u.passwords }

// Keys returns the key patterns as ACL GETUSER shows them.
func (u *User) Keys() string {
	if u.allKeys {
		return "~*"
	}
	s := make([]string, len(u.keys))
	for i, k := range u.keys {
		s[i] = k.String()
	}
	return strings.Join(s, " ")
}

// Channels returns the channel patterns as ACL GETUSER shows them.
func (u *User) Channels() string {
	if u.allChans {
		return "&*"
	}
	s := make([]string, len(u.channels))
	for i, c := range u.channels {
		s[i] = "&" + c
	}
	return strings.Join(s, " ")
}

// CommandRules returns the shortest-looking rules that rebuild the
// user's command set, computed as Redis 7.0's
// ACLDescribeSelectorCommandRules does: start from +@all (if the set was
// built down from everything) or -@all, greedily apply the category that
// best fits what is left, then fix single commands. Redis emits the
// single commands in its hash table's order, which changes from process
// to process; cachesrv emits them in name order.
func (u *User) CommandRules() string {
	t := u.table
	var rules []string
	fake := newUser(t, "")
	additive := !u.cmds.has(t.futureBit())
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		fake.applySelector("+@all")
	}
	temp := newUser(t, "")
	copy(temp.cmds, u.cmds)
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, math.MaxInt, 0
		for cat := range Categories {
			if applied[cat] {
				continue
			}
			on, off := temp.countCategory(cat)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = cat, diff, same
			}
		}
		if best < 0 {
			break
		}
		fake.setCategory(best, additive)
		temp.setCategory(best, !additive)
		if additive {
			rules = append(rules, "+@"+Categories[best])
		} else {
			rules = append(rules, "-@"+Categories[best])
		}
		applied[best] = true
	}
	for id, c := range t.cmds {
		if c.parent >= 0 {
			continue
		}
		rules = u.singleCommandRules(fake, id, rules)
		for _, sub := range c.subs {
			rules = u.singleCommandRules(fake, sub, rules)
		}
	}
	return strings.Join(rules, " ")
}

// singleCommandRules appends the rule for one command whose bit differs
// between the user and fake (applying it to fake), and its first-arg
// rules.
func (u *User) singleCommandRules(fake *User, id int, rules []string) []string {
	name := u.table.cmds[id].name
	have := u.cmds.has(id)
	if have != fake.cmds.has(id) {
		if have {
			rules = append(rules, "+"+name)
		} else {
			rules = append(rules, "-"+name)
		}
		fake.changePerm(id, have)
	}
	if !have {
		for _, a := range u.firstArgs[id] {
			rules = append(rules, "+"+name+"|"+a)
		}
	}
	return rules
}

// countCategory counts the commands of a category the user may (on) and
// may not (off) run.
func (u *User) countCategory(cat int) (on, off int) {
	for id, c := range u.table.cmds {
		if c.cats&(1<<cat) != 0 {
			if u.cmds.has(id) {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}
