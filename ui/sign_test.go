package ui

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"

	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// fakeURLSigner signs deterministically and records what it was asked.
type fakeURLSigner struct {
	mu   sync.Mutex
	id   string
	hash signedurl.Hash
	opts []signedurl.PolicyOptions
}

func (f *fakeURLSigner) SignURL(raw string, o signedurl.PolicyOptions, now time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opts = append(f.opts, o)
	return fmt.Sprintf("%s?Expires=%d&Signature=FAKE-%s&Key-Pair-Id=%s", raw, o.Expires.Unix(), f.hash, f.id), nil
}

func (f *fakeURLSigner) SignCookies(raw string, o signedurl.PolicyOptions, now time.Time) ([]*http.Cookie, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opts = append(f.opts, o)
	return []*http.Cookie{
		{Name: "CloudFront-Expires", Value: fmt.Sprint(o.Expires.Unix())},
		{Name: "CloudFront-Signature", Value: "FAKE"},
		{Name: "CloudFront-Key-Pair-Id", Value: f.id},
	}, nil
}

// fakePresigner presigns deterministically and records the durations.
type fakePresigner struct {
	mu sync.Mutex
	ds []time.Duration
}

func (f *fakePresigner) PresignVersion(ctx context.Context, bucket, key, version string, d time.Duration) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ds = append(f.ds, d)
	return fmt.Sprintf("https://%s.s3.amazonaws.com/%s?X-Amz-Expires=%d&X-Amz-Signature=FAKE", bucket, key, int(d.Seconds())), "", nil
}

var vtSignSettings = config.Settings{
	Domain: "d111111abcdef8.cloudfront.net", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: "/keys/private_key.pem",
}

type signHarness struct {
	v      *signView
	signer *fakeURLSigner
	pre    *fakePresigner
	clip   *fakeClip
	opened []string
}

// signerFunc is a function as Signers.
type signerFunc func(t app.Target) (URLSigner, error)

func (f signerFunc) Signer(_ context.Context, t app.Target) (URLSigner, error) { return f(t) }

func newSignHarness(t *testing.T, s config.Settings, objKeys ...string) *signHarness {
	t.Helper()
	h := &signHarness{signer: &fakeURLSigner{id: s.KeyPairID}, pre: &fakePresigner{}, clip: &fakeClip{}}
	deps := Deps{
		Settings:  app.Literal(s),
		Presigner: h.pre,
		Signers: signerFunc(func(t app.Target) (URLSigner, error) {
			h.signer.id, h.signer.hash = t.KeyPairID, t.Hash
			return h.signer, nil
		}),
	}
	h.v = newSignView(deps, NewStyles(), "media", objKeys)
	h.v.now = func() time.Time { return vtNow }
	h.v.loc = vtZone
	h.v.clip = h.clip.writer()
	h.v.opener = urlOpener{goos: "darwin", getenv: func(string) string { return "" },
		lookPath: func(string) (string, error) { return "", nil },
		start:    func(name string, args ...string) error { h.opened = append(h.opened, args...); return nil }}
	vtStatic(&h.v.custom, &h.v.start, &h.v.ip, &h.v.resource)
	h.v.SetSize(80, 24)
	return h
}

// press sends keys and runs every command they return, feeding results back.
func (h *signHarness) press(keys ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range keys {
		_, cmd := h.v.Update(vtKey(k))
		out = append(out, h.settle(cmd)...)
	}
	return out
}

// settle runs cmd, feeds sign results back and returns everything seen.
func (h *signHarness) settle(cmd tea.Cmd) []tea.Msg {
	var out []tea.Msg
	for _, m := range vtRun(cmd) {
		out = append(out, m)
		if _, ok := m.(signedMsg); ok {
			_, next := h.v.Update(m)
			out = append(out, h.settle(next)...)
		}
	}
	return out
}

