package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
)

// btApp is the root driven at the Update level.
type btApp struct {
	t    *testing.T
	m    *root
	quit bool
}

func newBTApp(t *testing.T, deps Deps, w, h int) *btApp {
	a := &btApp{t: t, m: newApp(deps, btEnv())}
	a.send(tea.WindowSizeMsg{Width: w, Height: h})
	a.run(a.m.Init())
	return a
}

func (a *btApp) run(cmd tea.Cmd) {
	a.t.Helper()
	btDrive(a.t, func(msg tea.Msg) tea.Cmd {
		if _, ok := msg.(tea.QuitMsg); ok {
			a.quit = true
			return nil
		}
		_, c := a.m.Update(msg)
		return c
	}, cmd)
}

func (a *btApp) send(msg tea.Msg) {
	a.t.Helper()
	_, cmd := a.m.Update(msg)
	a.run(cmd)
}

func (a *btApp) press(keys ...string) {
	a.t.Helper()
	for _, k := range keys {
		for _, msg := range btKeys(k) {
			a.send(msg)
		}
	}
}

func btDeps(l Lister) Deps {
	return Deps{Lister: l, Sandbox: true, Settings: app.Literal(config.Settings{Bucket: "media", Region: "us-east-1"})}
}

func TestAppQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 80, 24)
		a.press(k)
		if !a.quit {
			t.Errorf("%s did not quit", k)
		}
	}
	// While the filter has focus q types; ctrl+c still quits.
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 80, 24)
	a.press("/", "q")
	if a.quit || a.m.browser.list.pattern != "q" {
		t.Fatalf("q in the filter: quit=%v pattern=%q", a.quit, a.m.browser.list.pattern)
	}
	a.press("?")
	if a.m.help.ShowAll || a.m.browser.list.pattern != "q?" {
		t.Fatalf("? in the filter toggled help or was lost: pattern %q", a.m.browser.list.pattern)
	}
	a.press("ctrl+c")
	if !a.quit {
		t.Fatal("ctrl+c did not quit from the filter")
	}
}

// TestAppHelpWhileTyping: while a text input has focus q, ? and K type, so
// help offers ctrl+c instead of them (help never lies), short and full.
func TestAppHelpWhileTyping(t *testing.T) {
	focus := []struct {
		name  string
		focus func(a *btApp)
	}{
		{"browser filter", func(a *btApp) { a.press("/") }},
		{"upload path", func(a *btApp) { a.press("u") }},
		{"setup field", func(a *btApp) { a.press("K") }},
		{"sign field", func(a *btApp) {
			a.press("down", "down", "s")
			for i := 0; i < 12 && !a.m.inputFocused(); i++ {
				a.press("tab")
			}
		}},
	}
	for _, tc := range focus {
		for _, full := range []bool{false, true} {
			a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 100, 30)
			if full {
				a.press("?")
			}
			tc.focus(a)
			if !a.m.inputFocused() {
				t.Fatalf("%s: no text input has focus on %T", tc.name, a.m.cur)
			}
			footer := a.m.footer()
			if !strings.Contains(footer, "ctrl+c quit") {
				t.Errorf("%s (full %v): footer lacks ctrl+c quit:\n%s", tc.name, full, footer)
			}
			for _, lie := range []string{"q quit", "? help", "K setup"} {
				if strings.Contains(footer, lie) {
					t.Errorf("%s (full %v): footer offers %q while typing:\n%s", tc.name, full, lie, footer)
				}
			}
			cur := a.m.cur
			a.press("q?K")
			if a.quit || a.m.cur != cur || a.m.help.ShowAll != full {
				t.Errorf("%s: q?K acted instead of typing (quit %v, view %T, full help %v)", tc.name, a.quit, a.m.cur, a.m.help.ShowAll)
			}
			btCheckFrame(t, a.m.View(), 100, 30)
			a.press("ctrl+c")
			if !a.quit {
				t.Errorf("%s: ctrl+c did not quit", tc.name)
			}
		}
	}

	// Not typing: q and ? are back; the full help adds K, except on setup.
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 100, 30)
	if f := a.m.footer(); !strings.Contains(f, "? help") || !strings.Contains(f, "q quit") || strings.Contains(f, "ctrl+c") {
		t.Errorf("browser footer:\n%s", f)
	}
	a.press("?")
	if f := a.m.footer(); !strings.Contains(f, "K setup") || !strings.Contains(f, "q quit") {
		t.Errorf("browser full help lacks K or q:\n%s", f)
	}
	a.press("K")
	sv, ok := a.m.cur.(*setupView)
	if !ok {
		t.Fatalf("K opened %T", a.m.cur)
	}
	sv.focus = setupPanel // the key panel: no text input has focus
	if a.m.inputFocused() {
		t.Fatal("setup's key panel still reports a focused input")
	}
	if f := a.m.footer(); strings.Contains(f, "K setup") || !strings.Contains(f, "q quit") || !strings.Contains(f, "? help") {
		t.Errorf("setup full help offers K on setup, or lacks q/?:\n%s", f)
	}
	sv.confirm = true // the replace-key dialog: q means no there, ? does nothing
	if f := a.m.footer(); strings.Contains(f, "q quit") || strings.Contains(f, "? help") || !strings.Contains(f, "ctrl+c") || !strings.Contains(f, "f1") {
		t.Errorf("help at setup's y/n dialog:\n%s", f)
	}
}

