package termbg

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
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
func readSome(t *testing.T, in *Input) string {
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

func TestSplit(t *testing.T) {
	light, dark := false, true
	for _, tc := range []struct {
		in, keys string
		rest     *string // nil: the answer ended
		bg       *bool
	}{
		{in: "abc", keys: "abc", rest: ptr("")},
		{in: "\x1b]11;rgb:0000/0000/0000\x07\x1b[3;1R", keys: "", bg: &dark},
		{in: "x\x1b]11;rgb:ffff/ffff/ffff\x1b\\y\x1b[3;1Rz", keys: "xyz", bg: &light},
		{in: "\x1b[24;80R\x1b]11;rgb:0/0/0\x07", keys: "\x1b]11;rgb:0/0/0\x07"}, // after the end, all keys
		{in: "\x1b", keys: "\x1b", rest: ptr("")},                               // Esc is a key at once
		{in: "\x1b]", keys: "", rest: ptr("\x1b]")},                             // maybe an answer's start
		{in: "a\x1b]11;rgb:ff", keys: "a", rest: ptr("\x1b]11;rgb:ff")},
		{in: "\x1b]11;rgb:ffff/ffff/ffff\x1b", keys: "", rest: ptr("\x1b]11;rgb:ffff/ffff/ffff\x1b")},
		{in: "\x1b]12;x\x07", keys: "\x1b]12;x\x07", rest: ptr("")},
		{in: "\x1b[24", keys: "", rest: ptr("\x1b[24")},
		{in: "\x1b[A\x1b[B", keys: "\x1b[A\x1b[B", rest: ptr("")},
		{in: "\x1b[200~paste\x1b[201~", keys: "\x1b[200~paste\x1b[201~", rest: ptr("")},
		{in: "\x1b[<0;10;5M", keys: "\x1b[<0;10;5M", rest: ptr("")},
		{in: "\x1b]11;?\x07\x1b[1;1R", keys: ""}, // an answer without a colour
	} {
		keys, rest, bg := split([]byte(tc.in))
		if string(keys) != tc.keys {
			t.Errorf("split(%q) keys %q, want %q", tc.in, keys, tc.keys)
		}
		if (rest == nil) != (tc.rest == nil) || rest != nil && string(rest) != *tc.rest {
			t.Errorf("split(%q) rest %q (nil %v), want %v", tc.in, rest, rest == nil, tc.rest)
		}
		if (bg == nil) != (tc.bg == nil) || bg != nil && *bg != *tc.bg {
			t.Errorf("split(%q) background %v, want %v", tc.in, bg, tc.bg)
		}
	}
}

func ptr(s string) *string { return &s }
