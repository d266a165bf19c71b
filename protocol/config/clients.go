package config

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client classes of client-output-buffer-limit, in Redis's order.
const (
	ClassNormal = iota
	ClassReplica
	ClassPubSub
	numClasses
)

var classNames = [numClasses]string{"normal", "slave", "pubsub"}

// OutputLimit is one class's client-output-buffer-limit: a client whose
// unsent replies pass Hard is closed at once, one that stays past Soft for
// SoftTime too. Zero means no limit.
type OutputLimit struct {
	Hard, Soft int64
	SoftTime   time.Duration
}

// outputLimits holds the three classes. Every connection reads them
// once per flush, so they are an atomically swapped value, not a lock
// all connections would share; CONFIG SET replaces the whole array.
type outputLimits struct {
	p atomic.Pointer[[numClasses]OutputLimit]
}

// OutputBufferLimit returns class's client-output-buffer-limit.
func (c *Config) OutputBufferLimit(class int) OutputLimit {
	if l := c.outputLimits.p.Load(); l != nil {
		return l[class]
	}
	return OutputLimit{}
}

func init() {
	Settings = append(Settings,
		&Setting{Name: "client-output-buffer-limit", Default: "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", Mutable: true,
			Usage: "per client class (normal, replica, pubsub): hard limit, soft limit and soft seconds on unsent replies; past them the client is closed (0 = none)",
			get: func(c *Config) string {
				var b strings.Builder
				for i, l := range c.outputLimitsAll() {
					if i > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(classNames[i] + " " + strconv.FormatInt(l.Hard, 10) + " " + strconv.FormatInt(l.Soft, 10) + " " + strconv.FormatInt(int64(l.SoftTime/time.Second), 10))
				}
				return b.String()
			},
			set: setOutputLimits},
	)
}

// setOutputLimits parses Redis's syntax: one or more "<class> <hard>
// <soft> <soft seconds>" groups; classes not named keep their limits.
func setOutputLimits(c *Config, v string) error {
	f := strings.Fields(v)
	if len(f)%4 != 0 {
		return errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	lim := c.outputLimitsAll()
	for i := 0; i < len(f); i += 4 {
		class := -1
		switch strings.ToLower(f[i]) {
		case "normal":
			class = ClassNormal
		case "slave", "replica":
			class = ClassReplica
		case "pubsub":
			class = ClassPubSub
		default:
			return errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, err1 := ParseSize(f[i+1])
		soft, err2 := ParseSize(f[i+2])
		secs, err3 := strconv.ParseInt(f[i+3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
			return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		lim[class] = OutputLimit{Hard: hard, Soft: soft, SoftTime: time.Duration(secs) * time.Second}
	}
	c.outputLimits.p.Store(&lim)
	return nil
}

// outputLimitsAll returns every class's limit.
func (c *Config) outputLimitsAll() [numClasses]OutputLimit {
	if l := c.outputLimits.p.Load(); l != nil {
		return *l
	}
	return [numClasses]OutputLimit{}
}
