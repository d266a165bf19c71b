package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestBadACLFileStopsTheStart: as in Redis, an aclfile that does not
// load stops the server instead of leaving the users it should define
// (and restrict) out.
func TestBadACLFileStopsTheStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.acl")
	if err := os.WriteFile(file, []byte("user app on +nosuchcommand\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := run([]string{"--port", strconv.Itoa(servertest.FreePort(t)), "--metrics-addr", "", "--aclfile", file}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "aclfile") || !strings.Contains(out.String(), "+nosuchcommand") {
		t.Fatalf("exit %d, output:\n%s", code, out.String())
	}
}
