package ui

import (
	"context"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
	tea "github.com/charmbracelet/bubbletea"
)

// ctrl sends a control key the shared vtKey does not name.
func (h *setupHarness) ctrl(t tea.KeyType) {
	_, cmd := h.v.Update(tea.KeyMsg{Type: t})
	h.drive(cmd)
}

// sandboxSetup is the setup screen on a sandbox of the test's own, as the
// app builds it with --sandbox: the application session on it (its
// CloudFront API, real keys, real signers, rotation), and a file on the
// edge to test links with.
func sandboxSetup(t *testing.T) (*setupHarness, *sandbox.Sandbox, *aws.CloudFront) {
	h, sb, cf, _ := sandboxSetupEnv(t, nil)
	return h, sb, cf
}

// sandboxSetupEnv is sandboxSetup with more environment for the session,
// which it returns too.
func sandboxSetupEnv(t *testing.T, env map[string]string) (*setupHarness, *sandbox.Sandbox, *aws.CloudFront, *app.Session) {
	t.Helper()
	sb := testenv.NewSandbox(t)
	sess := testSession(t, config.Settings{}, sb, env)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	set, err := sess.BucketSettings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := sess.CloudFront(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s3c, err := sess.S3(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "hello.txt")
	os.WriteFile(src, []byte("hello\n"), 0o600)
	if _, err := s3c.Upload(ctx, aws.UploadRequest{Path: src, Bucket: sb.Bucket, Key: "hello.txt"}, nil); err != nil {
		t.Fatal(err)
	}
	h := newSetupHarness(t, set)
	h.v.now = time.Now // the edge checks expiry against its own clock
	h.v.deps.CloudFront = cf
	h.v.deps.Keys = sess
	h.v.deps.Sandbox = true
	h.v.deps.Signers = SessionSigners{sess}
	h.v.deps.Rotator = sess
	h.set(fTestObject, "hello.txt")
	return h, sb, cf, sess
}

func (h *setupHarness) testLinkStatus() int {
	h.t.Helper()
	h.press("ctrl+t")
	if h.v.cf.diag == nil {
		h.t.Fatalf("no test link result: %q", h.v.msg)
	}
	return h.v.cf.diag.Status
}

// On the sandbox, generate, register, add to the key
// group and test the link, 200.
func TestSetupSandboxGenerateRegisterGroupTestLink(t *testing.T) {
	h, sb, cf := sandboxSetup(t)
	if c := h.testLinkStatus(); c != 200 {
		t.Fatalf("sandbox key: %d %+v", c, h.v.cf.diag)
	}
	h.press("ctrl+g")
	newID := h.v.value(fKeyPairID)
	if newID == sb.KeyPairID || h.v.fields[fKeyPairID].err != "" {
		t.Fatalf("Key pair ID did not follow the new key: %q (msg %q)", newID, h.v.msg)
	}
	if !strings.Contains(h.v.msg, "Added key group") {
		t.Fatalf("not added to the key group: %q", h.v.msg)
	}
	groups, err := cf.ListKeyGroups(context.Background())
	if err != nil || len(groups) != 1 || !groups[0].Has(newID) || !groups[0].Has(sb.KeyPairID) {
		t.Fatalf("key groups %+v %v", groups, err)
	}
	if c := h.testLinkStatus(); c != 200 {
		t.Fatalf("new key: test link %d, want 200 (%+v)", c, h.v.cf.diag)
	}
	// ctrl+r and ctrl+x again say what they found.
	h.press("ctrl+r")
	if !strings.Contains(h.v.msg, "Already registered: key pair ID "+newID) {
		t.Errorf("ctrl+r: %q", h.v.msg)
	}
	h.ctrl(tea.KeyCtrlX)
	if !strings.Contains(h.v.msg, "Already in key group") {
		t.Errorf("ctrl+x: %q", h.v.msg)
	}
}

// ctrl+r on AWS registers; a step (ctrl+x) adds the key to the group.
func TestSetupRegisterThenAddToGroup(t *testing.T) {
	h, sb, cf := sandboxSetup(t)
	h.v.deps.Sandbox = false // as on AWS: generate does not chain
	h.press("ctrl+g")
	if h.v.value(fKeyPairID) != sb.KeyPairID {
		t.Fatalf("generate alone changed the key pair ID")
	}
	h.press("ctrl+r")
	id := h.v.value(fKeyPairID)
	if id == sb.KeyPairID {
		t.Fatalf("ctrl+r: %q", h.v.msg)
	}
	if c := h.testLinkStatus(); c != 403 {
		t.Fatalf("a key in no group: %d, want 403", c)
	}
	h.ctrl(tea.KeyCtrlX)
	if g, _ := cf.GroupsWithKey(context.Background(), id); len(g) != 1 {
		t.Fatalf("ctrl+x: %q", h.v.msg)
	}
	if c := h.testLinkStatus(); c != 200 {
		t.Fatalf("after ctrl+x: %d", c)
	}
}

func TestSetupRotateOnSandbox(t *testing.T) {
	h, sb, cf, sess := sandboxSetupEnv(t, nil)
	h.ctrl(tea.KeyCtrlY)
	id := h.v.value(fKeyPairID)
	if id == sb.KeyPairID || !strings.Contains(h.v.msg, "Rotated: signing with "+id) {
		t.Fatalf("rotate: %q", h.v.msg)
	}
	if s := h.v.deps.Settings; s.KeyPairID != id || !strings.Contains(s.PrivateKey, "rotated-") {
		t.Fatalf("settings not switched: %s %s", s.KeyPairID, s.PrivateKey)
	}
	if s, _ := sess.Settings(context.Background(), ""); s.KeyPairID != id {
		t.Fatalf("the sandbox signs with %s, not the new key", s.KeyPairID)
	}
	// Saved, and setup stays on screen with the result: not an edit to discard.
	if saved, ok := vtFind[settingsSavedMsg](h.nav); !ok || !saved.stay || h.v.dirty() {
		t.Fatalf("after the save: %+v %v, dirty %v", saved, ok, h.v.dirty())
	}
	if c := h.testLinkStatus(); c != 200 {
		t.Fatalf("rotated key: %d", c)
	}
	h.ctrl(tea.KeyCtrlL)
	view := h.v.View()
	if len(h.v.groupRows) != 2 || !strings.Contains(view, "2 of 5 keys") || !strings.Contains(view, "SHA256:") {
		t.Fatalf("key group panel (%d rows):\n%s", len(h.v.groupRows), view)
	}
	for range 3 {
		h.ctrl(tea.KeyCtrlY)
	}
	g, _ := cf.GroupsWithKey(context.Background(), sb.KeyPairID)
	if len(g) != 1 || len(g[0].KeyIDs) != 5 {
		t.Fatalf("after 4 rotations: %+v", g)
	}
	h.ctrl(tea.KeyCtrlY)
	if !h.v.msgErr || !strings.Contains(h.v.msg, "already holds 5 keys") {
		t.Fatalf("sixth key: %q", h.v.msg)
	}
}

func TestSetupEscAsksBeforeDiscarding(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{Domain: "d111.cloudfront.net"}))
	h.press("esc")
	if _, ok := vtFind[backMsg](h.nav); !ok || h.v.confirmDiscard {
		t.Fatal("esc with no edits should leave at once")
	}
	h.nav = nil
	h.set(fDomain, "d222.cloudfront.net")
	h.press("esc")
	if _, ok := vtFind[backMsg](h.nav); ok || !h.v.confirmDiscard || h.v.InputFocused() {
		t.Fatal("esc with edits left without asking")
	}
	if !strings.Contains(h.v.View(), "Discard them and leave setup? (y/n)") {
		t.Fatalf("no question:\n%s", h.v.View())
	}
	h.press("n")
	if h.v.confirmDiscard || h.v.value(fDomain) != "d222.cloudfront.net" {
		t.Fatal("n did not keep the edits")
	}
	h.press("esc", "y")
	if _, ok := vtFind[backMsg](h.nav); !ok {
		t.Fatal("y did not leave")
	}
}