func TestSignDefaultExpiry(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	if got := expiryPresets[h.v.preset].label; got != "1h" {
		t.Fatalf("default preset %q, want 1h", got)
	}
	view := h.v.View()
	for _, want := range []string{"[1h]", "2026-11-29 23:39:16 CET", "2026-11-29 22:39:16 UTC", "(in 1h)"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	h.v.loc = time.UTC
	if v := h.v.View(); !strings.Contains(v, "→ 2026-11-29 22:39:16 UTC (in 1h)") {
		t.Errorf("UTC local time not said once:\n%s", v)
	}
	s := vtSignSettings
	s.DefaultExpiry = "7d"
	if h := newSignHarness(t, s, "a.txt"); expiryPresets[h.v.preset].label != "7d" {
		t.Fatalf("DefaultExpiry 7d chose preset %d", h.v.preset)
	}
	s.DefaultExpiry = "90m"
	h = newSignHarness(t, s, "a.txt")
	if h.v.preset != customPreset || h.v.custom.Value() != "90m" {
		t.Fatalf("DefaultExpiry 90m: preset %d custom %q", h.v.preset, h.v.custom.Value())
	}
	if v := h.v.View(); !strings.Contains(v, "2026-11-29 23:09:16 UTC") {
		t.Errorf("custom default not shown:\n%s", v)
	}
}

func TestSignPresetsMoveWithArrows(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("right", "right", "right")
	if got := expiryPresets[h.v.preset].label; got != "30d" {
		t.Fatalf("preset %q after three rights, want 30d", got)
	}
	h.press("left", "left", "left", "left")
	if h.v.preset != 0 {
		t.Fatalf("preset %d, want 0 (15m) at the left end", h.v.preset)
	}
	if !strings.Contains(h.v.View(), "2026-11-29 21:54:16 UTC") {
		t.Errorf("15m expiry not shown:\n%s", h.v.View())
	}
}

func TestSignCustomExpiryUpdatesAsYouType(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("tab") // custom field
	if !h.v.InputFocused() {
		t.Fatal("custom field should take keys")
	}
	vtType(h.v, "3h")
	if h.v.preset != customPreset {
		t.Fatal("typing did not choose custom")
	}
	if v := h.v.View(); !strings.Contains(v, "2026-11-30 00:39:16 UTC") || !strings.Contains(v, "2026-11-30 01:39:16 CET") {
		t.Errorf("3h not previewed:\n%s", v)
	}
	vtType(h.v, "x")
	if v := h.v.View(); !strings.Contains(v, `expiry "3hx"`) {
		t.Errorf("bad expiry not reported:\n%s", v)
	}
	if msgs := h.press("enter"); len(msgs) != 0 || h.v.err == "" {
		t.Fatalf("enter with a bad expiry signed: %v, err %q", msgs, h.v.err)
	}
	h.press("backspace", "backspace", "backspace")
	vtType(h.v, "2026-12-24T18:00:00Z")
	if v := h.v.View(); !strings.Contains(v, "2026-12-24 19:00:00 CET · 2026-12-24 18:00:00 UTC") {
		t.Errorf("RFC 3339 not previewed:\n%s", v)
	}
}

func TestSignProducesURLAndCopies(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "docs/a b.txt")
	h.press("enter")
	if len(h.v.result) != 1 {
		t.Fatalf("result %v, err %q", h.v.result, h.v.err)
	}
	want := fmt.Sprintf("https://d111111abcdef8.cloudfront.net/docs/a%%20b.txt?Expires=%d&Signature=FAKE-sha1&Key-Pair-Id=K2JCJMDEHXQW5F", vtNow.Add(time.Hour).Unix())
	if h.v.result[0].url != want {
		t.Fatalf("url %q\nwant %q", h.v.result[0].url, want)
	}
	if h.v.InputFocused() || h.v.focus != sfResult {
		t.Fatal("after signing the result should have focus")
	}
	// The footer, narrow, drops hints from the end: copy comes first.
	if hs := h.v.ShortHelp(); !strings.Contains(hs[0].Help().Desc, "copy") {
		t.Errorf("first hint after signing: %+v", hs[0].Help())
	}
	msgs := h.press("c")
	st, ok := vtFind[statusMsg](msgs)
	if !ok || st.err || !strings.Contains(st.text, "system clipboard") {
		t.Fatalf("copy status %+v", st)
	}
	if len(h.clip.native) != 1 || h.clip.native[0] != want {
		t.Fatalf("clipboard got %q", h.clip.native)
	}
	h.press("y")
	if len(h.clip.native) != 2 {
		t.Fatal("y did not copy")
	}
	h.press("o")
	if len(h.opened) != 1 || h.opened[0] != want {
		t.Fatalf("opened %q", h.opened)
	}
}

