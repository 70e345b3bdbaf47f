package termbg

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		v        string
		dark, ok bool
	}{
		{"", true, false},
		{"15;0", true, true},
		{"0;15", false, true},
		{"0;7", false, true},
		{"15;default;0", true, true},
		{"12;8", true, true},
		{"nonsense", true, false},
		{"1;99", true, false},
	} {
		dark, ok := FromEnv(func(string) string { return tc.v })
		if dark != tc.dark || ok != tc.ok {
			t.Errorf("COLORFGBG=%q: dark %v ok %v, want %v %v", tc.v, dark, ok, tc.dark, tc.ok)
		}
	}
}

func TestParseOSC11(t *testing.T) {
	for _, tc := range []struct {
		in       string
		dark, ok bool
	}{
		{"\x1b]11;rgb:0000/0000/0000\x1b\\", true, true},
		{"\x1b]11;rgb:ffff/ffff/ffff\x07", false, true},
		{"\x1b]11;rgb:fd/f6/e3\x1b\\", false, true}, // solarized light, 2 digits
		{"\x1b]11;rgb:2828/2c2c/3434\x1b\\", true, true},
		{"\x1b]11;?\x1b\\", false, false},
		{"", false, false},
		{"\x1b]11;rgb:zz/00/00\x07", false, false},
	} {
		dark, ok := parseOSC11(tc.in)
		if dark != tc.dark || ok != tc.ok {
			t.Errorf("parseOSC11(%q) = %v %v, want %v %v", tc.in, dark, ok, tc.dark, tc.ok)
		}
	}
}

// openPTY opens a pseudo-terminal pair: the terminal side (what a program
// gets as its tty) and the controller side (what the terminal emulator holds).
func openPTY(t *testing.T) (tty, ctl *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("TIOCGPTN: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("TIOCSPTLCK: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { tty.Close(); ctl.Close() })
	return tty, ctl
}

// A terminal that answers: the background is read from its OSC 11 answer,
// and the DSR answer after it is consumed too (nothing left to read as keys).
func TestQueryAnswered(t *testing.T) {
	tty, ctl := openPTY(t)
	go func() {
		buf := make([]byte, 64)
		var got string
		for !strings.Contains(got, "\x1b[6n") {
			n, err := ctl.Read(buf)
			if err != nil {
				return
			}
			got += string(buf[:n])
		}
		ctl.WriteString("\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[12;1R")
	}()
	dark, ok := query(tty, 2*time.Second)
	if !ok || dark {
		t.Fatalf("query = dark %v ok %v, want a light answer", dark, ok)
	}
	// Nothing of the answer is left for the app.
	fd := int(tty.Fd())
	var fds unix.FdSet
	fds.Set(fd)
	tv := unix.NsecToTimeval(int64(50 * time.Millisecond))
	if n, _ := unix.Select(fd+1, &fds, nil, nil, &tv); n > 0 {
		t.Error("part of the answer was left unread, for the app to take as keys")
	}
}

// A terminal that never answers: query gives up (ok false) instead of
// waiting like termenv's 5 s.
func TestQueryNeverAnswered(t *testing.T) {
	tty, ctl := openPTY(t)
	go func() { // drain what is sent, answer nothing
		buf := make([]byte, 64)
		for {
			if _, err := ctl.Read(buf); err != nil {
				return
			}
		}
	}()
	if _, ok := query(tty, 100*time.Millisecond); ok {
		t.Fatal("query reported an answer from a silent terminal")
	}
}
