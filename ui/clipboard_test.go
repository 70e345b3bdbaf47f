package ui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Helpers shared by the upload, sign and setup view tests (prefix vt).

func init() {
	lipgloss.SetColorProfile(termenv.Ascii)
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

// vtClock is the fixed clock of the view tests, shown in a fixed zone.
var (
	vtNow  = time.Date(2026, 11, 29, 21, 39, 16, 0, time.UTC)
	vtZone = time.FixedZone("CET", 3600)
)

// vtStatic stops cursors blinking so commands hold no timers.
func vtStatic(ins ...*textinput.Model) {
	for _, in := range ins {
		in.Cursor.SetMode(cursor.CursorStatic)
	}
}

// vtRun runs cmd and every command of a batch, depth first, returning the
// messages. Only use it on commands that finish without timers.
func vtRun(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, vtRun(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// vtKey is the key message a user's key press sends.
func vtKey(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+g":
		return tea.KeyMsg{Type: tea.KeyCtrlG}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "ctrl+r":
		return tea.KeyMsg{Type: tea.KeyCtrlR}
	case "ctrl+p":
		return tea.KeyMsg{Type: tea.KeyCtrlP}
	case "ctrl+t":
		return tea.KeyMsg{Type: tea.KeyCtrlT}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// vtType sends each rune of s as its own key press.
func vtType(v view, s string) []tea.Cmd {
	var cmds []tea.Cmd
	for _, r := range s {
		_, c := v.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		cmds = append(cmds, c)
	}
	return cmds
}

// vtFind returns the first message of type T.
func vtFind[T any](msgs []tea.Msg) (T, bool) {
	for _, m := range msgs {
		if t, ok := m.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

// fakeClip records what the clipboard layers were given.
type fakeClip struct {
	nativeErr error
	native    []string
	term      bytes.Buffer
	tty       bool
	env       map[string]string
}

func (f *fakeClip) writer() clipboardWriter {
	return clipboardWriter{
		native: func(s string) error {
			f.native = append(f.native, s)
			return f.nativeErr
		},
		terminal: &f.term,
		isTTY:    func() bool { return f.tty },
		getenv:   func(k string) string { return f.env[k] },
	}
}

func TestClipboardFallbackOrder(t *testing.T) {
	broken := errors.New("exec: \"xclip\": executable file not found in $PATH")
	tests := []struct {
		name       string
		nativeErr  error
		tty        bool
		env        map[string]string
		want       string
		wantNative int  // native attempts
		wantOSC    bool // OSC 52 written
	}{
		{"native works", nil, true, nil, copiedNative, 1, false},
		{"native fails, OSC 52 on a terminal", broken, true, nil, copiedOSC52, 1, true},
		{"native fails, not a terminal", broken, false, nil, "", 1, false},
		{"native fails, dumb terminal", broken, true, map[string]string{"TERM": "dumb"}, "", 1, false},
		{"ssh prefers OSC 52", nil, true, map[string]string{"SSH_TTY": "/dev/pts/1"}, copiedOSC52, 0, true},
		{"ssh connection prefers OSC 52", nil, true, map[string]string{"SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 5000"}, copiedOSC52, 0, true},
		{"ssh without a terminal tries native last", nil, false, map[string]string{"SSH_TTY": "/dev/pts/1"}, copiedNative, 1, false},
		{"ssh, nothing works", broken, false, map[string]string{"SSH_TTY": "/dev/pts/1"}, "", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeClip{nativeErr: tc.nativeErr, tty: tc.tty, env: tc.env}
			got, err := f.writer().copy("https://d.example/a?Signature=x")
			if got != tc.want {
				t.Errorf("method = %q, want %q", got, tc.want)
			}
			if (err != nil) != (tc.want == "") {
				t.Errorf("err = %v", err)
			}
			if len(f.native) != tc.wantNative {
				t.Errorf("native attempts = %d, want %d", len(f.native), tc.wantNative)
			}
			if (f.term.Len() > 0) != tc.wantOSC {
				t.Errorf("OSC 52 written = %q, want written=%v", f.term.String(), tc.wantOSC)
			}
		})
	}
}

func TestClipboardOSC52Sequence(t *testing.T) {
	f := &fakeClip{nativeErr: errors.New("no xclip"), tty: true}
	text := "https://a/1\nhttps://a/2"
	if _, err := f.writer().copy(text); err != nil {
		t.Fatal(err)
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
	if f.term.String() != want {
		t.Fatalf("OSC 52 = %q, want %q", f.term.String(), want)
	}
}

func TestClipboardStatusSaysWhichWorked(t *testing.T) {
	f := &fakeClip{nativeErr: errors.New("no xclip"), tty: true}
	msg, _ := vtFind[statusMsg](vtRun(copyCmd(f.writer(), "u", "the URL", false)))
	if msg.err || !strings.Contains(msg.text, "OSC 52") {
		t.Fatalf("status = %+v, want an OSC 52 notice", msg)
	}
	f = &fakeClip{nativeErr: errors.New("no xclip"), tty: false}
	msg, _ = vtFind[statusMsg](vtRun(copyCmd(f.writer(), "u", "the URL", false)))
	if !msg.err || !strings.Contains(msg.text, "by hand") {
		t.Fatalf("status = %+v, want a copy-by-hand error", msg)
	}
}

func TestOpenURLCommand(t *testing.T) {
	found := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, m := range names {
				if m == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	u := "https://d.example/a.txt?Signature=x"
	tests := []struct {
		name     string
		goos     string
		env      map[string]string
		path     []string
		wantName string
		wantArgs []string
		wantErr  bool
	}{
		{"linux with display", "linux", map[string]string{"DISPLAY": ":0"}, []string{"xdg-open"}, "xdg-open", []string{u}, false},
		{"linux headless", "linux", nil, []string{"xdg-open"}, "", nil, true},
		{"linux no xdg-open", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, nil, "", nil, true},
		{"BROWSER with %s", "linux", map[string]string{"BROWSER": "firefox --new-tab %s"}, []string{"firefox"}, "firefox", []string{"--new-tab", u}, false},
		{"BROWSER list, first missing", "linux", map[string]string{"BROWSER": "nope:chromium"}, []string{"chromium"}, "chromium", []string{u}, false},
		{"macOS", "darwin", nil, nil, "open", []string{u}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var started []string
			o := urlOpener{goos: tc.goos, getenv: func(k string) string { return tc.env[k] }, lookPath: found(tc.path...),
				start: func(name string, args ...string) error { started = append([]string{name}, args...); return nil }}
			err := o.open(u)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				if !errors.Is(err, errNoBrowser) || started != nil {
					t.Fatalf("err = %v, started %v", err, started)
				}
				return
			}
			want := append([]string{tc.wantName}, tc.wantArgs...)
			if strings.Join(started, " ") != strings.Join(want, " ") {
				t.Fatalf("started %q, want %q", started, want)
			}
		})
	}
	o := urlOpener{goos: "darwin", getenv: func(string) string { return "" }, lookPath: found(), start: func(string, ...string) error { return nil }}
	if err := o.open("file:///etc/passwd"); err == nil {
		t.Fatal("opened a non-web URL")
	}
	msg, _ := vtFind[urlOpenedMsg](vtRun(openURLCmd(urlOpener{goos: "linux", getenv: func(string) string { return "" }, lookPath: found()}, u)))
	if !msg.status.err || !strings.Contains(msg.status.text, "No browser found") || !msg.noBrowser {
		t.Fatalf("answer = %+v", msg)
	}
}

// Inside tmux with its default set-clipboard (external), an application's
// OSC 52 never lands, so copying goes through tmux itself (load-buffer -w):
// the text is in tmux's buffer, and the status says whether tmux passes it
// on to the outer terminal or how to let it. A real tmux server.
func TestClipboardTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux not found (required in CI)")
		}
		t.Skip("tmux not found")
	}
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-S", sock, "-f", os.DevNull}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v %s", args, err, out)
		}
		return string(out)
	}
	run("new-session", "-d", "-x", "80", "-y", "24")
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })
	t.Setenv("TMUX", sock+",1,0") // what tmux sets inside its panes
	c := clipboardWriter{
		native:   func(string) error { return errors.New("no xclip") },
		terminal: &bytes.Buffer{},
		isTTY:    func() bool { return true },
		getenv:   os.Getenv,
		tmux:     tmuxLoadBuffer,
	}
	for _, tc := range []struct {
		setting, want string
	}{
		{"", copiedTmux}, // tmux's default: external
		{"off", copiedTmuxLocal},
	} {
		if tc.setting != "" {
			run("set", "-g", "set-clipboard", tc.setting)
		}
		text := "https://d.example/a.txt?Signature=" + tc.setting
		method, err := c.copy(text)
		if err != nil || method != tc.want {
			t.Errorf("set-clipboard %q: copied via %q (%v), want %q", tc.setting, method, err, tc.want)
		}
		if got := run("show-buffer"); got != text {
			t.Errorf("set-clipboard %q: tmux buffer %q, want the text", tc.setting, got)
		}
	}
	msg := copyCmd(c, "x", "the URL", false)().(statusMsg)
	if msg.err || !strings.Contains(msg.text, "tmux buffer only") || !strings.Contains(msg.text, "set-clipboard on") {
		t.Errorf("status %+v should say the copy stayed in tmux and how to pass it on", msg)
	}
}