func TestSignMarkedSetCopiesOnePerLine(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt", "b.txt", "c/d.txt")
	h.press("enter", "c")
	if len(h.clip.native) != 1 {
		t.Fatalf("copies %d", len(h.clip.native))
	}
	lines := strings.Split(h.clip.native[0], "\n")
	if len(lines) != 3 {
		t.Fatalf("copied %d lines, want 3: %q", len(lines), h.clip.native[0])
	}
	for i, k := range []string{"a.txt", "b.txt", "c/d.txt"} {
		if !strings.HasPrefix(lines[i], "https://d111111abcdef8.cloudfront.net/"+k+"?Expires=") {
			t.Errorf("line %d = %q", i, lines[i])
		}
	}
}

func TestSignClipboardUnavailable(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.clip.nativeErr = fmt.Errorf("no xclip")
	h.v.clip = h.clip.writer() // not a terminal either
	msgs := h.press("enter", "c")
	st, _ := vtFind[statusMsg](msgs)
	if !st.err || !strings.Contains(st.text, "by hand") {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(h.v.View(), "Signature=FAKE") {
		t.Fatal("the URL must stay on screen")
	}
}

func TestSignPresignedOnlyWithoutDomain(t *testing.T) {
	s := vtSignSettings
	s.Domain = ""
	h := newSignHarness(t, s, "a.txt")
	if h.v.mode != modePresigned || h.v.cloudFront {
		t.Fatalf("mode %v without a domain, want presigned only", h.v.mode)
	}
	h.press("tab", "tab", "right") // Output row: no other choice
	if h.v.mode != modePresigned {
		t.Fatal("mode changed without a domain")
	}
	h.press("shift+tab", "shift+tab", "right", "right", "right") // 30d
	if msgs := h.press("enter"); len(msgs) != 0 {
		t.Fatalf("signed past the 7-day limit: %v", msgs)
	}
	if !strings.Contains(h.v.err, "7 days") {
		t.Fatalf("err %q, want the 7-day limit", h.v.err)
	}
	h.press("left", "enter") // 7d
	if len(h.pre.ds) != 1 || h.pre.ds[0] != 7*24*time.Hour {
		t.Fatalf("presign durations %v", h.pre.ds)
	}
	if len(h.v.result) != 1 || !strings.Contains(h.v.result[0].url, "X-Amz-Expires=604800") {
		t.Fatalf("result %v", h.v.result)
	}
}

func TestSignCookies(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("tab", "tab", "right", "enter")
	if h.v.mode != modeCookies || len(h.v.result) != 1 || len(h.v.result[0].cookies) != 3 {
		t.Fatalf("mode %v result %+v err %q", h.v.mode, h.v.result, h.v.err)
	}
	h.press("c", "o")
	if len(h.clip.native) != 1 || !strings.Contains(h.clip.native[0], "\nCookie: CloudFront-Expires=") {
		t.Fatalf("copied %q", h.clip.native)
	}
	if len(h.opened) != 0 {
		t.Fatal("o opened a cookie-signed URL that needs its cookies")
	}
}

func TestSignCustomPolicyFields(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("tab", "tab", "tab", "right") // hash → SHA-256
	h.press("tab")
	vtType(h.v, "10m")
	h.press("tab")
	vtType(h.v, "203.0.113.0/24")
	h.press("tab")
	vtType(h.v, "https://d111111abcdef8.cloudfront.net/*")
	h.press("enter")
	if len(h.signer.opts) != 1 {
		t.Fatalf("signed %d times, err %q", len(h.signer.opts), h.v.err)
	}
	o := h.signer.opts[0]
	if !o.Starts.Equal(vtNow.Add(10*time.Minute)) || o.IP != "203.0.113.0/24" || o.Resource != "https://d111111abcdef8.cloudfront.net/*" || !o.Custom() {
		t.Fatalf("options %+v", o)
	}
	if h.signer.hash != signedurl.SHA256 {
		t.Fatalf("hash %q", h.signer.hash)
	}
	h.press("shift+tab", "shift+tab", "ctrl+u")
	vtType(h.v, "not-an-ip")
	if h.press("enter"); !strings.Contains(h.v.err, "not an address") {
		t.Fatalf("err %q", h.v.err)
	}
}

func TestSignEscCancelsAndDropsStale(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	_, cmd := h.v.Update(vtKey("enter"))
	if !h.v.signing {
		t.Fatal("not signing")
	}
	_, esc := h.v.Update(vtKey("esc"))
	if st, _ := vtFind[statusMsg](vtRun(esc)); !strings.Contains(st.text, "cancelled") {
		t.Fatalf("esc status %+v", st)
	}
	for _, m := range vtRun(cmd) {
		h.v.Update(m)
	}
	if len(h.v.result) != 0 {
		t.Fatal("a cancelled request's result was shown")
	}
	_, back := h.v.Update(vtKey("esc"))
	if _, ok := vtFind[backMsg](vtRun(back)); !ok {
		t.Fatal("esc when idle should go back")
	}
	// A reply to an older request is dropped once a newer one is out.
	h.press("enter")
	old := h.v.reqID
	_, cmd = h.v.Update(vtKey("enter"))
	if h.v.reqID != old+1 {
		t.Fatal("enter on the result did not re-sign")
	}
	h.v.Update(signedMsg{id: old, items: []signedItem{{key: "a.txt", url: "https://stale"}}})
	h.settle(cmd)
	if h.v.result[0].url == "https://stale" {
		t.Fatal("stale reply shown")
	}
}

func TestSignNoKeyConfigured(t *testing.T) {
	s := vtSignSettings
	s.KeyPairID = ""
	h := newSignHarness(t, s, "a.txt")
	if msgs := h.press("enter"); len(msgs) != 0 || !strings.Contains(h.v.err, "press K") {
		t.Fatalf("msgs %v err %q", msgs, h.v.err)
	}
}

func TestSignPerBucketSettings(t *testing.T) {
	s := vtSignSettings
	s.Buckets = map[string]config.BucketSettings{"media": {Domain: "media.example.com", OriginPath: "/pub"}}
	h := newSignHarness(t, s, "pub/a.txt")
	h.press("enter")
	if len(h.v.result) != 1 || !strings.HasPrefix(h.v.result[0].url, "https://media.example.com/a.txt?") {
		t.Fatalf("result %+v err %q", h.v.result, h.v.err)
	}
}

func TestSignHostileKeyShownEscaped(t *testing.T) {
	k := "evil\x1b]0;pwned\x07\r\n\u202e.txt"
	h := newSignHarness(t, vtSignSettings, k, "b.txt")
	h.press("enter")
	for _, size := range [][2]int{{80, 24}, {30, 10}, {200, 60}} {
		h.v.SetSize(size[0], size[1])
		btCheckFrame(t, h.v.View(), size[0], size[1])
	}
	if !strings.Contains(h.v.View(), `evil\x1b]0;pwned\x07\r\n\u202e.txt`) {
		t.Fatalf("key not escaped:\n%s", h.v.View())
	}
}

// TestSignRealSignerVerifies signs through the view with the real signedurl.Signer
// and checks what it produced the way CloudFront does.
func TestSignRealSignerVerifies(t *testing.T) {
	priv, err := keys.Generate(keys.RSA)
	if err != nil {
		t.Skipf("keys.Generate: %v", err)
	}
	const id = "K2JCJMDEHXQW5F"
	for _, tc := range []struct {
		name    string
		presses []string
		cookies bool
	}{
		{"canned sha1 URL", nil, false},
		{"sha256 URL with an IP", []string{"tab", "tab", "tab", "right", "tab", "tab", "203.0.113.7"}, false},
		{"cookies", []string{"tab", "tab", "right"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSignHarness(t, vtSignSettings, "photos/ünï code.jpg")
			h.v.deps.Signers = signerFunc(func(t app.Target) (URLSigner, error) {
				return signedurl.NewSigner(t.KeyPairID, priv, t.Hash)
			})
			for _, p := range tc.presses {
				if len(p) > 9 {
					vtType(h.v, p)
					continue
				}
				h.press(p)
			}
			h.press("enter")
			if len(h.v.result) != 1 {
				t.Fatalf("no result: %q", h.v.err)
			}
			it := h.v.result[0]
			req := signedurl.VerifyRequest{URL: it.url, At: vtNow.Add(time.Minute), ClientIP: netip.MustParseAddr("203.0.113.7")}
			if tc.cookies {
				req.Cookies = map[string]string{}
				for _, c := range it.cookies {
					req.Cookies[c.Name] = c.Value
				}
			}
			pub := signedurl.PublicKeys{id: priv.Public().(crypto.PublicKey)}
			if v := signedurl.Verify(req, pub); !v.OK {
				t.Fatalf("Verify: %+v\nurl %s", v, it.url)
			}
			if strings.Contains(tc.name, "IP") {
				other := req
				other.ClientIP = netip.MustParseAddr("198.51.100.1")
				if v := signedurl.Verify(other, pub); v.OK {
					t.Fatal("Verify accepted the link from another address")
				}
			}
			req.At = vtNow.Add(2 * time.Hour)
			if v := signedurl.Verify(req, pub); v.OK {
				t.Fatal("Verify accepted the link after its expiry")
			}
		})
	}
}

func TestSignGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hh := size[0], size[1]
		h := newSignHarness(t, vtSignSettings, "docs/report 2026.pdf")
		h.v.SetSize(w, hh)
		btCheckFrame(t, h.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("sign_form_%dx%d", w, hh), h.v.View())
		h.press("enter")
		btCheckFrame(t, h.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("sign_result_%dx%d", w, hh), h.v.View())

		s := vtSignSettings
		s.Domain = ""
		p := newSignHarness(t, s, "a.txt", "b.txt")
		p.v.SetSize(w, hh)
		p.press("right", "right")
		btCheckFrame(t, p.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("sign_presigned_%dx%d", w, hh), p.v.View())
	}
}