func TestAppHelpToggleAndLayout(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 80, 24)
	short := a.m.View()
	a.press("?")
	if !a.m.help.ShowAll {
		t.Fatal("? did not show the full help")
	}
	full := a.m.View()
	if !strings.Contains(full, "page down") || strings.Contains(short, "page down") {
		t.Fatal("full help not shown, or shown before ?")
	}
	for _, v := range []string{short, full} {
		if n := strings.Count(v, "\n") + 1; n != 24 {
			t.Errorf("frame has %d lines, want 24", n)
		}
	}
	// The browser got the height left between header and footer.
	if a.m.browser.height >= 24-2 {
		t.Fatalf("browser height %d ignores the full help", a.m.browser.height)
	}
}

func TestAppHeader(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 100, 24)
	a.press("enter") // b/
	h := a.m.header()
	for _, want := range []string{"SANDBOX", "us-east-1", "s3://media/b/"} {
		if !strings.Contains(h, want) {
			t.Errorf("header %q lacks %q", h, want)
		}
	}
	deps := btDeps(newBTLister(1000, btKeysSample...))
	deps.Sandbox = false
	deps.Settings.Profile, deps.Settings.KeyPairID, deps.Settings.PrivateKey = "prod", "K1", "/k.pem"
	a = newBTApp(t, deps, 100, 24)
	if h := a.m.header(); !strings.Contains(h, "profile prod") || strings.Contains(h, "SANDBOX") {
		t.Errorf("header %q: want the profile, no badge", h)
	}
}

func TestAppStatusClearsAfterTTL(t *testing.T) {
	var ticks []tea.Msg
	env := btEnv()
	env.after = func(d time.Duration, msg tea.Msg) tea.Cmd {
		if d == statusTTL {
			ticks = append(ticks, msg)
		}
		return nil
	}
	m := newApp(btDeps(newBTLister(1000, btKeysSample...)), env)
	m.Update(statusMsg{text: "first", err: true})
	m.Update(statusMsg{text: "second"})
	if len(ticks) != 2 || !strings.Contains(m.View(), "second") {
		t.Fatalf("ticks %v, view lacks the notice", ticks)
	}
	m.Update(ticks[0]) // the first notice's tick must not clear the second
	if m.status != "second" {
		t.Fatalf("an old tick cleared the newer notice: %q", m.status)
	}
	m.Update(ticks[1])
	if m.status != "" {
		t.Fatalf("status %q not cleared", m.status)
	}
}

func TestAppNavigation(t *testing.T) {
	l := newBTLister(1000, btKeysSample...)
	a := newBTApp(t, btDeps(l), 80, 24)
	a.send(backMsg{})
	if a.m.cur != view(a.m.browser) {
		t.Fatal("backMsg did not show the browser")
	}
	l.objects["media"] = append(l.objects["media"], aws.ObjectInfo{Key: "new.png", Size: 5})
	a.send(uploadsDoneMsg{bucket: "media", keys: []string{"new.png"}})
	if a.m.browser.list.selectedKey() != "new.png" {
		t.Fatalf("after uploads selected %q, want new.png", a.m.browser.list.selectedKey())
	}
	s := a.m.deps.Settings
	s.Bucket = "sandbox"
	a.send(settingsSavedMsg{settings: s})
	if a.m.browser.bucket != "sandbox" || !strings.Contains(a.m.View(), "settings saved") {
		t.Fatalf("settings not applied: bucket %q", a.m.browser.bucket)
	}
	// A save that shows a result (after a rotation) keeps setup on screen.
	a.press("K")
	s.DefaultExpiry = "2h"
	a.send(settingsSavedMsg{settings: s, stay: true})
	if !a.m.onSetup() || a.m.deps.Settings.DefaultExpiry != "2h" || a.m.browser.deps.Settings.DefaultExpiry != "2h" {
		t.Fatalf("stay: on setup %v, settings %+v", a.m.onSetup(), a.m.deps.Settings)
	}
}

