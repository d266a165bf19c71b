// Package top is `cachesrv top`, a live view of a running server for a
// person at a terminal: throughput, hit ratio, clients, memory, and which
// shards wait for their locks. It asks the server over RESP, as redis-cli
// would (INFO and CACHESRV.SHARDS), so it works from anywhere a client
// can connect.
package top

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

const topUsage = `Usage: cachesrv top [-h host] [-p port] [-a password] [flags]

A live view of a running cachesrv: ops/s, hit ratio, clients, memory and
per-shard lock contention, redrawn every --interval. q or Ctrl-C quits.
On a terminal it takes the whole screen; otherwise (or with --iterations /
--once) it prints plain frames, one after another, without control codes.
The password can also come from REDISCLI_AUTH, as for redis-cli.

`

// topWidth is the width the view is laid out for.
const topWidth = 80

// requestTimeout bounds connecting to the server and each command.
const requestTimeout = 5 * time.Second

// Run runs `cachesrv top` with the arguments after "top" and returns the
// exit code. It takes the whole screen when stdin and stdout are both a
// terminal; stdin may be nil.
func Run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cachesrv top", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("h", "127.0.0.1", "server host")
	port := fs.Int("p", 6379, "server port")
	password := fs.String("a", os.Getenv("REDISCLI_AUTH"), "password (default $REDISCLI_AUTH)")
	interval := fs.Duration("interval", time.Second, "time between refreshes")
	iterations := fs.Int("iterations", 0, "print this many plain frames, then exit (0 = until q / Ctrl-C)")
	once := fs.Bool("once", false, "print one plain frame and exit (--iterations 1)")
	rows := fs.Int("rows", 0, "shards listed by wait time (0 = as many as fit the terminal; 10 in plain frames)")
	if code, ok := ParseFlags(fs, "top", topUsage, args, stderr); !ok {
		return code
	}
	if *once {
		*iterations = 1
	}
	if *interval < 10*time.Millisecond || *iterations < 0 || *rows < 0 {
		fmt.Fprintln(stderr, "cachesrv top: --interval must be at least 10ms, --iterations and --rows not negative")
		return 2
	}
	t := &session{
		addr:     net.JoinHostPort(*host, strconv.Itoa(*port)),
		password: *password,
		interval: *interval,
		rows:     *rows,
		out:      stdout,
	}
	out, isFile := stdout.(*os.File)
	interactive := *iterations == 0 && stdin != nil && isFile &&
		term.IsTerminal(int(stdin.Fd())) && term.IsTerminal(int(out.Fd()))
	var err error
	if interactive {
		err = t.runInteractive(stdin, out)
	} else {
		err = t.runPlain(*iterations)
	}
	if err != nil {
		fmt.Fprintln(stderr, "cachesrv top:", err)
		return 1
	}
	return 0
}

// session is one run of `cachesrv top`.
type session struct {
	addr, password string
	interval       time.Duration
	rows           int
	out            io.Writer
	conn           *resp.Conn
}

// runPlain prints n frames (forever when n is 0) as plain text, a blank
// line between them. Any error ends it.
func (t *session) runPlain(n int) error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)
	prev, err := t.sample()
	if err != nil {
		return err
	}
	rows := t.rows
	if rows == 0 {
		rows = 10
	}
	for i := 0; n == 0 || i < n; i++ {
		select {
		case <-stop:
			return nil
		case <-time.After(t.interval):
		}
		cur, err := t.sample()
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(t.out)
		}
		fmt.Fprintln(t.out, strings.Join(renderTop(prev, cur, t.addr, rows, ""), "\n"))
		prev = cur
	}
	return nil
}

