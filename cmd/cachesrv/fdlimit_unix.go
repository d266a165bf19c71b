//go:build unix

package main

import "syscall"

// openFilesLimit returns the soft and hard RLIMIT_NOFILE.
func openFilesLimit() (cur, hard uint64, err error) {
	var l syscall.Rlimit
	err = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	return uint64(l.Cur), uint64(l.Max), err
}

// setOpenFilesLimit sets the soft RLIMIT_NOFILE, keeping the hard one.
func setOpenFilesLimit(cur, hard uint64) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: cur, Max: hard})
}
