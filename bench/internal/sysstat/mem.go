package sysstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// PidRSS returns the resident set size of process pid in bytes: VmRSS
// from /proc/PID/status, which the kernel reports in kB.
func PidRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("/proc/%d/status: unexpected VmRSS line %q", pid, line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status: %v", pid, err)
		}
		return kb << 10, nil
	}
	// A zombie has no VmRSS line.
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS (process exiting?)", pid)
}
