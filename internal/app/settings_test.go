package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/internal/testenv"
)

// userConfig is config.toml as a user wrote it: comments, a top level and
// a section for the bucket the app opens.
const userConfig = `# my settings
domain = "d111.cloudfront.net"  # the main distribution
origin_path = "/assets"
key_pair_id = "KTOPLEVEL00001"
private_key = "~/keys/main.pem"

# the sandbox bucket has a distribution of its own
[buckets.sandbox]
domain = "cdn.example.com"
key_pair_id = "KSECTION00001"
`

// newTestSession is a session on a config.toml holding body, in the test's
// own directories, with env as its environment.
func newTestSession(t *testing.T, body string, env map[string]string) (*Session, string) {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state")}
	for k, v := range env {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	path := filepath.Join(dir, "config", "cfsign", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if body != "" {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := LoadSources(getenv)
	if err != nil {
		t.Fatal(err)
	}
	return NewSession(Env{Getenv: getenv}, src, false), path
}

func TestResolveSaysWhereEachSettingCameFrom(t *testing.T) {
	sess, path := newTestSession(t, userConfig, map[string]string{"CFSIGN_PRIVATE_KEY": "/env/other.pem"})
	sess.SetFlag(Region, "--region", "eu-west-1")
	s, err := sess.Settings(context.Background(), "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key         Key
		value, from string
	}{
		{Domain, "cdn.example.com", "domain in [buckets.sandbox] of " + path},
		// The bucket's own distribution: its own origin path, none here.
		{OriginPath, "", "origin_path in [buckets.sandbox] of " + path},
		{KeyPairID, "KSECTION00001", "key_pair_id in [buckets.sandbox] of " + path},
		{PrivateKey, "/env/other.pem", "CFSIGN_PRIVATE_KEY"},
		{Region, "eu-west-1", "--region"},
	} {
		if got, from := s.Get(tc.key), s.Origin(tc.key).Name; got != tc.value || from != tc.from {
			t.Errorf("%s = %q from %q, want %q from %q", tc.key, got, from, tc.value, tc.from)
		}
	}
	if d := s.Describe(); strings.Contains(d, "/env/other.pem") || strings.Contains(d, "KSECTION") || !strings.Contains(d, "private_key from CFSIGN_PRIVATE_KEY") {
		t.Errorf("Describe shows values or misses origins: %s", d)
	}
	top, _ := sess.Settings(context.Background(), "")
	if top.Domain != "d111.cloudfront.net" || top.OriginPath != "/assets" {
		t.Errorf("top level: %s %s", top.Domain, top.OriginPath)
	}
}

// An edit goes into the layer its setting came from and nowhere else: the
// rest of the file, comments included, stays byte for byte; flags and the
// environment are never written, and a setting they override says so.
func TestSaveWritesOnlyTheEditIntoItsLayer(t *testing.T) {
	for _, tc := range []struct {
		name       string
		edit       Edit
		want       string // config.toml after
		overridden string
	}{
		{"from the bucket section", Edit{Domain, "new.example.com"},
			strings.Replace(userConfig, `domain = "cdn.example.com"`, `domain = "new.example.com"`, 1), ""},
		{"from the top level", Edit{DefaultExpiry, "2h"},
			strings.Replace(userConfig, "private_key = \"~/keys/main.pem\"\n", "private_key = \"~/keys/main.pem\"\ndefault_expiry = \"2h\"\n", 1), ""},
		{"the bucket's own origin path", Edit{OriginPath, "/media"},
			userConfig + "origin_path = \"/media\"\n", ""},
		{"from the environment", Edit{PrivateKey, "/keys/new.pem"},
			strings.Replace(userConfig, `private_key = "~/keys/main.pem"`, `private_key = "/keys/new.pem"`, 1), "private_key: CFSIGN_PRIVATE_KEY overrides it"},
		{"from a flag", Edit{EndpointURL, "http://localhost:9000"},
			strings.Replace(userConfig, "private_key = \"~/keys/main.pem\"\n", "private_key = \"~/keys/main.pem\"\nendpoint_url = \"http://localhost:9000\"\n", 1), "endpoint_url: --endpoint-url overrides it"},
		// Cleared in the section: the top level's shows through again.
		{"cleared", Edit{KeyPairID, ""},
			strings.Replace(userConfig, "key_pair_id = \"KSECTION00001\"\n", "", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess, path := newTestSession(t, userConfig, map[string]string{"CFSIGN_PRIVATE_KEY": "/env/other.pem"})
			sess.SetFlag(EndpointURL, "--endpoint-url", "http://127.0.0.1:1")
			sess.SetFlag(Bucket, "the s3:// argument", "sandbox")
			ctx := context.Background()
			set, err := sess.BucketSettings(ctx, "sandbox")
			if err != nil {
				t.Fatal(err)
			}
			saved, err := sess.Save(ctx, set, tc.edit)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Fatalf("config.toml:\n%s\nwant:\n%s", got, tc.want)
			}
			if o := strings.Join(saved.Overridden, "; "); o != tc.overridden {
				t.Errorf("overridden %q, want %q", o, tc.overridden)
			}
			if tc.overridden == "" && tc.edit.Value != "" && saved.Settings.Get(tc.edit.Key) != tc.edit.Value {
				t.Errorf("after the save %s = %q", tc.edit.Key, saved.Settings.Get(tc.edit.Key))
			}
			if tc.edit.Value == "" && saved.Settings.Get(tc.edit.Key) != "KTOPLEVEL00001" {
				t.Errorf("after clearing, %s = %q, want the top level's", tc.edit.Key, saved.Settings.Get(tc.edit.Key))
			}
		})
	}
}

// On the sandbox, a key chosen on the setup screen becomes the sandbox's
// signing key (its own file); config.toml keeps its own key and is not even
// created for it. An edit of config.toml's own settings still goes there.
func TestSaveOnSandboxKeepsTheKeyOutOfConfig(t *testing.T) {
	sb := testenv.NewSandbox(t)
	sess, path := newTestSession(t, "", nil)
	sess.useSandbox = true
	sess.env.OpenSandbox = testenv.SandboxOpener(sb)
	ctx := context.Background()
	set, err := sess.BucketSettings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if set.KeyPairID != sb.KeyPairID || set.Domain != sb.EdgeURL || set.Origin(Domain).Layer != LayerSandbox {
		t.Fatalf("on the sandbox: %s %s", set.KeyPairID, set.Domain)
	}
	saved, err := sess.Save(ctx, set, Edit{KeyPairID, "KNEWKEY000001"}, Edit{PrivateKey, sb.PrivateKeyPath})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil || saved.Wrote {
		t.Fatal("config.toml written when only the sandbox's key changed")
	}
	b, err := os.ReadFile(SandboxKeyPath(sess.env.Getenv))
	if err != nil || !strings.Contains(string(b), "KNEWKEY000001") {
		t.Fatalf("sandbox key file: %s %v", b, err)
	}
	if _, err := sess.Save(ctx, saved.Settings, Edit{DefaultExpiry, "2h"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "KNEWKEY") || !strings.Contains(string(b), `default_expiry = "2h"`) {
		t.Fatalf("config.toml:\n%s", b)
	}
}
