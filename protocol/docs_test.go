package protocol

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	docsValidGroups = map[string]bool{
		"connection": true, "string": true, "generic": true, "server": true, "transactions": true, "cluster": true,
		"hash": true, "set": true, "scripting": true, "pubsub": true,
		"sorted-set": true, "list": true, "bitmap": true, "hyperloglog": true, "geo": true,
	}
	docsValidTypes = map[string]bool{
		"key": true, "string": true, "integer": true, "double": true, "pattern": true,
		"unix-time": true, "pure-token": true, "oneof": true, "block": true,
	}
	// since is a Redis version, or cachesrv's own for its commands (0.x).
	docsVersionRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)
	// Redis's names (eval_ro), plus module-style PREFIX.VERB for cachesrv's own.
	docsNameRE = regexp.MustCompile(`^[a-z]+(_[a-z]+)?(\.[a-z]+)?(\|[a-z]+(-[a-z]+)*)?$`)
)

// TestDocsCoverExactlyTheServedCommands: COMMAND DOCS (and so redis-cli's
// hints) must describe every command and subcommand in the table, and
// nothing the server does not run.
func TestDocsCoverExactlyTheServedCommands(t *testing.T) {
	served := map[string]bool{}
	eachCommand(func(cmd *command) { served[cmd.fullName] = true })
	var missing, extra []string
	for n := range served {
		if _, ok := docs[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range docs {
		if !served[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("commands without docs: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("docs for commands the server does not have: %v", extra)
	}
}

func TestDocsEntriesWellFormed(t *testing.T) {
	for name, d := range docs {
		if !docsNameRE.MatchString(name) {
			t.Errorf("%q: key must be lower-case \"cmd\" or \"container|sub\"", name)
		}
		if parent, _, ok := strings.Cut(name, "|"); ok {
			p, found := docs[parent]
			if !found {
				t.Errorf("%q: container %q has no entry", name, parent)
			} else if p.group != d.group {
				t.Errorf("%q: group %q differs from container's %q", name, d.group, p.group)
			}
		}
		if strings.TrimSpace(d.summary) == "" {
			t.Errorf("%q: empty summary", name)
		}
		if !docsVersionRE.MatchString(d.since) {
			t.Errorf("%q: since %q is not a x.y.z version", name, d.since)
		}
		if !docsValidGroups[d.group] {
			t.Errorf("%q: unknown group %q", name, d.group)
		}
		if strings.TrimSpace(d.complexity) == "" {
			t.Errorf("%q: empty complexity", name)
		}
		docsCheckArgs(t, name, d.args)
	}
}

func docsCheckArgs(t *testing.T, path string, args []argDoc) {
	t.Helper()
	for i, a := range args {
		where := path + "/" + a.name
		if a.name == "" {
			t.Errorf("%s: argument %d has no name", path, i)
			where = path + "/#" + string(rune('0'+i))
		}
		if !docsValidTypes[a.typ] {
			t.Errorf("%s: invalid type %q", where, a.typ)
		}
		switch a.typ {
		case "oneof", "block":
			if len(a.args) == 0 {
				t.Errorf("%s: %s without children", where, a.typ)
			}
		default:
			if len(a.args) != 0 {
				t.Errorf("%s: %s argument must not have children", where, a.typ)
			}
		}
		if a.typ == "pure-token" && a.token == "" {
			t.Errorf("%s: pure-token without a token", where)
		}
		if a.token != "" && strings.ToUpper(a.token) != a.token {
			t.Errorf("%s: token %q is not upper-case", where, a.token)
		}
		if a.multipleToken && !a.multiple {
			t.Errorf("%s: multipleToken set without multiple", where)
		}
		if a.multipleToken && a.token == "" {
			t.Errorf("%s: multipleToken set without a token", where)
		}
		docsCheckArgs(t, where, a.args)
	}
}

// TestDocsSpotChecks pins a few facts that clients rely on for hints.
func TestDocsSpotChecks(t *testing.T) {
	set := docs["set"]
	if len(set.args) != 5 {
		t.Fatalf("set: %d args, want 5", len(set.args))
	}
	if a := set.args[2]; a.name != "condition" || a.typ != "oneof" || !a.optional || len(a.args) != 2 {
		t.Errorf("set condition = %+v", a)
	}
	if a := set.args[3]; a.typ != "pure-token" || a.token != "GET" || !a.optional {
		t.Errorf("set get = %+v", a)
	}
	exp := set.args[4]
	var tokens []string
	for _, c := range exp.args {
		tokens = append(tokens, c.token)
	}
	if got := strings.Join(tokens, " "); exp.name != "expiration" || got != "EX PX EXAT PXAT KEEPTTL" {
		t.Errorf("set expiration tokens = %q", got)
	}
	for name, since := range map[string]string{"getex": "6.2.0", "lcs": "7.0.0", "get": "1.0.0", "copy": "6.2.0"} {
		if docs[name].since != since {
			t.Errorf("%s since = %q, want %q", name, docs[name].since, since)
		}
	}
	if a := docs["scan"].args[1]; a.token != "MATCH" || a.typ != "pattern" {
		t.Errorf("scan match = %+v", a)
	}
	if a := docs["mset"].args[0]; a.typ != "block" || !a.multiple {
		t.Errorf("mset data = %+v", a)
	}
}