// runInteractive redraws the screen every interval until q or Ctrl-C,
// with the terminal in raw mode (so q needs no Enter) on the alternate
// screen, and puts the terminal back as it was on the way out. A lost
// connection is shown and retried rather than ending the view.
func (t *session) runInteractive(stdin, out *os.File) error {
	prev, err := t.sample()
	if err != nil {
		return err
	}
	state, err := term.MakeRaw(int(stdin.Fd()))
	if err != nil {
		return err
	}
	defer term.Restore(int(stdin.Fd()), state)
	fmt.Fprint(out, "\x1b[?1049h\x1b[?25l") // alternate screen, hide cursor
	defer fmt.Fprint(out, "\x1b[?25h\x1b[?1049l")

	quit := make(chan struct{})
	go func() {
		buf := make([]byte, 16)
		for {
			n, err := stdin.Read(buf)
			if err != nil {
				close(quit)
				return
			}
			for _, b := range buf[:n] {
				if b == 'q' || b == 'Q' || b == 3 /* Ctrl-C */ || b == 4 /* Ctrl-D */ {
					close(quit)
					return
				}
			}
		}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	draw := func(lines []string) {
		var b strings.Builder
		b.WriteString("\x1b[H")
		for i, l := range lines {
			if i > 0 {
				b.WriteString("\r\n")
			}
			b.WriteString(l)
			b.WriteString("\x1b[K")
		}
		b.WriteString("\x1b[J")
		io.WriteString(out, b.String())
	}
	var shownPrev, shownCur *topSample // the last frame drawn, to redraw on resize
	status := "q or Ctrl-C to quit"
	frame := func(prev, cur *topSample) []string {
		w, h, err := term.GetSize(int(out.Fd()))
		if err != nil {
			w, h = topWidth, 24
		}
		rows := t.rows
		if rows == 0 {
			rows = max(3, h-topFixedLines(cur))
		}
		lines := renderTop(prev, cur, t.addr, rows, status)
		for i, l := range lines {
			lines[i] = clipRunes(l, w)
		}
		return lines[:min(len(lines), max(h, 1))]
	}
	draw([]string{"cachesrv top: waiting " + t.interval.String() + " for the first rates…"})
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-quit:
			return nil
		case sig := <-sigs:
			if sig != syscall.SIGWINCH {
				return nil
			}
			if shownCur != nil {
				draw(frame(shownPrev, shownCur))
			}
		case <-tick.C:
			cur, err := t.sample()
			if err != nil {
				draw([]string{fmt.Sprintf("cachesrv top: %s: %v", t.addr, err), "retrying every " + t.interval.String() + "; q or Ctrl-C to quit"})
				prev, shownCur = nil, nil
				continue
			}
			if prev == nil {
				prev = cur
				continue
			}
			draw(frame(prev, cur))
			shownPrev, shownCur = prev, cur
			prev = cur
		}
	}
}

// --- sampling ---

// topSample is what one refresh reads from the server.
type topSample struct {
	at     time.Time
	info   map[string]string
	shards []shardRow // nil when the server has no CACHESRV.SHARDS
}

// shardRow is one entry of CACHESRV.SHARDS.
type shardRow struct {
	keys, acquisitions, contended, waitUsec, maxWaitUsec int64
}

// sample reads INFO and CACHESRV.SHARDS, (re)connecting first if needed.
// An error reply keeps the connection; any other error closes it.
func (t *session) sample() (*topSample, error) {
	if t.conn == nil {
		c, err := resp.Dial(t.addr, t.password, requestTimeout)
		if err != nil {
			return nil, err
		}
		t.conn = c
	}
	s, err := readSample(t.conn)
	if err != nil {
		var re resp.Error
		if !errors.As(err, &re) {
			t.conn.Close()
			t.conn = nil
		}
		return nil, err
	}
	return s, nil
}

func readSample(c *resp.Conn) (*topSample, error) {
	info, err := c.Info()
	if err != nil {
		return nil, err
	}
	s := &topSample{at: time.Now(), info: info}
	r, err := c.Do("CACHESRV.SHARDS")
	var re resp.Error
	if errors.As(err, &re) {
		return s, nil // not a cachesrv, or an old one: no shard view
	}
	if err != nil {
		return nil, err
	}
	s.shards, err = parseShards(r)
	return s, err
}

// parseShards reads CACHESRV.SHARDS: one flat field/value array per shard.
func parseShards(r any) ([]shardRow, error) {
	entries, ok := r.([]any)
	if !ok {
		return nil, fmt.Errorf("CACHESRV.SHARDS replied %T, not an array", r)
	}
	rows := make([]shardRow, len(entries))
	for i, e := range entries {
		kv, ok := e.([]any)
		if !ok || len(kv)%2 != 0 {
			return nil, fmt.Errorf("CACHESRV.SHARDS entry %d is not a field/value array", i)
		}
		for j := 0; j < len(kv); j += 2 {
			name, _ := kv[j].(string)
			v, _ := kv[j+1].(int64)
			switch name {
			case "keys":
				rows[i].keys = v
			case "lock_acquisitions":
				rows[i].acquisitions = v
			case "lock_contended":
				rows[i].contended = v
			case "lock_wait_usec":
				rows[i].waitUsec = v
			case "lock_max_wait_usec":
				rows[i].maxWaitUsec = v
			}
		}
	}
	return rows, nil
}

// --- rendering ---

// heatMaxCells bounds the heat strip: 4 rows of 64 cells. With more
// shards than that, each cell shows the worst of a group of shards.
const (
	heatPerRow   = 64
	heatMaxCells = 4 * heatPerRow
)