func TestSignRightOntoCustomFocusesIt(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("right", "right", "right", "right") // 1h → 7d → 30d → custom
	if h.v.preset != customPreset || h.v.focus != sfCustom || !h.v.InputFocused() {
		t.Fatalf("preset %d focus %d after → onto custom, want the Custom field focused", h.v.preset, h.v.focus)
	}
	vtType(h.v, "2h")
	if h.v.custom.Value() != "2h" {
		t.Fatalf("custom %q after typing 2h", h.v.custom.Value())
	}
	if v := h.v.View(); !strings.Contains(v, "2026-11-29 23:39:16 UTC (in 2h)") {
		t.Errorf("2h not previewed:\n%s", v)
	}
}

func TestSignPastExpirySaysSo(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("tab")
	vtType(h.v, "2020-01-01")
	v := h.v.View()
	if !strings.Contains(v, "(that is in the past)") || strings.Contains(v, "(in -") {
		t.Errorf("a past expiry previews wrong:\n%s", v)
	}
	if !strings.Contains(v, "the expiry is in the past") {
		t.Errorf("a past expiry is not refused:\n%s", v)
	}
}

func TestSignTitleNamesTheFolder(t *testing.T) {
	cases := []struct {
		keys []string
		want string
	}{
		{[]string{"x/y/a.txt", "x/y/b.txt"}, "Sign 2 objects in s3://media/x/y/"},
		{[]string{"x/y/a.txt", "x/z/b.txt", "x/c"}, "Sign 3 objects in s3://media/x/"},
		{[]string{"a.txt", "x/b.txt"}, "Sign 2 objects in s3://media/"},
		{[]string{"x/y/a.txt"}, "Sign s3://media/x/y/a.txt"},
	}
	for _, c := range cases {
		h := newSignHarness(t, vtSignSettings, c.keys...)
		if first := strings.SplitN(h.v.View(), "\n", 2)[0]; strings.TrimSpace(first) != c.want {
			t.Errorf("%v: title %q, want %q", c.keys, first, c.want)
		}
	}
}

