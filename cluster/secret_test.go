package cluster

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	for bind, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.2": true, "::1": true,
		"": false, "0.0.0.0": false, "::": false, "10.1.2.3": false, "2001:db8::1": false,
		"localhost": false, // a name is not resolved: memberlist binds every interface for it
	} {
		if got := LoopbackOnly(bind); got != want {
			t.Errorf("LoopbackOnly(%q) = %v, want %v", bind, got, want)
		}
	}
}

// TestStartRefusesReachableGossipWithoutSecret: a node whose gossip other
// hosts could reach does not start without a secret unless told to, and
// then warns. The addresses are documentation ones this host does not
// have, so nothing is ever bound: past the check, Start fails to bind.
func TestStartRefusesReachableGossipWithoutSecret(t *testing.T) {
	for _, bind := range []string{"192.0.2.1", "2001:db8::1"} {
		cfg := Config{AdvertiseAddr: "127.0.0.1:6379", BindAddr: bind}
		c, err := Start(cfg)
		if err == nil {
			c.Shutdown()
		}
		if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), bind) {
			t.Errorf("gossip on %s without a secret: err = %v, want ErrNoSecret naming the address", bind, err)
		}

		// Start fails to bind before memberlist starts a goroutine, so the
		// log is written by this goroutine alone.
		var log bytes.Buffer
		cfg.AllowInsecure, cfg.Logger = true, slog.New(slog.NewTextHandler(&log, nil))
		if c, err = Start(cfg); err == nil {
			c.Shutdown()
		}
		if errors.Is(err, ErrNoSecret) || !strings.Contains(log.String(), "INSECURE CLUSTER") {
			t.Errorf("gossip on %s, insecure allowed: err = %v, log %q; want past the check, with a warning", bind, err, log.String())
		}

		cfg.AllowInsecure, cfg.SecretKey = false, []byte("correct horse")
		if c, err = Start(cfg); err == nil {
			c.Shutdown()
		}
		if errors.Is(err, ErrNoSecret) {
			t.Errorf("gossip on %s with a secret refused: %v", bind, err)
		}
	}
}

// TestPeerKey: the peer key is the same for the same secret, absent
// without one, and not the gossip key.
func TestPeerKey(t *testing.T) {
	a := startNode(t, "node-a", func(cfg *Config) { cfg.SecretKey = []byte("correct horse") })
	b := startNode(t, "node-b", func(cfg *Config) { cfg.SecretKey = []byte("correct horse") })
	c := startNode(t, "node-c", func(cfg *Config) { cfg.SecretKey = []byte("battery staple") })
	d := startNode(t, "node-d")
	gossipKey := sha256.Sum256([]byte("correct horse"))
	switch {
	case len(a.PeerKey()) != sha256.Size || !bytes.Equal(a.PeerKey(), b.PeerKey()):
		t.Errorf("same secret, peer keys %x and %x", a.PeerKey(), b.PeerKey())
	case bytes.Equal(a.PeerKey(), c.PeerKey()):
		t.Error("different secrets, same peer key")
	case d.PeerKey() != nil:
		t.Errorf("no secret, peer key %x", d.PeerKey())
	case bytes.Equal(a.PeerKey(), gossipKey[:]):
		t.Error("the peer key is the gossip key")
	}
}