func TestAppResizeTinyAndHuge(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, append(slices.Clone(btKeysSample), "x\x1b[2Jy")...)), 80, 24)
	states := []func(){
		func() {},
		func() { a.press("/", "zz") },
		func() { a.press("esc", "G", "enter") },
		func() { a.press("esc", "d") },
		func() { a.press("n", "?") },
	}
	for _, st := range states {
		st()
		for _, sz := range [][2]int{{1, 1}, {10, 3}, {300, 100}, {2, 40}, {80, 24}} {
			a.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			frame := a.m.View()
			btCheckFrame(t, frame, sz[0], sz[1])
		}
	}
}

func TestAppGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		w, h := sz[0], sz[1]
		name := func(s string) string { return fmt.Sprintf("app_%s_%dx%d", s, w, h) }
		l := newBTLister(1000, btKeysSample...)
		a := newBTApp(t, btDeps(l), w, h)
		a.press("down", "down", "down")
		btGolden(t, name("browser"), a.m.View())
		a.press("?")
		btGolden(t, name("help"), a.m.View())
		a.press("?", "enter") // details of clip.mp4
		btGolden(t, name("details"), a.m.View())
		a.press("esc", "/", "cl") // typing: the footer offers ctrl+c, not q or ?
		btGolden(t, name("filter"), a.m.View())

		deps := btDeps(l)
		deps.Settings.Bucket = ""
		a = newBTApp(t, deps, w, h)
		a.send(statusMsg{text: "deleted 2 objects"})
		btGolden(t, name("buckets"), a.m.View())
	}
}

// TestAppTeatestFlow runs the real program loop: open a folder, move, filter, quit.
func TestAppTeatestFlow(t *testing.T) {
	env := defaultEnv()
	env.loc = time.UTC
	m := newApp(btDeps(newBTLister(1000, btKeysSample...)), env)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	wait := func(want string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	}
	wait("docs/")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) // b/
	wait("y.jpg")
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	wait("2/2")
	tm.Type("/")
	tm.Type("x.j")
	wait("1 match")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*root)
	if final.browser.prefix != "b/" || final.browser.list.pattern != "x.j" || final.browser.list.selectedKey() != "b/x.jpg" {
		t.Fatalf("final state: prefix %q pattern %q selected %q", final.browser.prefix, final.browser.list.pattern, final.browser.list.selectedKey())
	}
}