func TestSignEmojiKeyShownAsIs(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "family 👨\u200d👩\u200d👧.jpg")
	v := h.v.View()
	if !strings.Contains(v, "family 👨\u200d👩\u200d👧.jpg") || strings.Contains(v, `\u200d`) {
		t.Errorf("emoji sequence not shown as is:\n%s", v)
	}
}

// TestSignURLOneLineAndPrintOnExit: without a clipboard the URL must still be
// copyable whole: it is never broken over lines on screen, and p queues it
// for stdout when the app exits.
func TestSignURLOneLineAndPrintOnExit(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "docs/report 2026.pdf", "docs/b.txt")
	h.v.deps.exitPrint = new(exitPrinter)
	h.clip.nativeErr = fmt.Errorf("no xclip")
	h.v.clip = h.clip.writer() // not a terminal either: no clipboard at all
	h.v.SetSize(200, 24)       // wide enough for the whole URL
	h.press("enter")
	if len(h.v.result) != 2 {
		t.Fatalf("result %v, err %q", h.v.result, h.v.err)
	}
	url := h.v.result[0].url
	view := h.v.View()
	if !strings.Contains(view, url) {
		t.Fatalf("the URL is not on one line of the view:\n%s", view)
	}
	// At 80 columns it is cut, not wrapped: no line holds its tail alone.
	h.v.SetSize(80, 24)
	view = h.v.View()
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(l, "Signature=") || strings.Contains(l, "Key-Pair-Id") && !strings.HasPrefix(l, "https://") {
			t.Fatalf("the URL is broken over lines:\n%s", view)
		}
	}
	msgs := h.press("c")
	if st, _ := vtFind[statusMsg](msgs); !st.err || !strings.Contains(st.text, "p prints") {
		t.Fatalf("no-clipboard status %+v, want it to offer p", st)
	}
	if !helpHas(h.v.ShortHelp(), "p") {
		t.Fatal("p is not in the help")
	}
	msgs = h.press("p")
	if st, _ := vtFind[statusMsg](msgs); st.err || !strings.Contains(st.text, "printed when you quit") {
		t.Fatalf("p status %+v", st)
	}
	if got := h.v.deps.exitPrint.queued(); len(got) != 2 || got[0] != url || got[1] != h.v.result[1].url {
		t.Fatalf("queued %q", got)
	}
	h.press("p") // once is enough
	if got := h.v.deps.exitPrint.queued(); len(got) != 2 || helpHas(h.v.ShortHelp(), "p") {
		t.Fatalf("a second p queued again: %d lines", len(got))
	}
	var out strings.Builder
	if err := h.v.deps.exitPrint.writeTo(&out); err != nil || out.String() != url+"\n"+h.v.result[1].url+"\n" {
		t.Fatalf("printed %q, %v", out.String(), err)
	}
}

