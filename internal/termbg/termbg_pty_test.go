//go:build unix

package termbg

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/testenv"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/cancelreader"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the terminal side (what a program
// gets as its tty) and the controller side (what the terminal emulator holds).
func openPTY(t *testing.T) (tty, ctl *os.File) {
	ctl, tty = testenv.PTY(t)
	return tty, ctl
}

// answerOn waits for the query on ctl (the terminal emulator's side) and
// answers it with answer.
func answerOn(ctl *os.File, answer string) {
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
		ctl.WriteString(answer)
	}()
}

// drain reads what is sent to the terminal and answers nothing.
func drain(ctl *os.File) {
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := ctl.Read(buf); err != nil {
				return
			}
		}
	}()
}

// A terminal that answers in time: the background is read from its OSC 11
// answer, and the DSR answer after it is consumed too (nothing left to read
// as keys); the app reads the terminal itself.
func TestDetectAnswered(t *testing.T) {
	t.Setenv("COLORFGBG", "")
	tty, ctl := openPTY(t)
	lipgloss.SetHasDarkBackground(true)
	answerOn(ctl, "\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[12;1R")
	if in := Detect(tty, tty, 2*time.Second, nil); in != nil {
		t.Fatalf("Detect returned an input to read: %+v", in)
	}
	if lipgloss.HasDarkBackground() {
		t.Fatal("the light answer was not applied")
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

// A terminal that never answers: Detect gives up after its wait (not
// termenv's 5 s), and the input it returns passes keys through.
func TestDetectNeverAnswered(t *testing.T) {
	t.Setenv("COLORFGBG", "")
	tty, ctl := openPTY(t)
	drain(ctl)
	start := time.Now()
	in := Detect(tty, tty, 100*time.Millisecond, func(bool) { t.Error("an answer from a silent terminal") })
	if took := time.Since(start); took > time.Second {
		t.Errorf("Detect took %s", took)
	}
	if in == nil {
		t.Fatal("no input: a late answer would be read as keys")
	}
	rawForApp(t, tty)
	ctl.WriteString("q")
	if got := readSome(t, in); got != "q" {
		t.Errorf("read %q, want the key q", got)
	}
	// Bubble Tea's wait for input on it can be cancelled, as tea.Exec
	// needs (a read left blocked took the first key meant for the program
	// it runs, as the full-URL screen's "any key").
	r, err := cancelreader.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Cancel() {
		t.Error("a read of the app's input cannot be cancelled")
	}
}

// rawForApp puts tty in raw mode, as Bubble Tea does once it runs.
func rawForApp(t *testing.T, tty *os.File) {
	t.Helper()
	state, err := term.MakeRaw(tty.Fd())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Restore(tty.Fd(), state) })
}

// readSome reads from in until it returns bytes (a read that took only an
// answer out returns none).
func readSome(t *testing.T, in io.Reader) string {
	t.Helper()
	buf := make([]byte, 256)
	for range 20 {
		n, err := in.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return string(buf[:n])
		}
	}
	t.Fatal("no keys after 20 reads")
	return ""
}

// An answer that comes after the first frame, in pieces, between keys: the
// app reads the keys only, and the colour reaches it.
func TestLateAnswerIsNotReadAsKeys(t *testing.T) {
	t.Setenv("COLORFGBG", "")
	tty, ctl := openPTY(t)
	drain(ctl)
	lipgloss.SetHasDarkBackground(true)
	late := make(chan bool, 1)
	in := Detect(tty, tty, 20*time.Millisecond, func(dark bool) { late <- dark })
	if in == nil {
		t.Fatal("no input")
	}
	rawForApp(t, tty)
	var keys strings.Builder
	for _, chunk := range []string{"j", "\x1b]11;rgb:fd", "fd/f6f6/e3e3\x1b", "\\", "\x1b[40;1", "R", "k\x1b[A"} {
		// One chunk a read, as a slow link delivers them.
		ctl.WriteString(chunk)
		buf := make([]byte, 256)
		n, err := in.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		keys.Write(buf[:n])
	}
	if got := keys.String(); got != "jk\x1b[A" {
		t.Errorf("keys %q, want j, k and up", got)
	}
	select {
	case dark := <-late:
		if dark {
			t.Error("the light answer came as dark")
		}
	default:
		t.Error("the late answer's colour was not handed on")
	}
	if lipgloss.HasDarkBackground() != true {
		t.Error("Detect changed the background itself from a late answer; the app does, as it redraws")
	}
}
