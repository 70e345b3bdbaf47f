package ui

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/app"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
	tea "github.com/charmbracelet/bubbletea"
)

const vtPEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtestkeytestkeytestkey\n-----END PUBLIC KEY-----\n"

// fakeKeys writes a fixed public key and loads any file that exists.
type fakeKeys struct {
	mu     sync.Mutex
	exists bool
	forces []bool
}

func (f *fakeKeys) GenerateFiles(dir string, t keys.Type, force bool) (keys.Pair, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forces = append(f.forces, force)
	priv := filepath.Join(dir, keys.PrivateFile)
	if f.exists && !force {
		return keys.Pair{}, fmt.Errorf("write %s: %w", priv, keys.ErrExists)
	}
	pub := filepath.Join(dir, keys.PublicFile)
	if err := os.WriteFile(priv, []byte("private"), 0o600); err != nil {
		return keys.Pair{}, err
	}
	if err := os.WriteFile(pub, []byte(vtPEM), 0o644); err != nil {
		return keys.Pair{}, err
	}
	f.exists = true
	return keys.Pair{PrivatePath: priv, PublicPath: pub, Fingerprint: "SHA256:dGVzdGtleXRlc3RrZXl0ZXN0a2V5", Type: t}, nil
}

func (f *fakeKeys) LoadKey(_ context.Context, path, _ string) (crypto.Signer, string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("load key %s: no such file", path)
	}
	return nil, "", nil
}

// vtRealKeys is the keys package as a KeyMaker.
type vtRealKeys struct{}

func (vtRealKeys) GenerateFiles(dir string, t keys.Type, force bool) (keys.Pair, error) {
	return keys.GenerateFiles(dir, t, force)
}

func (vtRealKeys) LoadKey(_ context.Context, value, from string) (crypto.Signer, string, error) {
	return keys.LoadPrivateSetting(value, from)
}

// fakeStore records what the setup screen saves: the settings it edited
// and the edits, applied to a copy as if the file held them.
type fakeStore struct {
	saved [][]app.Edit
	err   error
}

func (f *fakeStore) Save(_ context.Context, set app.Settings, edits ...app.Edit) (app.Saved, error) {
	f.saved = append(f.saved, edits)
	if f.err != nil {
		return app.Saved{}, f.err
	}
	cs := set.Settings
	for _, e := range edits {
		*settingField(&cs, e.Key) = e.Value
	}
	return app.Saved{Settings: app.Literal(cs), Wrote: true}, nil
}

// settingField is the field of s that holds k.
func settingField(s *config.Settings, k app.Key) *string {
	return map[app.Key]*string{app.Profile: &s.Profile, app.Region: &s.Region, app.Bucket: &s.Bucket, app.Domain: &s.Domain,
		app.OriginPath: &s.OriginPath, app.KeyPairID: &s.KeyPairID, app.PrivateKey: &s.PrivateKey, app.DefaultExpiry: &s.DefaultExpiry,
		app.EndpointURL: &s.EndpointURL, app.Hash: &s.Hash}[k]
}

type setupHarness struct {
	t     *testing.T
	v     *setupView
	keys  *fakeKeys
	store *fakeStore
	clip  *fakeClip
	nav   []tea.Msg
}

func newSetupHarness(t *testing.T, s app.Settings) *setupHarness {
	t.Helper()
	h := &setupHarness{t: t, keys: &fakeKeys{}, store: &fakeStore{}, clip: &fakeClip{}}
	h.v = newSetupView(Deps{Settings: s, Keys: h.keys, Store: h.store, KeyDir: t.TempDir()}, NewStyles())
	h.v.now = func() time.Time { return vtNow }
	h.v.clip = h.clip.writer()
	for i := range h.v.fields {
		vtStatic(&h.v.fields[i].input)
	}
	for i := range h.v.fields {
		h.v.revalidate(i)
	}
	h.v.SetSize(80, 24)
	h.drive(h.v.checkKey())
	return h
}

