//go:build unix

package lab

import "syscall"

// openFileLimit is this process's soft limit of open files (RLIMIT_NOFILE).
func openFileLimit() (uint64, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	return lim.Cur, true
}