// helpHas reports whether an enabled binding with help key k is in bs.
func helpHas(bs []key.Binding, k string) bool {
	for _, b := range bs {
		if b.Enabled() && b.Help().Key == k {
			return true
		}
	}
	return false
}

// f shows the URLs unbroken on the normal screen (tea.Exec): each one
// logical line, however long, then back on enter.
func TestSignShowInFull(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "docs/report 2026.pdf", "docs/b.txt")
	h.press("enter")
	if !helpHas(h.v.ShortHelp(), "f") {
		t.Fatal("f is not in the help once signed")
	}
	_, cmd := h.v.Update(vtKey("f"))
	if cmd == nil {
		t.Fatal("f did nothing")
	}
	var out bytes.Buffer
	fv := &fullView{lines: strings.Split(h.v.copyText(), "\n")}
	fv.SetStdin(strings.NewReader("\n"))
	fv.SetStdout(&out)
	if err := fv.Run(); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.v.result {
		if !strings.Contains(out.String(), "\n"+r.url+"\n") {
			t.Errorf("%q is not shown whole on a line of its own:\n%s", r.url, out.String())
		}
	}
}

// A result stays on screen only with the inputs that made it: signed
// cookies, then Output moved to signed URL without signing again, leave no
// "Signed URL" heading over a Cookie block, and c copies nothing; an error
// from new inputs leaves no older result behind it.
func TestSignResultOnlyWithItsInputs(t *testing.T) {
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("tab", "tab", "right", "enter") // cookies
	if len(h.v.result) != 1 || !strings.Contains(h.v.View(), "Cookie: ") {
		t.Fatalf("cookies: %+v %q", h.v.result, h.v.err)
	}
	h.v.setFocus(sfMode)
	h.press("left") // Output: signed URL, not signed yet
	v := h.v.View()
	if strings.Contains(v, "Cookie: ") || strings.Contains(v, "valid until") || len(h.v.result) != 0 {
		t.Fatalf("an old result under new inputs:\n%s", v)
	}
	h.press("c")
	if len(h.clip.native) != 0 {
		t.Fatalf("c copied %q with nothing signed for these inputs", h.clip.native)
	}
	for _, b := range h.v.ShortHelp() {
		if b.Enabled() && (b.Help().Key == "o" || b.Help().Key == "c/y") {
			t.Errorf("help offers %s with no result", b.Help().Key)
		}
	}

	// Cookies again, then S3 presigned for 30 days: an error, and the
	// cookies are gone with it.
	h.press("right", "enter")
	if len(h.v.result) != 1 {
		t.Fatalf("cookies again: %q", h.v.err)
	}
	h.v.setFocus(sfMode)
	h.press("right") // S3 presigned
	h.v.preset = 4   // 30d: more than presigning allows
	h.press("enter")
	if v := h.v.View(); strings.Contains(v, "Cookie: ") || !strings.Contains(v, "7 days") {
		t.Fatalf("an error over old cookies:\n%s", v)
	}
}

