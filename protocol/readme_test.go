package protocol

import (
	"context"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// The README's command lists are under these headings, one bullet per
// group: "- **group** (optional words): NAME, NAME (notes), NAME SUB / SUB".
// A name alone in the "not supported" list stands for all its subcommands.
const (
	readmeSupported    = "### Supported commands"
	readmeNotSupported = "### Not supported"
)

// TestReadmeCommandsMatchTable: the README's supported list names exactly
// the commands and subcommands in the command table, and its "not
// supported" list names none of them.
func TestReadmeCommandsMatchTable(t *testing.T) {
	supported := readmeCommands(t, readmeSupported)
	table := tableNames()
	for _, cmd := range commandList {
		// A container is listed through its subcommands ("CLIENT ID / ...").
		if cmd.subs == nil && !supported[cmd.name] {
			t.Errorf("%s is in the command table but not in README's %q", readableName(cmd.name), readmeSupported)
		}
		for _, sub := range slices.Sorted(maps.Keys(cmd.subs)) {
			if name := cmd.name + "|" + sub; !supported[name] {
				t.Errorf("%s is in the command table but not in README's %q", readableName(name), readmeSupported)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(supported)) {
		if !table[name] {
			t.Errorf("README's %q names %s, which the command table does not have", readmeSupported, readableName(name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(readmeCommands(t, readmeNotSupported))) {
		if table[name] {
			t.Errorf("README lists %s as not supported, but the command table has it", readableName(name))
		}
	}
}

// TestReadmeCommandsCoverRedis: every command and subcommand a real
// redis-server knows is either in the command table or in the README's
// "not supported" list, and that list names only commands Redis has.
func TestReadmeCommandsCoverRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisServer(t), Protocol: 2})
	defer rdb.Close()
	redisNames, err := rdb.Do(context.Background(), "COMMAND", "LIST").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, name := range redisNames {
		known[strings.ToLower(name)] = true
	}
	table := tableNames()
	notSupported := readmeCommands(t, readmeNotSupported)
	for _, name := range slices.Sorted(maps.Keys(known)) {
		parent, _, _ := strings.Cut(name, "|")
		if !table[name] && !notSupported[name] && !notSupported[parent] {
			t.Errorf("redis-server has %s: add it to README's %q (or to the command table)",
				readableName(name), readmeNotSupported)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(notSupported)) {
		if !known[name] {
			t.Errorf("README's %q names %s, which redis-server does not know", readmeNotSupported, readableName(name))
		}
	}
}

// tableNames returns every command in the table, and every subcommand as
// "container|sub", as COMMAND LIST names them.
func tableNames() map[string]bool {
	names := map[string]bool{}
	for _, cmd := range commandList {
		names[cmd.name] = true
		for sub := range cmd.subs {
			names[cmd.name+"|"+sub] = true
		}
	}
	return names
}

// readableName spells "client|setname" as the README does, "CLIENT SETNAME".
func readableName(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "|", " "))
}

var (
	readmeGroup = regexp.MustCompile(`^- \*\*[^*]+\*\*[^:]*:(.*)$`)
	readmeName  = regexp.MustCompile(`^[A-Z][A-Z0-9._-]*$`)
	// readmeNotes matches a parenthesised note with no parentheses inside.
	readmeNotes = regexp.MustCompile(`\([^()]*\)`)
)

// readmeCommands parses the bullets under heading in ../README.md into
// lower-case names, subcommands as "container|sub". Every bullet there
// must be a group of commands, so that a list the test cannot read fails
// rather than goes unchecked.
func readmeCommands(t *testing.T, heading string) map[string]bool {
	t.Helper()
	text, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		t.Fatalf("README.md has no heading %q", heading)
	}
	var bullets []string
	inBullet := false
	for _, line := range lines[start+1:] {
		if strings.HasPrefix(line, "#") {
			break
		}
		switch {
		case strings.HasPrefix(line, "- "):
			bullets = append(bullets, line)
			inBullet = true
		case inBullet && strings.HasPrefix(line, "  ") && strings.TrimSpace(line) != "":
			bullets[len(bullets)-1] += " " + strings.TrimSpace(line)
		default:
			inBullet = false // prose between or after the lists
		}
	}
	names := map[string]bool{}
	for _, b := range bullets {
		m := readmeGroup.FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("README %q: cannot read %q as \"- **group**: NAME, NAME SUB / SUB, ...\"", heading, b)
		}
		list := strings.ReplaceAll(m[1], "`", "")
		for readmeNotes.MatchString(list) {
			list = readmeNotes.ReplaceAllString(list, "")
		}
		for _, item := range strings.Split(list, ",") {
			cmd, subs, _ := strings.Cut(strings.TrimSpace(item), " ")
			if !readmeName.MatchString(cmd) {
				t.Fatalf("README %q: %q in %q is not a command name", heading, cmd, b)
			}
			if subs == "" {
				names[strings.ToLower(cmd)] = true
				continue
			}
			for _, sub := range strings.Split(subs, "/") {
				sub = strings.TrimSpace(sub)
				if !readmeName.MatchString(sub) {
					t.Fatalf("README %q: %q in %q is not a subcommand name", heading, sub, b)
				}
				names[strings.ToLower(cmd+"|"+sub)] = true
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("README %q lists no commands", heading)
	}
	return names
}
