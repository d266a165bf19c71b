// Package sysstat reads how much CPU time a process has used, this one
// (getrusage) or another by PID (/proc/PID/stat), and how busy the whole
// machine was (/proc/stat), so benchmarks on a shared machine can say how
// much of it other processes took. The /proc parts are Linux only.
package sysstat

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"
)

// SelfCPU returns the user plus system CPU time this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of /proc/PID/stat's times. USER_HZ is 100 on
// every Linux architecture Go supports; reading it properly needs
// sysconf(_SC_CLK_TCK), that is cgo.
const clockTick = 10 * time.Millisecond

// PidCPU returns utime+stime of process pid from /proc/PID/stat, with
// the 10 ms resolution the kernel reports.
func PidCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after the last ')' start with field 3, state.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64) // field 14
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// MachineBusy returns the CPU time, summed over cores, that processes on
// the machine have spent running (user, nice and system in /proc/stat),
// and that the kernel has spent in interrupts (irq and softirq), which
// processes are not charged for: on loopback that is much of the TCP
// receive path, so a network benchmark's own traffic shows up there.
func MachineBusy() (procs, interrupts time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 8 || string(f[0]) != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected format")
	}
	var v [8]int64 // cpu user nice system idle iowait irq softirq
	for i := 1; i < len(v); i++ {
		if v[i], err = strconv.ParseInt(string(f[i]), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %v", err)
		}
	}
	return time.Duration(v[1]+v[2]+v[3]) * clockTick, time.Duration(v[6]+v[7]) * clockTick, nil
}

// Meter measures, over an interval, how many cores this process and the
// whole machine kept busy, so that a benchmark can tell how much of the
// machine other processes took while it ran.
type Meter struct {
	start               time.Time
	self, procs, interr time.Duration
	machineOK           bool
}

// StartMeter starts measuring.
func StartMeter() Meter {
	p, i, err := MachineBusy()
	return Meter{start: time.Now(), self: SelfCPU(), procs: p, interr: i, machineOK: err == nil}
}

// Usage is what a Meter saw: wall time, and cores kept busy on average by
// this process, by all processes (Machine) and by the kernel's interrupt
// handling (Interrupts); the last two are NaN if unknown.
type Usage struct {
	Wall                      time.Duration
	Self, Machine, Interrupts float64
}

// Others is the cores kept busy by every other process; a benchmark
// passes the CPU of processes it accounts for itself (a server it
// started) to leave them out.
func (u Usage) Others(accounted ...time.Duration) float64 {
	o := u.Machine - u.Self
	for _, a := range accounted {
		o -= a.Seconds() / u.Wall.Seconds()
	}
	return max(o, 0)
}

// Read returns the usage since StartMeter.
func (m Meter) Read() Usage {
	u := Usage{Wall: time.Since(m.start)}
	u.Self = (SelfCPU() - m.self).Seconds() / u.Wall.Seconds()
	u.Machine, u.Interrupts = math.NaN(), math.NaN()
	if p, i, err := MachineBusy(); err == nil && m.machineOK {
		u.Machine = (p - m.procs).Seconds() / u.Wall.Seconds()
		u.Interrupts = (i - m.interr).Seconds() / u.Wall.Seconds()
	}
	return u
}

// Describe is a sentence for a report's notes.
func (u Usage) Describe() string {
	if math.IsNaN(u.Machine) {
		return fmt.Sprintf("Over the %v run this process kept %.2f cores busy; the machine's total was not readable.", u.Wall.Round(time.Second), u.Self)
	}
	return fmt.Sprintf("Over the %v run processes kept %.2f cores busy on average: %.2f this one, %.2f other processes "+
		"(this machine is shared; their load is noise in these numbers), and interrupts %.2f.", u.Wall.Round(time.Second), u.Machine, u.Self, u.Others(), u.Interrupts)
}