func (h *setupHarness) drive(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, m := range vtRun(c) {
			switch m.(type) {
			case statusMsg, settingsSavedMsg, backMsg:
				h.nav = append(h.nav, m)
				continue
			}
			_, next := h.v.Update(m)
			queue = append(queue, next)
		}
	}
}

func (h *setupHarness) press(keys ...string) {
	for _, k := range keys {
		_, cmd := h.v.Update(vtKey(k))
		h.drive(cmd)
	}
}

// to focuses field i.
func (h *setupHarness) to(i int) {
	h.drive(h.v.setFocus(i))
}

func (h *setupHarness) set(i int, s string) {
	h.to(i)
	h.press("ctrl+u")
	for _, c := range vtType(h.v, s) {
		h.drive(c)
	}
}

func TestSetupValidators(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		ok   bool
	}{
		{"region", validRegion, "us-east-1", true},
		{"region gov", validRegion, "us-gov-west-1", true},
		{"region upper", validRegion, "US-EAST-1", false},
		{"region no number", validRegion, "us-east", false},
		{"bucket", validBucket, "my-bucket.example", true},
		{"bucket short", validBucket, "ab", false},
		{"bucket long", validBucket, strings.Repeat("a", 64), false},
		{"bucket upper", validBucket, "MyBucket", false},
		{"bucket underscore", validBucket, "my_bucket", false},
		{"bucket dots", validBucket, "a..b", false},
		{"bucket ip", validBucket, "192.168.1.1", false},
		{"bucket hyphen end", validBucket, "bucket-", false},
		{"bucket xn--", validBucket, "xn--bucket", false},
		{"bucket s3alias", validBucket, "bucket-s3alias", false},
		{"domain", validDomain, "d111111abcdef8.cloudfront.net", true},
		{"domain with port", validDomain, "127.0.0.1:8080", true},
		{"domain with path", validDomain, "d111111abcdef8.cloudfront.net/images", false},
		{"domain ftp", validDomain, "ftp://example.com", false},
		{"origin path", validOriginPath, "/media", true},
		{"origin no slash", validOriginPath, "media", false},
		{"origin trailing slash", validOriginPath, "/media/", false},
		{"key pair ID", validKeyPairID, "K2JCJMDEHXQW5F", true},
		{"key pair ID lower", validKeyPairID, "k2jcjmdehxqw5f", false},
		{"key pair ID short", validKeyPairID, "K2JCJ", false},
		{"profile", validProfile, "work-sso", true},
		{"profile space", validProfile, "my profile", false},
	}
	for _, tc := range tests {
		if got := tc.fn(tc.in); (got == "") != tc.ok {
			t.Errorf("%s: %q → %q, want ok=%v", tc.name, tc.in, got, tc.ok)
		}
	}
}

func TestSetupValidatesAsYouType(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	h.set(fRegion, "us-east")
	if !strings.Contains(h.v.View(), "✗ not a region") {
		t.Fatalf("no inline error:\n%s", h.v.View())
	}
	for _, c := range vtType(h.v, "-1") {
		h.drive(c)
	}
	if h.v.fields[fRegion].err != "" {
		t.Fatalf("us-east-1 flagged: %q", h.v.fields[fRegion].err)
	}
	h.set(fExpiry, "2h")
	if f := h.v.fields[fExpiry]; f.err != "" || !strings.Contains(f.note, "2h") {
		t.Fatalf("expiry 2h: err %q note %q", f.err, f.note)
	}
	h.set(fExpiry, "-1h")
	if h.v.fields[fExpiry].err == "" {
		t.Fatal("a past default expiry passed")
	}
	h.set(fExpiry, "soon")
	if h.v.fields[fExpiry].err == "" {
		t.Fatal("an unreadable expiry passed")
	}
}

