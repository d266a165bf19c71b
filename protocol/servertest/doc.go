// Package servertest holds what the module's tests share to start
// servers: free loopback ports, the rule for tests that need Redis's own
// programs, a real redis-server, the race detector flag, and serving a
// server on a free port for the length of a test.
//
// It imports no package of this module, so that the tests of every
// package, protocol's and store's own included, can use it without an
// import cycle. Benchmark programs use FindFreePorts too, since they
// start servers on free ports the same way.
package servertest
