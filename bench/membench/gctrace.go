package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"regexp"
	"strconv"
	"time"
)

// cachesrv runs with GODEBUG=gctrace=1, so the Go runtime writes a line
// to its stderr (our log file) at the end of every GC cycle:
//
//	gc 7 @0.121s 8%: 0.035+6.8+0.091 ms clock, 0.071+0.82/1.9/4.4+0.18 ms cpu, 54->57->41 MB, 58 MB goal, 0 MB stacks, 0 MB globals, 2 P
//
// In "A+B+C ms clock", A is the stop-the-world sweep termination, B the
// concurrent mark and C the stop-the-world mark termination: A and C are
// the two pauses of the cycle. "X->Y->Z MB" is the heap at the start of
// the cycle, at its end, and the live heap it marked.

// gcCycle is one parsed gctrace line.
type gcCycle struct {
	n          int
	at         time.Duration // since the process started
	stw1, stw2 time.Duration // sweep termination, mark termination
	mark       time.Duration // concurrent mark, wall clock
	heapStart  int64         // MB
	heapLive   int64         // MB
	goal       int64         // MB
	forced     bool
}

var gcLine = regexp.MustCompile(`^gc (\d+) @([0-9.]+)s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock, [^,]* ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// parseGCLine parses one gctrace line; ok is false for any other line.
func parseGCLine(line string) (c gcCycle, ok bool) {
	m := gcLine.FindStringSubmatch(line)
	if m == nil {
		return c, false
	}
	ms := func(s string) time.Duration {
		f, _ := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Millisecond))
	}
	num := func(s string) int64 {
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	sec, _ := strconv.ParseFloat(m[2], 64)
	c = gcCycle{
		n: int(num(m[1])), at: time.Duration(sec * float64(time.Second)),
		stw1: ms(m[3]), mark: ms(m[4]), stw2: ms(m[5]),
		heapStart: num(m[6]), heapLive: num(m[8]), goal: num(m[9]),
		forced: bytes.HasSuffix(bytes.TrimSpace([]byte(line)), []byte("(forced)")),
	}
	return c, true
}

// gcStats sums up the cycles of a phase.
type gcStats struct {
	cycles      int
	maxPause    time.Duration // the longest single stop-the-world pause
	totalPause  time.Duration // both pauses of every cycle
	maxMark     time.Duration // the longest concurrent mark phase
	maxHeapLive int64         // MB
	maxGoal     int64         // MB
}

func (s *gcStats) add(c gcCycle) {
	s.cycles++
	s.maxPause = max(s.maxPause, c.stw1, c.stw2)
	s.totalPause += c.stw1 + c.stw2
	s.maxMark = max(s.maxMark, c.mark)
	s.maxHeapLive = max(s.maxHeapLive, c.heapLive)
	s.maxGoal = max(s.maxGoal, c.goal)
}

// gcTrace reads the gctrace lines of a log and splits them into phases by
// where each line starts in the file: a line that starts at or after
// bounds[i-1] and before bounds[i] belongs to phase i (bounds are file
// offsets taken when each phase ended; phase 0 starts at offset 0). Lines
// after the last bound are left out.
func gcTrace(r io.Reader, bounds []int64) []gcStats {
	out := make([]gcStats, len(bounds))
	br := bufio.NewReader(r)
	var off int64
	for {
		line, err := br.ReadString('\n')
		start := off
		off += int64(len(line))
		if c, ok := parseGCLine(line); ok {
			for i, b := range bounds {
				if start < b {
					out[i].add(c)
					break
				}
			}
		}
		if err != nil {
			return out
		}
	}
}

// gcTraceFile is gcTrace over a log file.
func gcTraceFile(path string, bounds []int64) ([]gcStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return gcTrace(f, bounds), nil
}

// logSize is the current size of a log file: a phase boundary for
// gcTrace.
func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