func TestSetupPrivateKeyCheckedInCommand(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	h.set(fPrivateKey, filepath.Join(t.TempDir(), "missing.pem"))
	if f := h.v.fields[fPrivateKey]; f.err == "" || h.v.keyPending {
		t.Fatalf("missing key: err %q pending %v", f.err, h.v.keyPending)
	}
	p := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.set(fPrivateKey, p)
	if f := h.v.fields[fPrivateKey]; f.err != "" || f.note != "loads" {
		t.Fatalf("existing key: err %q note %q", f.err, f.note)
	}
	// A stale answer (for an older path) is dropped.
	h.v.Update(keyCheckMsg{seq: h.v.keySeq - 1, path: "old", err: errors.New("old")})
	if h.v.fields[fPrivateKey].err != "" {
		t.Fatal("stale key check applied")
	}
}

func TestSetupGenerateConfirmsBeforeReplacing(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	h.keys.exists = true
	h.press("ctrl+g")
	if !h.v.confirm || h.v.InputFocused() {
		t.Fatal("no confirmation before replacing")
	}
	if !strings.Contains(h.v.View(), "Replace it?") {
		t.Fatalf("dialog not shown:\n%s", h.v.View())
	}
	h.press("n")
	if h.v.confirm || h.v.pem != "" || len(h.keys.forces) != 1 {
		t.Fatalf("n: confirm %v pem %q forces %v", h.v.confirm, h.v.pem, h.keys.forces)
	}
	h.press("ctrl+g", "y")
	if len(h.keys.forces) != 3 || !h.keys.forces[2] {
		t.Fatalf("forces %v, want the last with force", h.keys.forces)
	}
	if h.v.pem != vtPEM || h.v.focus != setupPanel {
		t.Fatalf("pem %q focus %d", h.v.pem, h.v.focus)
	}
	want := filepath.Join(h.v.deps.KeyDir, keys.PrivateFile)
	if got := h.v.fields[fPrivateKey].input.Value(); got != want {
		t.Fatalf("private key path %q, want %q", got, want)
	}
	if f := h.v.fields[fPrivateKey]; f.note != "loads" {
		t.Fatalf("generated key not checked: %q %q", f.err, f.note)
	}
	v := h.v.View()
	if !strings.Contains(v, "BEGIN PUBLIC KEY") || !strings.Contains(v, "SHA256:dGVzdGtleXRlc3RrZXl0ZXN0a2V5") {
		t.Fatalf("PEM or fingerprint not shown:\n%s", v)
	}
	h.press("c")
	if len(h.clip.native) != 1 || h.clip.native[0] != vtPEM {
		t.Fatalf("copied %q", h.clip.native)
	}
}

func TestSetupGenerateRealKeys(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	h.v.deps.Keys = vtRealKeys{}
	h.press("ctrl+g")
	if h.v.msgErr || h.v.pem == "" {
		t.Skipf("keys package not ready: %s", h.v.msg)
	}
	pub, err := keys.ParsePublic([]byte(h.v.pem))
	if err != nil {
		t.Fatalf("shown PEM does not parse: %v", err)
	}
	fp, _ := keys.Fingerprint(pub)
	if h.v.pair.Fingerprint != fp || !strings.Contains(h.v.View(), fp) {
		t.Fatalf("fingerprint %q, want %q", h.v.pair.Fingerprint, fp)
	}
	if f := h.v.fields[fPrivateKey]; f.err != "" {
		t.Fatalf("generated key does not load: %q", f.err)
	}
	h.press("ctrl+g")
	if !h.v.confirm {
		t.Fatal("the real keys package replaced a key without asking")
	}
}