// topFixedLines is how many lines a frame has besides the shard rows.
func topFixedLines(cur *topSample) int {
	n := 9 // header, 4 summary lines, blank, table title, blank, status
	if len(cur.shards) > 1 {
		cells := min(len(cur.shards), heatMaxCells)
		n += 2 + (cells+heatPerRow-1)/heatPerRow // blank, legend, rows
	}
	return n
}

// renderTop lays out one frame from two samples, each line at most
// topWidth columns; rows bounds the shards listed; status, if any, is the
// last line.
func renderTop(prev, cur *topSample, addr string, rows int, status string) []string {
	secs := cur.at.Sub(prev.at).Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	in, pin := cur.info, prev.info
	delta := func(name string) int64 { return max(0, infoInt(in, name)-infoInt(pin, name)) }
	rate := func(n int64) string { return group(int64(math.Round(float64(n) / secs))) }

	var lines []string
	add := func(format string, a ...any) { lines = append(lines, clipRunes(fmt.Sprintf(format, a...), topWidth)) }

	left := fmt.Sprintf("cachesrv %s  %s  up %s", orDash(in["cachesrv_version"]), addr, uptime(infoInt(in, "uptime_in_seconds")))
	if n := len(cur.shards); n > 0 {
		left += fmt.Sprintf("  %d shard%s", n, plural(n))
	}
	clock := cur.at.Format("15:04:05")
	lines = append(lines, clipRunes(left+strings.Repeat(" ", max(2, topWidth-utf8.RuneCountInString(left)-len(clock)))+clock, topWidth))

	// Our own two commands per refresh (CACHESRV.SHARDS, INFO) are not
	// the server's load.
	own := int64(2)
	if cur.shards == nil {
		own = 1
	}
	hits, misses := delta("keyspace_hits"), delta("keyspace_misses")
	ratio := "-"
	if hits+misses > 0 {
		ratio = fmt.Sprintf("%.2f%%", 100*float64(hits)/float64(hits+misses))
	}
	add("ops/s %12s   hit ratio %8s   hits/s %10s   misses/s %9s",
		rate(max(0, delta("total_commands_processed")-own)), ratio, rate(hits), rate(misses))
	keys, expires := keyspace(in["db0"])
	add("clients %10s   keys %13s   expires %9s   expired/s %8s",
		group(infoInt(in, "connected_clients")), group(keys), group(expires), rate(delta("expired_keys")))
	add("memory  used %8s   rss %8s   dataset %8s   arena %8s",
		humanSize(infoInt(in, "used_memory")), humanSize(infoInt(in, "used_memory_rss")),
		humanSize(infoInt(in, "used_memory_dataset")), humanSize(infoInt(in, "store_arena_bytes")))

	if cur.shards == nil {
		add("locks   (the server has no CACHESRV.SHARDS: no per-shard view)")
		if status != "" {
			lines = append(lines, "", status)
		}
		return lines
	}

	// Per-shard changes over the interval.
	type shardDelta struct {
		i                     int
		acq, contended, waitU int64
	}
	ds := make([]shardDelta, len(cur.shards))
	var acq, contended, waitU, maxWaitU int64
	for i, c := range cur.shards {
		d := shardDelta{i: i, acq: c.acquisitions, contended: c.contended, waitU: c.waitUsec}
		if i < len(prev.shards) {
			p := prev.shards[i]
			d.acq, d.contended, d.waitU = max(0, d.acq-p.acquisitions), max(0, d.contended-p.contended), max(0, d.waitU-p.waitUsec)
		}
		ds[i] = d
		acq += d.acq
		contended += d.contended
		waitU += d.waitU
		maxWaitU = max(maxWaitU, c.maxWaitUsec)
	}
	add("locks acq/s %10s  contended %7s  wait %8s/s  longest ever %6s",
		rate(acq), percent(contended, acq), usec(float64(waitU)/secs), usec(float64(maxWaitU)))
	lines = append(lines, "")

	slices.SortStableFunc(ds, func(a, b shardDelta) int {
		switch {
		case a.waitU != b.waitU:
			return cmpDesc(a.waitU, b.waitU)
		case a.contended != b.contended:
			return cmpDesc(a.contended, b.contended)
		default:
			return cmpDesc(a.acq, b.acq)
		}
	})
	shown := ds[:min(len(ds), max(rows, 1))]
	add("%5s %10s %10s %12s  %s", "shard", "waiting/s", "contended", "acq/s",
		fmt.Sprintf("lock wait, last %s, top %d of %d", round(secs), len(shown), len(ds)))
	const barWidth = topWidth - 42
	top := float64(shown[0].waitU)
	for _, d := range shown {
		bar := ""
		if top > 0 {
			bar = hbar(float64(d.waitU)/top, barWidth)
		}
		add("%5d %10s %10s %12s  %s", d.i, usec(float64(d.waitU)/secs), percent(d.contended, d.acq), rate(d.acq), bar)
	}

	if len(cur.shards) > 1 {
		lines = append(lines, "")
		lines = append(lines, heatStrip(cur.shards, prev.shards, secs)...)
	}
	if status != "" {
		lines = append(lines, "", status)
	}
	return lines
}

