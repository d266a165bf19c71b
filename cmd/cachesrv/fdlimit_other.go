//go:build !unix

package main

import "errors"

func openFilesLimit() (cur, hard uint64, err error) {
	return 0, 0, errors.New("no RLIMIT_NOFILE on this platform")
}

func setOpenFilesLimit(cur, hard uint64) error { return errors.ErrUnsupported }