// kmsKeys loads keys as the app does: files, and keys kept in AWS through
// the fake KMS over HTTP.
type kmsKeys struct {
	vtRealKeys
	opts aws.KeySourceOptions
}

func (k kmsKeys) LoadKey(ctx context.Context, value, from string) (crypto.Signer, string, error) {
	return aws.LoadKeySigner(ctx, value, from, k.opts)
}

func TestSetupKeySource(t *testing.T) {
	f := testenv.NewFakeKMS(t, 0)
	h := newSetupHarness(t, app.Literal(config.Settings{PrivateKey: "/keys/private_key.pem"}))
	h.v.deps.Keys = kmsKeys{opts: aws.KeySourceOptions{KMSEndpointURL: f.URL,
		ClientOptions: aws.ClientOptions{Region: "us-east-1", AccessKeyID: "testing", SecretAccessKey: "testing"}}}
	h.ctrl(tea.KeyCtrlO)
	if h.v.value(fPrivateKey) != "kms:" || h.v.focus != fPrivateKey || !strings.Contains(h.v.fields[fPrivateKey].note, "KMS key ID") {
		t.Fatalf("ctrl+o: %q note %q", h.v.value(fPrivateKey), h.v.fields[fPrivateKey].note)
	}
	for _, c := range vtType(h.v, "fake") {
		h.drive(c)
	}
	if f := h.v.fields[fPrivateKey]; f.err != "" || !strings.Contains(f.note, "found in AWS KMS") {
		t.Fatalf("kms:fake: err %q note %q", f.err, f.note)
	}
	f.Mu.Lock()
	signs := f.Types["RAW"] + f.Types["DIGEST"]
	f.Mu.Unlock()
	if signs != 0 {
		t.Errorf("checking the key signed %d times", signs)
	}
	for _, want := range []string{"secretsmanager:", "ssm:", "/keys/private_key.pem", "kms:"} {
		h.ctrl(tea.KeyCtrlO)
		if got := h.v.value(fPrivateKey); got != want {
			t.Fatalf("ctrl+o gave %q, want %q", got, want)
		}
	}
}