func TestSetupSave(t *testing.T) {
	base := app.Literal(config.Settings{EndpointURL: "http://127.0.0.1:9000", Hash: "sha256",
		Buckets: map[string]config.BucketSettings{"other": {Domain: "o.example"}}})
	h := newSetupHarness(t, base)
	h.set(fBucket, "Bad_Bucket")
	h.press("ctrl+s")
	if len(h.store.saved) != 0 || !strings.Contains(h.v.msg, "Bucket") {
		t.Fatalf("saved with an invalid bucket; msg %q", h.v.msg)
	}
	h.set(fBucket, "media")
	h.set(fRegion, "eu-west-3")
	h.set(fDomain, "d111111abcdef8.cloudfront.net")
	h.set(fKeyPairID, "K2JCJMDEHXQW5F")
	h.set(fExpiry, "1d")
	h.press("ctrl+s")
	if len(h.store.saved) != 1 {
		t.Fatalf("saves %d; msg %q", len(h.store.saved), h.v.msg)
	}
	// Only what was edited is saved: nothing of the settings outside the
	// form, nor of the fields left as they were.
	got := map[app.Key]string{}
	for _, e := range h.store.saved[0] {
		got[e.Key] = e.Value
	}
	want := map[app.Key]string{app.Bucket: "media", app.Region: "eu-west-3", app.Domain: "d111111abcdef8.cloudfront.net",
		app.KeyPairID: "K2JCJMDEHXQW5F", app.DefaultExpiry: "1d"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("saved edits %v, want %v", got, want)
	}
	saved, ok := vtFind[settingsSavedMsg](h.nav)
	if !ok || saved.settings.Bucket != "media" {
		t.Fatalf("nav %v", h.nav)
	}
	h.store.err = errors.New("write config: read-only file system")
	h.press("ctrl+s")
	if !h.v.msgErr || !strings.Contains(h.v.msg, "read-only") {
		t.Fatalf("save error not shown: %q", h.v.msg)
	}
}

func TestSetupKeysGoToFocusedField(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	if !h.v.InputFocused() {
		t.Fatal("a field should have focus")
	}
	for _, c := range vtType(h.v, "jk") {
		h.drive(c)
	}
	if h.v.focus != fProfile || h.v.fields[fProfile].input.Value() != "jk" {
		t.Fatalf("j/k did not type: focus %d value %q", h.v.focus, h.v.fields[fProfile].input.Value())
	}
	h.press("enter", "down", "tab")
	if h.v.focus != fDomain {
		t.Fatalf("focus %d, want %d", h.v.focus, fDomain)
	}
	h.press("shift+tab", "up")
	if h.v.focus != fRegion {
		t.Fatalf("focus %d", h.v.focus)
	}
	h.press("esc") // "jk" is an unsaved edit: esc asks first
	if _, ok := vtFind[backMsg](h.nav); ok || !h.v.confirmDiscard {
		t.Fatal("esc left with unsaved edits")
	}
	h.press("y")
	if _, ok := vtFind[backMsg](h.nav); !ok {
		t.Fatal("esc, y did not go back")
	}
}

func TestSetupHostileValuesEscaped(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{Profile: "p\x1b[2J", Bucket: "b\x07", Domain: "\u202eevil"}))
	for _, size := range [][2]int{{80, 24}, {30, 8}, {200, 60}} {
		h.v.SetSize(size[0], size[1])
		btCheckFrame(t, h.v.View(), size[0], size[1])
	}
}

func TestSetupGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hh := size[0], size[1]
		h := newSetupHarness(t, app.Literal(config.Settings{Profile: "default", Region: "us-east-1", Bucket: "media",
			Domain: "d111111abcdef8.cloudfront.net/x", KeyPairID: "K2JCJMDEHXQW5F", DefaultExpiry: "1h"}))
		h.v.deps.KeyDir = "/home/ana/.config/cfsign/keys"
		h.v.SetSize(w, hh)
		btCheckFrame(t, h.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("setup_form_%dx%d", w, hh), h.v.View())

		h.keys.exists = true
		h.v.deps.KeyDir = t.TempDir()
		h.press("ctrl+g")
		h.v.deps.KeyDir = "/home/ana/.config/cfsign/keys"
		btGolden(t, fmt.Sprintf("setup_confirm_%dx%d", w, hh), h.v.View())

		h.v.deps.KeyDir = t.TempDir()
		h.press("y")
		h.v.fields[fPrivateKey].input.SetValue("/home/ana/.config/cfsign/keys/private_key.pem")
		btCheckFrame(t, h.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("setup_key_%dx%d", w, hh), h.v.View())
	}
}

