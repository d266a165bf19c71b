package config

import "fmt"

// maxclients may not be raised by CONFIG SET past what the descriptor
// limit holds (MaxClientsFit, set at start by cmd/cachesrv), with Redis's
// error: clients past it would wait in the kernel's queue for a
// descriptor instead of getting the max-clients error.
func init() {
	FindSetting("maxclients").apply = func(c *Config) error {
		if fit := c.MaxClientsFit.Load(); fit > 0 && c.MaxClients.Load() > fit {
			return fmt.Errorf("The operating system is not able to handle the specified number of clients, try with %d", fit)
		}
		return nil
	}
}