// CreateKMSKey makes the key in (moto's) KMS.
func (k kmsKeys) CreateKMSKey(ctx context.Context) (string, crypto.PublicKey, error) {
	s, err := aws.CreateKMSKey(ctx, aws.KMSRSA, "", "setup rotate test", k.opts)
	if err != nil {
		return "", nil, err
	}
	return s.ARN(), s.Public(), nil
}

// Rotate with the key source on KMS makes a KMS key (moto), registers it with
// the sandbox's CloudFront API, adds it to the key group and signs with it:
// the test link through the sandbox edge answers 200.
func TestSetupRotateToKMSOnSandbox(t *testing.T) {
	moto := testenv.Moto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	h, sb, cf, _ := sandboxSetupEnv(t, map[string]string{"AWS_ENDPOINT_URL_KMS": moto})
	h.ctrl(tea.KeyCtrlO) // the key source: KMS
	if h.v.value(fPrivateKey) != "kms:" {
		t.Fatalf("ctrl+o: %q", h.v.value(fPrivateKey))
	}
	h.ctrl(tea.KeyCtrlY)
	id, priv := h.v.value(fKeyPairID), h.v.value(fPrivateKey)
	if h.v.msgErr || id == sb.KeyPairID || !strings.HasPrefix(priv, "kms:arn:") {
		t.Fatalf("rotate to KMS: %q; key pair ID %s, private key %q", h.v.msg, id, priv)
	}
	if h.v.deps.Settings.PrivateKey != priv {
		t.Fatalf("settings not switched to the KMS key: %q", h.v.deps.Settings.PrivateKey)
	}
	g, _ := cf.GroupsWithKey(context.Background(), id)
	if len(g) != 1 || !g[0].Has(sb.KeyPairID) {
		t.Fatalf("the KMS key's group %+v should also keep the old key", g)
	}
	if c := h.testLinkStatus(); c != 200 {
		t.Fatalf("test link signed by the KMS key: %d (%s)", c, h.v.msg)
	}
}

