//go:build unix

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// startLockWait bounds the wait for another process's start.
const startLockWait = 15 * time.Second

// lockStart makes starts on dir take turns: two processes starting at once
// on a new directory would otherwise both create its key pair. The loser
// waits for the winner, then finds its record and uses its sandbox.
func lockStart(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "start.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	for end := time.Now().Add(startLockWait); ; time.Sleep(20 * time.Millisecond) {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(end) {
			f.Close()
			return nil, fmt.Errorf("start sandbox: another cfsign is starting it and has not finished: %w", err)
		}
	}
}