// TestAppSandbox drives the browser against the real in-process sandbox:
// list what was uploaded, show its details, delete it.
func TestAppSandbox(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb := testenv.NewSandbox(t)
	c, err := aws.NewClient(ctx, aws.ClientOptions{EndpointURL: sb.S3Endpoint, Region: sb.Region,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, k := range []string{"docs/a.txt", "hello.txt", "world.txt"} {
		p := filepath.Join(dir, strings.ReplaceAll(k, "/", "_"))
		if err := os.WriteFile(p, []byte("hello "+k), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Upload(ctx, aws.UploadRequest{Path: p, Bucket: sb.Bucket, Key: k, ContentType: "text/plain"}, nil); err != nil {
			t.Fatalf("upload %s: %v", k, err)
		}
	}
	deps := Deps{Lister: c, Sandbox: true, Settings: app.Literal(config.Settings{Bucket: sb.Bucket, Region: sb.Region})}
	a := newBTApp(t, deps, 100, 30)
	b := a.m.browser
	var names []string
	for _, r := range b.list.rows {
		names = append(names, b.list.at(r).key)
	}
	if !slices.Equal(names, []string{"docs/", "hello.txt", "world.txt"}) {
		t.Fatalf("sandbox rows = %v (error %q)", names, b.lastErr)
	}
	a.press("down", "enter")
	if b.details == nil || b.details.Size != int64(len("hello hello.txt")) || !strings.Contains(b.details.ContentType, "text/plain") {
		t.Fatalf("details = %+v", b.details)
	}
	a.press("esc", "d", "y")
	names = names[:0]
	for _, r := range b.list.rows {
		names = append(names, b.list.at(r).key)
	}
	if !slices.Equal(names, []string{"docs/", "world.txt"}) {
		t.Fatalf("after delete rows = %v", names)
	}
	page, err := c.List(ctx, sb.Bucket, "", "")
	if err != nil || len(page.Entries) != 2 {
		t.Fatalf("server still lists %v (%v)", page.Entries, err)
	}
}

func TestAppRoutesViews(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 100, 30)
	a.press("down", "down", "s")
	if _, ok := a.m.cur.(*signView); !ok {
		t.Fatalf("s opened %T, want the sign view", a.m.cur)
	}
	a.press("esc")
	if a.m.cur != view(a.m.browser) {
		t.Fatalf("esc from sign left %T on screen", a.m.cur)
	}
	a.press("u")
	if _, ok := a.m.cur.(*uploadView); !ok {
		t.Fatalf("u opened %T, want the upload view", a.m.cur)
	}
	a.press("esc")
	if a.m.cur != view(a.m.browser) {
		t.Fatalf("esc from upload left %T on screen", a.m.cur)
	}
	a.press("K")
	if _, ok := a.m.cur.(*setupView); !ok {
		t.Fatalf("K opened %T, want setup", a.m.cur)
	}
	btCheckFrame(t, a.m.View(), 100, 30)
	a.press("ctrl+c")
	if !a.quit {
		t.Fatal("ctrl+c did not quit from setup")
	}
}

func TestAppFirstRunOpensSetup(t *testing.T) {
	deps := btDeps(newBTLister(1000, btKeysSample...))
	deps.Sandbox = false
	a := newBTApp(t, deps, 80, 24)
	if _, ok := a.m.cur.(*setupView); !ok {
		t.Fatalf("first run without a key shows %T, want setup", a.m.cur)
	}
	if len(a.m.browser.list.rows) != 5 {
		t.Fatalf("the browser did not list behind setup: %d rows", len(a.m.browser.list.rows))
	}
	deps.Settings.KeyPairID, deps.Settings.PrivateKey = "K2JXXXXXXXXXXX", "/keys/private.pem"
	a = newBTApp(t, deps, 80, 24)
	if a.m.cur != view(a.m.browser) {
		t.Fatalf("with a key configured the first view is %T", a.m.cur)
	}
}

func TestStylesHonourNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if st := NewStyles(); !st.NoColor {
		t.Fatal("NO_COLOR set but styles are coloured")
	}
	t.Setenv("NO_COLOR", "")
	if st := NewStyles(); st.NoColor {
		t.Fatal("NO_COLOR empty but styles are plain")
	}
}

// TestAppFooterKeepsGlobalKeys: at every width the short help fits on one
// line and still ends with the global keys; the view's keys that do not fit
// give way to an ellipsis. (bubbles/help alone overflows at some widths.)
func TestAppFooterKeepsGlobalKeys(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 80, 24)
	states := []struct {
		name, keys, global string
	}{
		{"root", "", "q quit"},
		{"folder", "enter", "q quit"},
		{"filter", "/", "ctrl+c quit"},
		{"upload", "esc u", "ctrl+c quit"},
	}
	for _, st := range states {
		a.press(strings.Fields(st.keys)...)
		for w := 24; w <= 160; w++ {
			a.send(tea.WindowSizeMsg{Width: w, Height: 24})
			lines := strings.Split(a.m.footer(), "\n")
			last := lines[len(lines)-1]
			if got := lipgloss.Width(last); got > w {
				t.Fatalf("%s at width %d: help is %d wide: %q", st.name, w, got, last)
			}
			if !strings.HasSuffix(last, st.global) || !strings.Contains(last, " help") {
				t.Fatalf("%s at width %d: help %q lost the global keys %q and help", st.name, w, last, st.global)
			}
			if full := a.m.help.ShortHelpView(helpKeys{a.m.cur, a.m.globalKeys(), false}.ShortHelp()); lipgloss.Width(full) > w && !strings.Contains(last, "…") {
				t.Fatalf("%s at width %d: keys left out without an ellipsis: %q", st.name, w, last)
			}
		}
	}
}

