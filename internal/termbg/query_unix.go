//go:build unix

package termbg

import (
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"golang.org/x/sys/unix"
)

// query sends OSC 11 (background colour) and then DSR (cursor position),
// which every terminal answers, in order: reading up to the DSR answer
// consumes the whole reply, so none of it is left for the app to read as
// keys. It gives up after timeout.
func query(f *os.File, timeout time.Duration) (dark, ok bool) {
	fd := int(f.Fd())
	state, err := term.MakeRaw(f.Fd())
	if err != nil {
		return false, false
	}
	defer term.Restore(f.Fd(), state)
	if _, err := f.WriteString("\x1b]11;?\x1b\\\x1b[6n"); err != nil {
		return false, false
	}
	deadline := time.Now().Add(timeout)
	var got strings.Builder
	buf := make([]byte, 256)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, false
		}
		var fds unix.FdSet
		fds.Set(fd)
		tv := unix.NsecToTimeval(left.Nanoseconds())
		n, err := unix.Select(fd+1, &fds, nil, nil, &tv)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return false, false
		}
		m, err := unix.Read(fd, buf)
		if err != nil || m <= 0 {
			return false, false
		}
		got.Write(buf[:m])
		s := got.String()
		if i := strings.Index(s, "\x1b["); i >= 0 && strings.Contains(s[i:], "R") {
			// The DSR answer came: the OSC answer, if any, came before it.
			return parseOSC11(s[:i])
		}
	}
}