// Every signed URL is on screen or counted: eight at 80x24 show what fits
// and say how many more there are.
func TestSignManyResultsSayHowManyMore(t *testing.T) {
	keys := []string{"a1.txt", "a2.txt", "a3.txt", "a4.txt", "a5.txt", "a6.txt", "a7.txt", "a8.txt"}
	h := newSignHarness(t, vtSignSettings, keys...)
	h.press("enter")
	if len(h.v.result) != 8 {
		t.Fatalf("signed %d", len(h.v.result))
	}
	v := h.v.View()
	shown := strings.Count(v, "Signature=FAKE")
	m := regexp.MustCompile(`… (\d+) more`).FindStringSubmatch(v)
	if shown == 8 {
		return
	}
	if m == nil || m[1] != strconv.Itoa(8-shown) {
		t.Fatalf("%d of 8 URLs shown, and the rest not counted:\n%s", shown, v)
	}
	if lines := strings.Count(v, "\n") + 1; lines > h.v.height {
		t.Fatalf("the view is %d lines, taller than its %d", lines, h.v.height)
	}
}

// The same through the whole app at 80x24: header and footer take their
// lines, and the URLs that do not fit are still counted.
func TestAppManySignedURLsAt80x24(t *testing.T) {
	keys := []string{"a1.txt", "a2.txt", "a3.txt", "a4.txt", "a5.txt", "a6.txt", "a7.txt", "a8.txt"}
	deps := btDeps(newBTLister(1000, keys...))
	deps.Settings = app.Literal(config.Settings{Bucket: "media", Region: "us-east-1", Domain: "d111111abcdef8.cloudfront.net", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: "/k.pem"})
	signer := &fakeURLSigner{}
	deps.Signers = signerFunc(func(app.Target) (URLSigner, error) { return signer, nil })
	a := newBTApp(t, deps, 80, 24)
	for range keys {
		a.press("space")
	}
	a.press("s")
	a.send(tea.KeyMsg{Type: tea.KeyEnter})
	v := a.m.View()
	shown := strings.Count(v, "Signature=FAKE")
	m := regexp.MustCompile(`… (\d+) more`).FindStringSubmatch(v)
	if shown < 8 && (m == nil || m[1] != strconv.Itoa(8-shown)) {
		t.Fatalf("%d of 8 URLs shown, and the rest not counted:\n%s", shown, v)
	}
}

