package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartEnv(t *testing.T) {
	t.Setenv("PROC_TEST_KEPT", "kept")
	t.Setenv("PROC_TEST_SET", "old")
	log := filepath.Join(t.TempDir(), "sh.log")
	p, err := StartEnv("sh", "-", "/bin/sh", []string{"-c", `echo "$PROC_TEST_KEPT $PROC_TEST_SET"`}, []string{"PROC_TEST_SET=new"}, log)
	if err != nil {
		t.Skip("no /bin/sh:", err)
	}
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		p.Stop(time.Second)
		t.Fatal("sh did not exit")
	}
	out, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "kept new" {
		t.Errorf("environment seen: %q, want \"kept new\"", got)
	}
}