// TestAppTeatestSignFlow runs the real program loop through signing: s on
// an object, enter signs with a real key, and the URL on screen verifies;
// esc goes back and ctrl+c quits.
func TestAppTeatestSignFlow(t *testing.T) {
	dir := t.TempDir()
	pair, err := keys.GenerateFiles(dir, keys.ECDSA, false)
	if err != nil {
		t.Fatal(err)
	}
	cs := config.Settings{Bucket: "media", Region: "us-east-1", Domain: "d111111abcdef8.cloudfront.net", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: pair.PrivatePath}
	deps := btDeps(newBTLister(1000, btKeysSample...))
	deps.Settings = app.Literal(cs)
	deps.Signers = SessionSigners{testSession(t, cs, nil, nil)}
	env := defaultEnv()
	env.loc = time.UTC
	tm := teatest.NewTestModel(t, newApp(deps, env), teatest.WithInitialTermSize(300, 40))
	wait := func(want string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	}
	wait("a.txt")
	tm.Send(tea.KeyMsg{Type: tea.KeyDown}) // past the folders b/ and docs/
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	wait("3/")
	tm.Type("s")
	wait("Sign s3://media/a.txt")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("Key-Pair-Id=K2JCJMDEHXQW5F")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	wait("by name") // the browser's status bar: back from the sign view
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(*root)
	if final.cur != view(final.browser) {
		t.Fatalf("esc did not go back to the browser")
	}
	pub, err := keys.LoadPublic(pair.PublicPath)
	if err != nil {
		t.Fatal(err)
	}
	// The URL the view showed is also the one it holds: it must verify.
	sv := newSignView(deps, NewStyles(), "media", []string{"a.txt"})
	_, cmd := sv.Update(tea.KeyMsg{Type: tea.KeyEnter})
	for _, m := range vtRun(cmd) {
		sv.Update(m)
	}
	if len(sv.result) != 1 {
		t.Fatalf("sign: %q", sv.err)
	}
	v := signedurl.Verify(signedurl.VerifyRequest{URL: sv.result[0].url, At: time.Now()}, signedurl.PublicKeys{"K2JCJMDEHXQW5F": pub})
	if !v.OK {
		t.Fatalf("signed URL does not verify: %s %s", v.Check, v.Detail)
	}
}

// Keys that arrive together (SSH, mosh, send-keys -l) reach the model as one
// message holding several runes: each rune acts as its own key press, in
// the browser and in a text input alike; a bracketed paste stays one paste.
func TestAppKeyBurst(t *testing.T) {
	var many []string
	for i := range 100 {
		many = append(many, fmt.Sprintf("f%03d.txt", i))
	}
	a := newBTApp(t, btDeps(newBTLister(1000, many...)), 80, 24)
	start := a.m.browser.list.cursor
	a.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjj")})
	if got := a.m.browser.list.cursor - start; got != 3 {
		t.Fatalf("jjj in one message moved the cursor %d rows, want 3", got)
	}
	a.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjjjjjjjjjjjjjjjjjjjk")})
	if got := a.m.browser.list.cursor - start; got != 3+20-1 {
		t.Fatalf("a burst of 20 j and a k moved the cursor to %d", got)
	}
	// "/ab" typed in one go: / opens the filter, a and b type into it.
	a.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/ab")})
	if a.m.browser.list.pattern != "ab" {
		t.Fatalf("/ab in one message: pattern %q", a.m.browser.list.pattern)
	}
	// A paste is one paste: "qq" pasted into the filter types, never quits.
	a.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("qq"), Paste: true})
	if a.quit || a.m.browser.list.pattern != "abqq" {
		t.Fatalf("pasted qq: quit %v pattern %q", a.quit, a.m.browser.list.pattern)
	}
}