// fakeAdmin is a tiny CloudFront: one key ID per distinct PEM, fixed distributions.
type fakeAdmin struct {
	mu    sync.Mutex
	pems  []string
	dists []aws.Distribution
}

func (f *fakeAdmin) RegisterPublicKey(ctx context.Context, pem []byte, name string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.pems {
		if p == string(pem) {
			return fmt.Sprintf("K%013d", i), true, nil
		}
	}
	f.pems = append(f.pems, string(pem))
	return fmt.Sprintf("K%013d", len(f.pems)-1), false, nil
}

func (f *fakeAdmin) ListDistributions(ctx context.Context) ([]aws.Distribution, error) {
	return f.dists, nil
}

func TestSetupRegisterPublicKey(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	admin := &fakeAdmin{}
	h.v.deps.CloudFront = admin
	h.press("ctrl+r")
	if !h.v.msgErr || len(admin.pems) != 0 {
		t.Fatalf("registered with no key: %q", h.v.msg)
	}
	h.press("ctrl+g", "ctrl+r")
	if len(admin.pems) != 1 || admin.pems[0] != vtPEM {
		t.Fatalf("registered %q", admin.pems)
	}
	if got := h.v.value(fKeyPairID); got != "K0000000000000" || h.v.fields[fKeyPairID].err != "" {
		t.Fatalf("key pair ID %q err %q", got, h.v.fields[fKeyPairID].err)
	}
	h.press("ctrl+r")
	if len(admin.pems) != 1 || !strings.Contains(h.v.msg, "Already registered") {
		t.Fatalf("second register: %d keys, msg %q", len(admin.pems), h.v.msg)
	}
}

func TestSetupRegisterFromPrivateKey(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	h.v.deps.Keys = vtRealKeys{}
	dir := t.TempDir()
	pair, err := keys.GenerateFiles(dir, keys.RSA, false)
	if err != nil {
		t.Skipf("keys.GenerateFiles: %v", err)
	}
	admin := &fakeAdmin{}
	h.v.deps.CloudFront = admin
	h.set(fPrivateKey, pair.PrivatePath)
	h.press("ctrl+r")
	want, _ := os.ReadFile(pair.PublicPath)
	if len(admin.pems) != 1 || admin.pems[0] != string(want) {
		t.Fatalf("registered %q, want the key's public PEM %q (msg %q)", admin.pems, want, h.v.msg)
	}
}

func TestSetupPickDistribution(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{Bucket: "media", KeyPairID: "K2JCJMDEHXQW5F"}))
	admin := &fakeAdmin{dists: []aws.Distribution{
		{ID: "E1OTHER", DomainName: "d1.cloudfront.net", Enabled: true,
			Origins: []aws.DistributionOrigin{{ID: "o", Bucket: "other"}}},
		{ID: "E2MEDIA", DomainName: "d2.cloudfront.net", Aliases: []string{"cdn.example.com"}, Enabled: true,
			Origins:   []aws.DistributionOrigin{{ID: "m", Bucket: "media", OriginPath: "/pub", OriginAccessControlID: "OAC1"}},
			Behaviors: []aws.DistributionBehavior{{PathPattern: "*", Default: true, TargetOriginID: "m"}}},
	}}
	h.v.deps.CloudFront = admin
	h.press("ctrl+p")
	if !h.v.cf.picking() || h.v.cf.cursor != 1 || h.v.InputFocused() {
		t.Fatalf("picking %v cursor %d", h.v.cf.picking(), h.v.cf.cursor)
	}
	if v := h.v.View(); !strings.Contains(v, "E2MEDIA  d2.cloudfront.net  (cdn.example.com)  ← media/pub") {
		t.Fatalf("list:\n%s", v)
	}
	h.press("enter")
	if h.v.value(fDomain) != "d2.cloudfront.net" || h.v.value(fOrigin) != "/pub" {
		t.Fatalf("domain %q origin %q", h.v.value(fDomain), h.v.value(fOrigin))
	}
	if len(h.v.cf.warnings) == 0 || !strings.Contains(h.v.View(), "⚠") {
		t.Fatalf("a distribution trusting no key group gave no warning:\n%s", h.v.View())
	}
	h.press("ctrl+p", "up", "enter")
	if h.v.value(fDomain) != "d1.cloudfront.net" || !strings.Contains(strings.Join(h.v.cf.warnings, "\n"), "bucket media") {
		t.Fatalf("domain %q warnings %q", h.v.value(fDomain), h.v.cf.warnings)
	}
	h.press("ctrl+p", "esc")
	if h.v.cf.picking() || h.v.value(fDomain) != "d1.cloudfront.net" {
		t.Fatal("esc did not leave the list unchanged")
	}
}

