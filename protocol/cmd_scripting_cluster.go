package protocol

import (
	"bytes"
	"runtime/metrics"
	"strings"
)

// forwardScript forwards an EVAL-like command to the node that owns its
// keys (proxy mode). The proxy keeps the body of every script it sees, so
// that an EVALSHA whose script the owner does not know (it restarted, or
// the script was loaded while it was away) is answered by loading the
// script there and retrying, never with a NOSCRIPT the client did not
// cause.
func (c *client) forwardScript(cmd *command, addr string, args [][]byte) {
	r := c.srv.router
	eng := c.srv.scripting.get()
	switch cmd.name {
	case "eval", "eval_ro":
		eng.Load(args[1], true)
	}
	reply := r.Forward(addr, args, c.Proto())
	if (cmd.name == "evalsha" || cmd.name == "evalsha_ro") && bytes.HasPrefix(reply, []byte("-NOSCRIPT")) {
		if s := eng.Lookup(args[1]); s != nil {
			r.Forward(addr, [][]byte{[]byte("SCRIPT"), []byte("LOAD"), []byte(s.Body)}, 2)
			reply = r.Forward(addr, args, c.Proto())
		}
	}
	c.WriteRaw(reply)
}

// broadcastScriptCommand applies SCRIPT LOAD / SCRIPT FLUSH (and the
// FUNCTION commands that change the library set) to every other node of
// the cluster, waiting for each: once the client has the reply, an
// EVALSHA or FCALL routed to any node finds the script. Commands that
// came over a peer link are not passed on again.
func (c *client) broadcastScriptCommand(args [][]byte) []string {
	r := c.srv.router
	if r == nil || c.peerLink {
		return nil
	}
	var errs []string
	self := r.Cluster().ID()
	for _, m := range r.Cluster().Members() {
		if m.ID == self || m.RESPAddr == "" {
			continue
		}
		if reply := r.Forward(m.RESPAddr, args, 2); bytes.HasPrefix(reply, []byte("-")) {
			errs = append(errs, m.RESPAddr+": "+strings.TrimSpace(string(reply[1:])))
		}
	}
	return errs
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// readHeapObjects reads the bytes of heap objects (live, and dead ones
// not yet swept). Only script goroutines call it, one at a time per
// script, so each reads into its own sample.
func readHeapObjects() uint64 {
	s := []metrics.Sample{{Name: heapSample[0].Name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