// heatStrip draws every shard's contended share over the interval as one
// character, 64 to a row; with more than heatMaxCells shards a cell holds
// a group of them and shows the group's worst.
func heatStrip(cur, prev []shardRow, secs float64) []string {
	per := (len(cur) + heatMaxCells - 1) / heatMaxCells
	cells := (len(cur) + per - 1) / per
	shades := []rune(" ░▒▓█")
	shade := func(pct float64) rune {
		switch {
		case pct <= 0:
			return shades[0]
		case pct < 1:
			return shades[1]
		case pct < 5:
			return shades[2]
		case pct < 20:
			return shades[3]
		}
		return shades[4]
	}
	unit := "shard"
	if per > 1 {
		unit = fmt.Sprintf("%d shards", per)
	}
	lines := []string{fmt.Sprintf("contended %% by shard, one cell per %s:  ' ' 0  ░ <1  ▒ <5  ▓ <20  █ ≥20", unit)}
	for row := 0; row*heatPerRow < cells; row++ {
		var b strings.Builder
		first := row * heatPerRow * per
		fmt.Fprintf(&b, "%6d |", first)
		for cell := row * heatPerRow; cell < min(cells, (row+1)*heatPerRow); cell++ {
			worst := 0.0
			for i := cell * per; i < min(len(cur), (cell+1)*per); i++ {
				acq, cont := cur[i].acquisitions, cur[i].contended
				if i < len(prev) {
					acq, cont = acq-prev[i].acquisitions, cont-prev[i].contended
				}
				if acq > 0 {
					worst = max(worst, 100*float64(cont)/float64(acq))
				}
			}
			b.WriteRune(shade(worst))
		}
		b.WriteByte('|')
		lines = append(lines, b.String())
	}
	return lines
}

// hbar is a bar of frac (0..1) of width cells, in eighths of a cell.
func hbar(frac float64, width int) string {
	eighths := int(math.Round(frac * float64(width*8)))
	if frac > 0 && eighths == 0 {
		eighths = 1
	}
	s := strings.Repeat("█", eighths/8)
	if r := eighths % 8; r > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[r-1])
	}
	return s
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// infoInt is an integer field of INFO, 0 when absent (a real Redis has
// no store_arena_bytes).
func infoInt(m map[string]string, name string) int64 { return max(0, resp.InfoInt(m, name)) }

// keyspace parses INFO's "keys=3,expires=1,avg_ttl=0".
func keyspace(v string) (keys, expires int64) {
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		n, _ := strconv.ParseInt(val, 10, 64)
		switch k {
		case "keys":
			keys = n
		case "expires":
			expires = n
		}
	}
	return keys, expires
}

// group writes n with thousands separators: 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(part)/float64(whole))
}

// usec formats a number of microseconds as a short duration.
func usec(u float64) string {
	switch {
	case u <= 0:
		return "0"
	case u < 1000:
		return fmt.Sprintf("%.0fµs", u)
	case u < 1e6:
		return fmt.Sprintf("%.1fms", u/1e3)
	}
	return fmt.Sprintf("%.2fs", u/1e6)
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func uptime(secs int64) string {
	d, h, m, s := secs/86400, secs/3600%24, secs/60%60, secs%60
	return fmt.Sprintf("%dd %02d:%02d:%02d", d, h, m, s)
}

func round(secs float64) string { return strconv.FormatFloat(secs, 'f', 1, 64) + "s" }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// clipRunes cuts s to at most n runes.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// ParseFlags parses the flags of a cachesrv subcommand (top, and the
// healthcheck in package main, so that both behave alike), printing usage
// and then the flags for --help. It returns false, with the exit code,
// when the subcommand should stop: 0 after --help, 2 after a bad flag or
// a stray argument.
func ParseFlags(fs *flag.FlagSet, name, usage string, args []string, stderr io.Writer) (int, bool) {
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cachesrv %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2, false
	}
	return 0, true
}
