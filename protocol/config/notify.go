package config

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
)

// NotifyConfig holds the settings of keyspace notifications and
// client-side caching, read on every write without a lock.
type NotifyConfig struct {
	// KeyspaceEvents is notify-keyspace-events as a bit set: one bit per
	// class letter (EventClass), plus EventKeyspace and EventKeyevent.
	KeyspaceEvents atomic.Uint32
	// TrackingTableMaxKeys is tracking-table-max-keys: how many keys the
	// client-side caching table remembers before it drops some, sending
	// their clients an invalidation; 0 = no limit.
	TrackingTableMaxKeys atomic.Int64
}

// Keyspace notification bits. The class letters are Redis's; K and E
// choose the channels (__keyspace@0__:key, __keyevent@0__:event).
const (
	EventGeneric  uint32 = 1 << iota // g
	EventString                      // $
	EventList                        // l
	EventSet                         // s
	EventHash                        // h
	EventZset                        // z
	EventExpired                     // x
	EventEvicted                     // e
	EventStream                      // t
	EventModule                      // d
	EventKeyMiss                     // m
	EventNew                         // n
	EventKeyspace                    // K
	EventKeyevent                    // E

	// EventAll is what "A" stands for: every class but m and n.
	EventAll = EventGeneric | EventString | EventList | EventSet | EventHash | EventZset |
		EventExpired | EventEvicted | EventStream | EventModule
)

// classLetters maps each class bit, in the order Redis prints them, to
// its letter.
var classLetters = []struct {
	bit    uint32
	letter byte
}{
	{EventGeneric, 'g'}, {EventString, '$'}, {EventList, 'l'}, {EventSet, 's'}, {EventHash, 'h'},
	{EventZset, 'z'}, {EventExpired, 'x'}, {EventEvicted, 'e'}, {EventStream, 't'}, {EventModule, 'd'},
	{EventNew, 'n'},
}

// EventClass returns the bit of a class letter, 0 for none.
func EventClass(letter byte) uint32 {
	switch letter {
	case 'm':
		return EventKeyMiss
	case 'K':
		return EventKeyspace
	case 'E':
		return EventKeyevent
	case 'A':
		return EventAll
	}
	for _, c := range classLetters {
		if c.letter == letter {
			return c.bit
		}
	}
	return 0
}

// ParseKeyspaceEvents parses notify-keyspace-events as Redis does.
func ParseKeyspaceEvents(s string) (uint32, error) {
	var flags uint32
	for i := 0; i < len(s); i++ {
		bit := EventClass(s[i])
		if bit == 0 {
			return 0, errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
		flags |= bit
	}
	return flags, nil
}

// FormatKeyspaceEvents prints flags as CONFIG GET does: "A" for all the
// classes it stands for (or the letters of each class), then K, E and m.
func FormatKeyspaceEvents(flags uint32) string {
	var b strings.Builder
	if flags&EventAll == EventAll {
		b.WriteByte('A') // n is not printed after A (Redis 7.0 does the same)
	} else {
		for _, c := range classLetters {
			if flags&c.bit != 0 {
				b.WriteByte(c.letter)
			}
		}
	}
	if flags&EventKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&EventKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&EventKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

func init() {
	Settings = append(Settings,
		&Setting{Name: "notify-keyspace-events", Default: "", Mutable: true,
			Usage: "keyspace notifications: Redis's class letters (K, E, g$lshzxetdmn, A); empty = off",
			get:   func(c *Config) string { return FormatKeyspaceEvents(c.Notify.KeyspaceEvents.Load()) },
			set: func(c *Config, v string) error {
				f, err := ParseKeyspaceEvents(v)
				if err == nil {
					c.Notify.KeyspaceEvents.Store(f)
				}
				return err
			}},
		&Setting{Name: "tracking-table-max-keys", Default: "1000000", Mutable: true,
			Usage: "keys client-side caching remembers before it invalidates some to make room (0 = no limit)",
			get:   func(c *Config) string { return strconv.FormatInt(c.Notify.TrackingTableMaxKeys.Load(), 10) },
			set:   intSetting(func(c *Config, n int64) { c.Notify.TrackingTableMaxKeys.Store(n) }, 0, 1<<62)},
	)
}
