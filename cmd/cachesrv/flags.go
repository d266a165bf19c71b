package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// envName is the environment variable that sets a flag: CACHESRV_ and the
// flag's name in upper snake case.
func envName(flagName string) string {
	return "CACHESRV_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingFlag adapts a config.Setting to flag.Value.
type settingFlag struct {
	s   *config.Setting
	cfg *config.Config
}

func (f settingFlag) String() string {
	if f.s == nil {
		return ""
	}
	return f.s.Default
}
func (f settingFlag) Set(v string) error { return f.s.Set(f.cfg, v) }

// parseConfig builds the configuration from defaults, then environment
// variables, then flags.
func parseConfig(args []string, stderr io.Writer) (*config.Config, bool, error) {
	cfg, showVersion, _, err := parseFlags(args, stderr)
	return cfg, showVersion, err
}

// parseFlags is parseConfig that also returns the names of the settings
// given as flags (for secretsOnCommandLine), and reads the secret files.
func parseFlags(args []string, stderr io.Writer) (cfg *config.Config, showVersion bool, given []string, err error) {
	cfg = config.New()
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// A configuration file first, as redis-server takes one: the
		// environment and the flags then override it.
		if err := cfg.LoadFile(args[0]); err != nil {
			return nil, false, nil, err
		}
		args = args[1:]
	}
	fs := flag.NewFlagSet("cachesrv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.Bool("version", false, "print the version and exit")
	for _, s := range config.Settings {
		fs.Var(settingFlag{s, cfg}, s.Name, s.Usage)
		if v, ok := os.LookupEnv(envName(s.Name)); ok {
			if err := s.Set(cfg, v); err != nil {
				return nil, false, nil, fmt.Errorf("%s: %w", envName(s.Name), err)
			}
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cachesrv [config-file] [flags]\n\nA sharded in-memory cache server speaking the Redis protocol.\n"+
			"Sizes take Redis's units (100mb, 1gb). The config file takes the flags'\n"+
			"names as directives, in redis.conf's syntax (CONFIG REWRITE writes it\n"+
			"back). Every flag can also be set by the environment variable shown;\n"+
			"a variable wins over the file, a flag over both.\n\n")
		for _, s := range config.Settings {
			def := s.Default
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(stderr, "  --%s (default %s, env %s)\n      %s\n", s.Name, def, envName(s.Name), s.Usage)
		}
		fmt.Fprintf(stderr, "  --version\n      print the version and exit\n")
		fmt.Fprintf(stderr, "\nSubcommands:\n  cachesrv top [-h host] [-p port] [-a password]\n      live view of a running server (cachesrv top --help)\n"+
			"  cachesrv healthcheck [--url URL | --ready]\n      exit 0 if a running server's /healthz answers 200 (for container health checks)\n")
	}
	if err := fs.Parse(boolFlagsWithValues(args)); err != nil {
		return nil, false, nil, err
	}
	if fs.NArg() > 0 {
		return nil, false, nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.LoadSecretFiles(); err != nil {
		return nil, false, nil, err
	}
	fs.Visit(func(f *flag.Flag) { given = append(given, f.Name) })
	return cfg, *version, given, nil
}

// secretsOnCommandLine logs a warning for each secret given as a flag:
// the command line is readable by every local user (ps, /proc/PID/cmdline),
// while a file or the environment (/proc/PID/environ) is the owner's only.
func secretsOnCommandLine(given []string, log *slog.Logger) {
	for _, name := range given {
		if file, ok := config.SecretFlags[name]; ok {
			log.Warn("--"+name+" on the command line is visible to every local user (ps); give it with --"+file+" or the environment variable "+envName(name)+" instead",
				"flag", "--"+name)
		}
	}
}

// boolFlagsWithValues rewrites the flags of boolean settings into the
// --name=value form, so that they read as Redis's directives do and the
// same way as in the environment and CONFIG SET: `--cluster yes` and
// `--cluster no` take the next argument, and a bare `--cluster` means
// yes. The flag package alone can give a flag either a bare form or a
// separate value, not both. Values of other flags pass untouched, even
// one that looks like a flag.
func boolFlagsWithValues(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			return append(out, args[i:]...) // the flag package stops here too
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		s := config.FindSetting(name)
		switch {
		case s == nil || hasValue:
			out = append(out, a)
		case !s.Bool:
			out = append(out, a)
			if i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
		case i+1 < len(args) && isYesNo(args[i+1]):
			out = append(out, a+"="+args[i+1])
			i++
		default:
			out = append(out, a+"=yes")
		}
	}
	return out
}

func isYesNo(v string) bool { return strings.EqualFold(v, "yes") || strings.EqualFold(v, "no") }
