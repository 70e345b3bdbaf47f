//go:build unix

package termbg

import (
	"os"
	"time"

	"github.com/charmbracelet/x/term"
	"golang.org/x/sys/unix"
)

// ask sends OSC 11 (background colour) and then DSR (cursor position),
// which every terminal answers, in order, on out, and reads in for up to
// wait or until the DSR answer came, in raw mode so that nothing is echoed.
// It returns what it read: the answer, or its start, and any keys typed.
func ask(in, out *os.File, wait time.Duration) (got []byte, asked bool) {
	fd := int(in.Fd())
	state, err := term.MakeRaw(in.Fd())
	if err != nil {
		return nil, false
	}
	defer term.Restore(in.Fd(), state)
	if _, err := out.WriteString("\x1b]11;?\x1b\\\x1b[6n"); err != nil {
		return nil, false
	}
	deadline := time.Now().Add(wait)
	buf := make([]byte, maxAnswer)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return got, true
		}
		var fds unix.FdSet
		fds.Set(fd)
		tv := unix.NsecToTimeval(left.Nanoseconds())
		n, err := unix.Select(fd+1, &fds, nil, nil, &tv)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return got, true
		}
		m, err := unix.Read(fd, buf)
		if err != nil || m <= 0 {
			return got, true
		}
		got = append(got, buf[:m]...)
		if _, rest, _ := split(got); rest == nil {
			return got, true // the DSR answer came
		}
	}
}