// At a y/n prompt q means no, never quit; while uploads run, the first
// ctrl+c (or q) asks and only a second one quits.
func TestAppQuitAtPromptsAndDuringUploads(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 80, 24)
	footer := func() string {
		lines := strings.Split(a.m.View(), "\n")
		return lines[len(lines)-1]
	}
	a.press("G", "d")
	if !a.m.prompting() {
		t.Fatal("d did not ask for confirmation")
	}
	// The footer offers only what works at the prompt.
	if f := footer(); strings.Contains(f, "q quit") || strings.Contains(f, "K setup") || !strings.Contains(f, "y yes") {
		t.Errorf("footer at the delete prompt: %q", f)
	}
	// The full help there is the prompt's keys, and nothing that does nothing.
	a.press("f1")
	if f := a.m.footer(); !strings.Contains(f, "y") || !strings.Contains(f, "yes") || strings.Contains(f, "refresh") || strings.Contains(f, "q quit") {
		t.Errorf("full help at the delete prompt:\n%s", f)
	}
	a.press("f1")
	a.press("q")
	if a.quit || a.m.browser.confirm != nil {
		t.Fatalf("q at the delete prompt: quit %v, still asking %v", a.quit, a.m.browser.confirm != nil)
	}

	// Setup's "discard your edits?" is a y/n prompt too.
	a.press("K", "x", "esc")
	if !a.m.onSetup() || !a.m.prompting() {
		t.Fatalf("esc with an edit: on setup %v, prompting %v", a.m.onSetup(), a.m.prompting())
	}
	if f := footer(); strings.Contains(f, "q quit") {
		t.Errorf("footer at the discard prompt: %q", f)
	}
	a.press("q")
	if a.quit || !a.m.onSetup() || a.m.prompting() {
		t.Fatalf("q at the discard prompt: quit %v, on setup %v, still asking %v", a.quit, a.m.onSetup(), a.m.prompting())
	}
	a.press("esc", "y")
	if a.m.onSetup() {
		t.Fatal("y at the discard prompt stayed on setup")
	}

	a.press("u")
	up, ok := a.m.cur.(*uploadView)
	if !ok {
		t.Fatalf("u opened %T", a.m.cur)
	}
	cancelled := false
	up.batches[1] = &uploadBatch{cancel: func() { cancelled = true }, gone: make(chan struct{})}
	a.press("ctrl+c")
	if a.quit || cancelled || !strings.Contains(a.m.status, "ctrl+c (or q) again") {
		t.Fatalf("first ctrl+c during an upload: quit %v cancelled %v status %q", a.quit, cancelled, a.m.status)
	}
	// The uploads end on their own: "ctrl+c again…" is no longer true.
	a.send(uploadsDoneMsg{bucket: "media"})
	if a.m.quitArmed || strings.Contains(a.m.status, "again") {
		t.Fatalf("after the uploads ended: armed %v, status %q", a.m.quitArmed, a.m.status)
	}
	a.press("u")
	up = a.m.cur.(*uploadView)
	up.batches[1] = &uploadBatch{cancel: func() { cancelled = true }, gone: make(chan struct{})}
	a.press("ctrl+c")
	a.press("down") // any other key keeps the uploads going
	a.press("ctrl+c")
	if a.quit {
		t.Fatal("a ctrl+c after another key quit at once")
	}
	a.press("ctrl+c")
	if !a.quit || !cancelled {
		t.Fatalf("second ctrl+c: quit %v cancelled %v", a.quit, cancelled)
	}
}

// Hints are chosen by priority as the width allows: with a filter kept, how
// to clear it shows even at 80 columns; help is reachable everywhere (F1
// where ? types into a field), and the footer names K for setup.
func TestAppFooterHints(t *testing.T) {
	footer := func(a *btApp) string {
		lines := strings.Split(a.m.View(), "\n")
		return lines[len(lines)-1]
	}
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 80, 24)
	if f := footer(a); !strings.Contains(f, "K setup") || !strings.Contains(f, "? help") {
		t.Errorf("browser footer lacks K setup or ? help: %q", f)
	}
	a.press("/", "d", "o", "enter")
	if f := footer(a); !strings.Contains(f, "esc clear filter") {
		t.Errorf("footer with a kept filter at 80 columns: %q", f)
	}
	// Setup at 60x15 with a field focused: ? types, F1 opens help.
	a = newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 60, 15)
	a.press("K")
	if !a.m.onSetup() || !a.m.inputFocused() {
		t.Fatalf("K did not open setup with a field focused")
	}
	if f := footer(a); !strings.Contains(f, "f1 help") {
		t.Errorf("setup footer at 60x15 does not say how to get help: %q", f)
	}
	a.press("f1")
	if !a.m.help.ShowAll || !strings.Contains(a.m.View(), "ctrl+g") {
		t.Errorf("f1 in a focused field did not show the full help with ctrl+g:\n%s", a.m.View())
	}
	btCheckFrame(t, a.m.View(), 60, 15)
}

