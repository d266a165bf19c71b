package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// probeSecrets is probe 6: the password stays off the command line, and
// the profiler does not serve the command line. redis-server takes its
// password on the command line and has no profiler: n/a.
func probeSecrets(e *env, kind string) (*result, error) {
	r := &result{}
	labels := []string{
		"password in /proc/PID/cmdline",
		"password in /proc/PID/environ",
		"GET /debug/pprof/cmdline",
		"GET /debug/pprof/",
		"password in either response",
	}
	if kind != kindCachesrv {
		for _, l := range labels {
			r.add(l, "n/a")
		}
		return r, nil
	}
	port, err := servertest.FindFreePort()
	if err != nil {
		return nil, err
	}
	metrics := fmt.Sprintf("127.0.0.1:%d", port)
	password := fmt.Sprintf("hardbench-secret-%d", time.Now().UnixNano())
	s, err := e.start(kind, options{password: password, extra: []string{"--metrics-addr", metrics, "--pprof", "yes"}})
	if err != nil {
		return nil, err
	}
	defer s.stop()

	for i, f := range []string{"cmdline", "environ"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", s.pid(), f))
		if err != nil {
			r.add(labels[i], "unreadable: %v", err)
			continue
		}
		r.add(labels[i], "%s", yesNo(bytes.Contains(data, []byte(password))))
	}
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) (int, []byte, error) {
		// The HTTP listener may come up a moment after the RESP port.
		var err error
		for range 50 {
			var resp *http.Response
			if resp, err = client.Get("http://" + metrics + path); err == nil {
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				return resp.StatusCode, body, err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return 0, nil, err
	}
	leaked := false
	for i, path := range []string{"/debug/pprof/cmdline", "/debug/pprof/"} {
		code, body, err := get(path)
		if err != nil {
			r.add(labels[2+i], "error: %v", err)
			continue
		}
		r.add(labels[2+i], "%d %s", code, http.StatusText(code))
		leaked = leaked || bytes.Contains(body, []byte(password))
	}
	r.add(labels[4], "%s", yesNo(leaked))
	return r, nil
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "no"
}