func TestSetupTestLink(t *testing.T) {
	status := http.StatusOK
	var gotPath, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.Path, r.URL.RawQuery
		if status != http.StatusOK {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(status)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>`)
			return
		}
		w.Header().Set("Content-Length", "5")
	}))
	defer srv.Close()
	h := newSetupHarness(t, app.Literal(config.Settings{Domain: srv.URL, OriginPath: "/pub", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: "/k.pem"}))
	signer := &fakeURLSigner{}
	h.v.deps.Signers = signerFunc(func(t app.Target) (URLSigner, error) {
		signer.id = t.KeyPairID
		return signer, nil
	})
	h.press("ctrl+t")
	if !strings.Contains(h.v.msg, "Test object") {
		t.Fatalf("msg %q", h.v.msg)
	}
	h.set(fTestObject, "pub/a b.txt")
	h.press("ctrl+t")
	if h.v.cf.diag == nil || !h.v.cf.diag.OK {
		t.Fatalf("diag %+v msg %q", h.v.cf.diag, h.v.msg)
	}
	if gotPath != "/a b.txt" || !strings.Contains(gotQuery, "Key-Pair-Id=K2JCJMDEHXQW5F") {
		t.Fatalf("requested %q ? %q", gotPath, gotQuery)
	}
	if o := signer.opts[0]; !o.Expires.Equal(vtNow.Add(testLinkTTL)) {
		t.Fatalf("test link expires %v", o.Expires)
	}
	if !strings.Contains(h.v.View(), "✓ Test link: 200") {
		t.Fatalf("view:\n%s", h.v.View())
	}
	status = http.StatusForbidden
	h.press("ctrl+t")
	if d := h.v.cf.diag; d == nil || d.OK || d.Status != 403 {
		t.Fatalf("diag %+v", d)
	}
	if v := h.v.View(); !strings.Contains(v, "✗ Test link: 403") {
		t.Fatalf("view:\n%s", v)
	}
}

func TestSetupCloudFrontStaleAndCancel(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	h.v.deps.CloudFront = &fakeAdmin{dists: []aws.Distribution{{ID: "E1", DomainName: "d1.cloudfront.net"}}}
	_, cmd := h.v.Update(vtKey("ctrl+p"))
	h.press("esc")
	if h.v.cf.busy != "" {
		t.Fatal("esc did not cancel")
	}
	if _, ok := vtFind[backMsg](h.nav); ok {
		t.Fatal("esc left the view while cancelling")
	}
	h.drive(cmd)
	if h.v.cf.picking() {
		t.Fatal("a cancelled listing opened the picker")
	}
}

// Without colour (NO_COLOR, goldens) an example value must not pass for a
// setting: each one says it is an example.
func TestSetupExamplesSaySo(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{}))
	v := h.v.View()
	for _, want := range []string{"e.g. default", "e.g. us-east-1", "e.g. my-private-bucket", "e.g. d111111abcdef8", "optional, e.g. /prefix", "e.g. K2JCJMDEHXQW5F", "e.g. 1h"} {
		if !strings.Contains(v, want) {
			t.Errorf("the form lacks %q:\n%s", want, v)
		}
	}
}