// Hints offer only what works: no o for cookies, none once the machine has
// shown it has no browser; E only when there is an error to show.
func TestHintsOfferOnlyWhatWorks(t *testing.T) {
	offers := func(bs []key.Binding, k string) bool {
		for _, b := range bs {
			if b.Enabled() && b.Help().Key == k {
				return true
			}
		}
		return false
	}
	h := newSignHarness(t, vtSignSettings, "a.txt")
	h.press("enter")
	if !offers(h.v.ShortHelp(), "o") || !strings.Contains(h.v.View(), "o opens") {
		t.Fatalf("a signed URL with a browser: o not offered\n%s", h.v.View())
	}
	h.v.Update(urlOpenedMsg{status: statusMsg{text: "No browser found", err: true}, noBrowser: true})
	if offers(h.v.ShortHelp(), "o") || strings.Contains(h.v.View(), "o opens") {
		t.Fatalf("o offered after no browser was found:\n%s", h.v.View())
	}
	h = newSignHarness(t, vtSignSettings, "a.txt")
	h.press("tab", "tab", "right", "enter") // cookies
	if offers(h.v.ShortHelp(), "o") || strings.Contains(h.v.View(), "o opens") {
		t.Fatalf("o offered for cookies, which a browser cannot send:\n%s", h.v.View())
	}

	l := newBTLister(1000, btKeysSample...)
	bb := newBTBrowser(t, l, "media")
	if offers(bb.b.ShortHelp(), "E") {
		t.Fatal("E offered with no error")
	}
	l.failList = errors.New("connection refused")
	bb.press("r")
	if !offers(bb.b.ShortHelp(), "E") {
		t.Fatal("E not offered with an error")
	}
}

// f shows the URLs on an alternate screen of its own on a terminal, so
// none is left in the scrollback once cfsign exits; off a terminal, plain.
func TestShowInFullLeavesNoScrollback(t *testing.T) {
	ctl, tty := vtPTY(t)
	go func() { ctl.Write([]byte("x")) }() // the key that ends it
	f := &fullView{lines: []string{"https://d.example/a?Signature=XYZ"}, stdin: tty, stdout: tty}
	out := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := ctl.Read(buf)
			b.Write(buf[:n])
			if err != nil || strings.Contains(b.String(), "\x1b[?1049l") {
				out <- b.String()
				return
			}
		}
	}()
	if err := f.Run(); err != nil {
		t.Fatal(err)
	}
	got := <-out
	enter, url, leave := strings.Index(got, "\x1b[?1049h"), strings.Index(got, "Signature=XYZ"), strings.Index(got, "\x1b[?1049l")
	if enter < 0 || url < enter || leave < url {
		t.Fatalf("the URL was not drawn on an alternate screen: %q", got)
	}
	var plain bytes.Buffer
	(&fullView{lines: []string{"u"}, stdin: strings.NewReader("\n"), stdout: &plain}).Run()
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("escape sequences off a terminal: %q", plain.String())
	}
}