// n makes a folder (a zero-byte "name/" object, as the S3 console does);
// d on a folder says how many objects it holds, q there means no, and y
// deletes the folder and everything in it. Against the real sandbox.
func TestAppFolders(t *testing.T) {
	ctx := context.Background()
	sb := testenv.NewSandbox(t)
	c, err := aws.NewClient(ctx, aws.ClientOptions{EndpointURL: sb.S3Endpoint, Region: sb.Region,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(src, []byte("x"), 0o600)
	for _, k := range []string{"docs/a.txt", "docs/deep/b.txt", "top.txt"} {
		if _, err := c.Upload(ctx, aws.UploadRequest{Path: src, Bucket: sb.Bucket, Key: k}, nil); err != nil {
			t.Fatal(err)
		}
	}
	a := newBTApp(t, Deps{Lister: c, Sandbox: true, Settings: app.Literal(config.Settings{Bucket: sb.Bucket, Region: sb.Region})}, 100, 30)
	// A name no URL can carry is refused with the reason, and nothing made.
	for _, bad := range []string{"../x", "a/./b", "a//b", "."} {
		a.press("n")
		a.press(bad, "enter")
		if !strings.Contains(a.m.status, "part") {
			t.Fatalf("folder %q: status %q", bad, a.m.status)
		}
		a.press("esc")
	}
	if n, _ := countUnder(ctx, c, sb.Bucket, ".."); n != 0 {
		t.Fatal("a folder with a .. part was made")
	}
	a.press("n")
	if !a.m.inputFocused() {
		t.Fatal("n opened no name prompt")
	}
	a.press("new q", "enter") // q types into the name
	if a.quit {
		t.Fatal("q in the folder name quit")
	}
	info, err := c.Head(ctx, sb.Bucket, "new q/")
	if err != nil || info.Size != 0 {
		t.Fatalf("the folder object: %+v %v", info, err)
	}
	if got := a.m.browser.list.selectedKey(); got != "new q/" {
		t.Errorf("the new folder is not selected: %q", got)
	}
	// Inside, the new folder is empty: its marker object is not a row.
	a.press("enter")
	if a.m.browser.prefix != "new q/" || len(a.m.browser.list.rows) != 0 {
		t.Errorf("in %q: rows %v", a.m.browser.prefix, lsNames(&a.m.browser.list))
	}
	a.press("h")
	a.press("g") // top: docs/
	if got := a.m.browser.list.selectedKey(); got != "docs/" {
		t.Fatalf("selected %q, want docs/", got)
	}
	a.press("d")
	if view := a.m.View(); !strings.Contains(view, "Delete 2 objects under s3://sandbox/docs/ (") || !strings.Contains(view, "? y/n") {
		t.Fatalf("folder delete prompt:\n%s", view)
	}
	if strings.Contains(a.m.status, "counting") {
		t.Errorf("status still %q while asking", a.m.status)
	}
	a.press("q")
	if a.quit || a.m.browser.folderConfirm != nil {
		t.Fatalf("q at the folder prompt: quit %v, still asking %v", a.quit, a.m.browser.folderConfirm != nil)
	}
	if a.m.status != "kept docs/" {
		t.Errorf("status after no: %q", a.m.status)
	}
	if n, _ := countUnder(ctx, c, sb.Bucket, "docs/"); n != 2 {
		t.Fatalf("answering no deleted something: %d left", n)
	}
	a.press("d", "y")
	if n, _ := countUnder(ctx, c, sb.Bucket, "docs/"); n != 0 {
		t.Fatalf("%d objects left under docs/ after y", n)
	}
	if !strings.Contains(a.m.status, "deleted docs/ and the 2 objects in it") {
		t.Errorf("status %q", a.m.status)
	}
}

// The mouse: the wheel moves three rows, a click selects the row under it,
// a double click opens it, and a click on a footer hint runs its key.
func TestAppMouse(t *testing.T) {
	var many []string
	for i := range 50 {
		many = append(many, fmt.Sprintf("f%02d.txt", i))
	}
	a := newBTApp(t, btDeps(newBTLister(1000, append([]string{"dir/x.txt"}, many...)...)), 80, 24)
	press := func(b tea.MouseButton, x, y int) {
		a.send(tea.MouseMsg{X: x, Y: y, Button: b, Action: tea.MouseActionPress})
	}
	press(tea.MouseButtonWheelDown, 10, 5)
	if c := a.m.browser.list.cursor; c != 3 {
		t.Fatalf("wheel down: cursor %d, want 3", c)
	}
	press(tea.MouseButtonWheelUp, 10, 5)
	if c := a.m.browser.list.cursor; c != 0 {
		t.Fatalf("wheel up: cursor %d, want 0", c)
	}
	// The screen: header, column header, then the rows (dir/ first).
	top := lipgloss.Height(a.m.header()) + 1
	press(tea.MouseButtonLeft, 5, top+4)
	if got := a.m.browser.list.selectedKey(); got != "f03.txt" {
		t.Fatalf("click on the fifth row selected %q", got)
	}
	press(tea.MouseButtonLeft, 5, top)
	press(tea.MouseButtonLeft, 5, top)
	if a.m.browser.prefix != "dir/" {
		t.Fatalf("double click on dir/ did not open it: prefix %q", a.m.browser.prefix)
	}
	// A click on "u upload" in the footer opens the upload view.
	lines := strings.Split(a.m.View(), "\n")
	last := ansi.Strip(lines[len(lines)-1])
	x := strings.Index(last, "u upload")
	if x < 0 {
		t.Fatalf("no u upload hint in %q", last)
	}
	press(tea.MouseButtonLeft, x+2, len(lines)-1)
	if _, ok := a.m.cur.(*uploadView); !ok {
		t.Fatalf("a click on the u upload hint opened %T", a.m.cur)
	}
}

// Keys typed ahead in one write act in order: "/hello", enter and s, all
// read before the filter's answer, sign hello.txt, the row the filter
// leaves, as if typed one by one.
func TestAppTypedAheadKeysActInOrder(t *testing.T) {
	a := newBTApp(t, btDeps(newBTLister(1000, "b/x.jpg", "docs/readme.md", "hello.txt", "zeta.bin")), 100, 30)
	var cmds []tea.Cmd
	for _, k := range []tea.KeyMsg{
		{Type: tea.KeyRunes, Runes: []rune("/hello")},
		{Type: tea.KeyEnter},
		{Type: tea.KeyRunes, Runes: []rune("s")},
	} {
		_, c := a.m.Update(k) // every key before any command's answer
		cmds = append(cmds, c)
	}
	a.run(tea.Batch(cmds...))
	sv, ok := a.m.cur.(*signView)
	if !ok || len(sv.objKeys) != 1 || sv.objKeys[0] != "hello.txt" {
		t.Fatalf("s after the filter did not sign hello.txt: view %T", a.m.cur)
	}
}

// fakeLog is a sandbox log of fixed lines.
type fakeLog []string

func (l fakeLog) SandboxLog(ctx context.Context, n int) ([]string, error) {
	return l[max(0, len(l)-n):], nil
}

func (l fakeLog) EdgeRefusal(ctx context.Context, id string) (string, bool) { return "", false }

// On the sandbox L shows its log from anywhere but a text input, newest
// line at the bottom; help names the key; esc goes back. Off the sandbox L
// does nothing.
func TestAppSandboxLogKey(t *testing.T) {
	var lines fakeLog
	for i := range 100 {
		lines = append(lines, fmt.Sprintf("2026-12-07T10:00:00Z edge: 403 AccessDenied GET \"/f%03d\" from 127.0.0.1: check expired failed: line %d", i, i))
	}
	deps := btDeps(newBTLister(1000, btKeysSample...))
	deps.SandboxLog = lines
	a := newBTApp(t, deps, 100, 30)
	a.press("?")
	if v := a.m.View(); !strings.Contains(v, "sandbox log") {
		t.Errorf("full help does not name L:\n%s", v)
	}
	a.press("?", "L")
	if !a.m.onLog() {
		t.Fatal("L did not open the log")
	}
	v := a.m.View()
	if !strings.Contains(v, `"/f099"`) || strings.Contains(v, `"/f000"`) {
		t.Fatalf("the log view does not end with the newest line:\n%s", v)
	}
	if !strings.Contains(v, "\n9\n") {
		t.Fatalf("a line wider than the screen is not wrapped (its end is the reason):\n%s", v)
	}
	a.press("esc")
	if a.m.onLog() {
		t.Fatal("esc did not leave the log")
	}

	deps.SandboxLog = nil
	a = newBTApp(t, deps, 100, 30)
	a.press("L")
	if a.m.onLog() {
		t.Fatal("L opened a log off the sandbox")
	}
}

// The full help keeps the global keys in every width the app supports:
// they once came last, in a column cut off at 80 columns, so q, K and L
// went unnamed.
func TestAppFullHelpKeepsGlobalKeysWhenNarrow(t *testing.T) {
	for _, w := range []int{60, 80, 120} {
		deps := btDeps(newBTLister(1000, btKeysSample...))
		deps.SandboxLog = fakeLog{}
		a := newBTApp(t, deps, w, 30)
		a.press("?")
		f := a.m.View()
		for _, want := range []string{"q quit", "K setup", "L sandbox log", "? help"} {
			if !strings.Contains(f, want) {
				t.Errorf("%d columns: the full help does not name %q:\n%s", w, want, f)
			}
		}
	}
}

// countUnder counts the objects under prefix, listing them all.
func countUnder(ctx context.Context, c *aws.Client, bucket, prefix string) (int, error) {
	n := 0
	err := c.Walk(ctx, bucket, prefix, func(page []aws.Entry) error {
		n += len(page)
		return nil
	})
	return n, err
}