// At 80 columns the key group panel still shows what decides a retirement:
// the ID, signing, and until when links signed with a key stay valid; the
// long fingerprint and the name give way first.
func TestSetupKeyGroupPanelKeepsExpiry(t *testing.T) {
	h := newSetupHarness(t, app.Literal(config.Settings{KeyPairID: "K2SIGNINGKEY01"}))
	h.v.SetSize(80, 24)
	h.v.group = aws.KeyGroupInfo{Name: "cfsign-group-with-a-long-name"}
	until := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	h.v.groupRows = []keyGroupRow{
		{id: "K2SIGNINGKEY01", name: "a-rather-long-public-key-name-here", fingerprint: "SHA256:" + strings.Repeat("x", 43), created: vtNow},
		{id: "K2OLDKEY000001", name: "old", fingerprint: "SHA256:" + strings.Repeat("y", 43), created: vtNow, latestExpiry: until},
	}
	view := h.v.View()
	for _, want := range []string{"K2SIGNINGKEY01", "signing", "K2OLDKEY000001", "signed until 2026-12-31 23:59Z"} {
		if !strings.Contains(view, want) {
			t.Errorf("the panel at 80 columns lacks %q:\n%s", want, view)
		}
	}
}

// A key generated on the sandbox is registered and trusted at once; leaving
// without saving does not undo that, and the question says so.
func TestSetupDiscardSaysGeneratedKeyStaysTrusted(t *testing.T) {
	h, sb, cf := sandboxSetup(t)
	h.press("ctrl+g")
	id := h.v.value(fKeyPairID)
	if id == sb.KeyPairID {
		t.Fatalf("ctrl+g: %q", h.v.msg)
	}
	if g, _ := cf.GroupsWithKey(context.Background(), id); len(g) != 1 {
		t.Fatalf("the new key is in %d key groups", len(g))
	}
	h.press("esc")
	view := h.v.View()
	if !h.v.confirmDiscard || !strings.Contains(view, "Key "+id+" stays trusted by key group") || !strings.Contains(view, "keys retire "+id) {
		t.Fatalf("discard question:\n%s", view)
	}
}

// On the sandbox a refused test link says which check of the edge failed,
// and L shows the sandbox's log with that line: the reasons once went
// nowhere when the app ran the sandbox.
func TestSetupSandboxRefusalSaysWhy(t *testing.T) {
	h, _, _, sess := sandboxSetupEnv(t, nil)
	h.v.deps.SandboxLog = sess
	h.set(fKeyPairID, "K2JCJMDEHXQW5F") // a key the distribution does not know
	if c := h.testLinkStatus(); c != 403 {
		t.Fatalf("test link with an unknown key: %d", c)
	}
	v := h.v.View()
	if !strings.Contains(v, "sandbox edge (L: log): check unknown-key failed") {
		t.Fatalf("a refused test link does not say which check failed:\n%s", v)
	}

	lv := newLogView(h.v.deps, h.v.st)
	lv.SetSize(200, 20)
	msg := lv.Init()()
	lv.Update(msg)
	if got := lv.View(); !strings.Contains(got, "check unknown-key failed") || !strings.Contains(got, "Sandbox log") {
		t.Fatalf("the log view does not show the refusal:\n%s", got)
	}
}
