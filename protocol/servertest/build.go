package servertest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// modulePath is the server's module; its ./cmd/cachesrv is what Cachesrv
// builds.
const modulePath = "github.com/cachesrv/cachesrv"

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// Cachesrv returns the path of a cachesrv binary built from this
// checkout's ./cmd/cachesrv, for tests that run the server as a process.
// It is built once per test binary, whichever package (or module, such
// as deploy/) the test is in; Main removes it when the tests end. With
// -short the test is skipped instead.
func Cachesrv(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds cachesrv and runs it as a process")
	}
	build.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			build.err = err
			return
		}
		if build.dir, build.err = os.MkdirTemp("", "cachesrv-test-"); build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "cachesrv")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/cachesrv")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/cachesrv: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// Main runs a package's tests and then removes what Cachesrv built. A
// package whose tests call Cachesrv uses it as its TestMain:
//
//	func TestMain(m *testing.M) { servertest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// moduleRoot finds the server module's folder above the working
// directory (a test runs in its package's folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if strings.TrimSpace(line) == "module "+modulePath {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no " + modulePath + " module above the working directory")
		}
		dir = parent
	}
}
