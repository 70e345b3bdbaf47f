package ui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/cli"
	"github.com/cfsign/cfsign/internal/testenv"
	tea "github.com/charmbracelet/bubbletea"
)

// handConfig is config.toml as a user wrote it: comments, a top level and
// a section for the bucket the app opens.
const handConfig = `# cfsign, by hand
domain = "d111.cloudfront.net"   # the main distribution
origin_path = "/assets"
key_pair_id = "KTOPLEVEL00001"
private_key = "~/keys/main.pem"

# the sandbox bucket has a distribution of its own
[buckets.sandbox]
domain = "cdn.example.com"
key_pair_id = "KSECTION00001"
`

// Saving from the app after editing one field changes only that setting
// in config.toml: every other key, section and comment stays as the user
// wrote it, though the app runs with a private key from the environment,
// an endpoint from a flag and a bucket from the s3:// argument, none of
// which is written.
func TestSetupSaveChangesOnlyTheEditedSetting(t *testing.T) {
	sb := testenv.NewSandbox(t)
	t.Setenv("AWS_ACCESS_KEY_ID", sb.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sb.SecretAccessKey)
	t.Setenv("AWS_REGION", sb.Region)
	other, err := filepath.Abs(filepath.Join("..", "testdata", "keys", "p256-pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		field int
		value string
		want  string
	}{
		{"a setting of the bucket's section", fDomain, "new.example.com",
			strings.Replace(handConfig, `domain = "cdn.example.com"`, `domain = "new.example.com"`, 1)},
		{"a setting set nowhere", fExpiry, "2h",
			strings.Replace(handConfig, "private_key = \"~/keys/main.pem\"\n", "private_key = \"~/keys/main.pem\"\ndefault_expiry = \"2h\"\n", 1)},
		{"a setting from the environment", fPrivateKey, other,
			strings.Replace(handConfig, `private_key = "~/keys/main.pem"`, `private_key = "`+other+`"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config", "cfsign", "config.toml")
			os.MkdirAll(filepath.Dir(cfg), 0o700)
			if err := os.WriteFile(cfg, []byte(handConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"CFSIGN_PRIVATE_KEY": filepath.Join(dir, "other.pem")}
			pem, _ := os.ReadFile(other)
			os.WriteFile(vars["CFSIGN_PRIVATE_KEY"], pem, 0o600)
			var status string
			_, stderr, code := cfsignRun(t, vars, func(start cli.AppStart) error {
				s3c, err := start.Session.S3(context.Background())
				if err != nil {
					return err
				}
				deps := Deps{Lister: s3c, Store: start.Session, Keys: start.Session, Settings: start.Settings}
				a := newBTApp(t, deps, 120, 40)
				a.press("K")
				if !a.m.onSetup() {
					t.Fatalf("K did not open setup:\n%s", a.m.View())
				}
				for range tc.field {
					a.press("tab")
				}
				a.send(tea.KeyMsg{Type: tea.KeyCtrlU})
				a.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tc.value), Paste: true})
				a.send(tea.KeyMsg{Type: tea.KeyCtrlS})
				status = a.m.status
				return nil
			}, "--endpoint-url", sb.S3Endpoint, "s3://sandbox/")
			if code != 0 {
				t.Fatalf("app: %s", stderr)
			}
			got, _ := os.ReadFile(cfg)
			if string(got) != tc.want {
				t.Fatalf("config.toml after the save:\n%s\nwant:\n%s\n(status %q)", got, tc.want, status)
			}
			if tc.field == fPrivateKey && !strings.Contains(status, "CFSIGN_PRIVATE_KEY overrides it") {
				t.Errorf("the status does not say the environment still wins: %q", status)
			}
		})
	}
}

// A rotation from the setup screen switches config.toml to the new key as
// 'cfsign keys rotate' does: the top level, and every bucket section that
// signed with the old key; a section with a key of its own is left alone,
// and so is every comment.
func TestSetupRotateRewritesBucketSections(t *testing.T) {
	sb := testenv.NewSandbox(t)
	t.Setenv("AWS_ACCESS_KEY_ID", sb.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sb.SecretAccessKey)
	t.Setenv("AWS_REGION", sb.Region)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config", "cfsign", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	body := "# keys\nkey_pair_id = \"" + sb.KeyPairID + "\"\nprivate_key = \"" + sb.PrivateKeyPath + "\"\n\n" +
		"[buckets.sandbox]\ndomain = \"cdn.example.com\"\nkey_pair_id = \"" + sb.KeyPairID + "\"  # the old key\nprivate_key = \"" + sb.PrivateKeyPath + "\"\n\n" +
		"[buckets.other]\nkey_pair_id = \"KOWNKEY000001\"\n"
	os.WriteFile(cfg, []byte(body), 0o600)
	vars := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"CFSIGN_CLOUDFRONT_ENDPOINT_URL": sb.CloudFrontEndpoint}
	var msg string
	_, stderr, code := cfsignRun(t, vars, func(start cli.AppStart) error {
		ctx := context.Background()
		s3c, err := start.Session.S3(ctx)
		if err != nil {
			return err
		}
		cf, err := start.Session.CloudFront(ctx)
		if err != nil {
			return err
		}
		deps := Deps{Lister: s3c, Store: start.Session, Keys: start.Session, Rotator: start.Session, CloudFront: cf,
			Settings: start.Settings, KeyDir: start.Session.KeyDir()}
		a := newBTApp(t, deps, 120, 40)
		a.press("K")
		a.send(tea.KeyMsg{Type: tea.KeyCtrlY})
		msg = a.m.cur.(*setupView).msg
		return nil
	}, "--endpoint-url", sb.S3Endpoint, "s3://sandbox/")
	if code != 0 {
		t.Fatalf("app: %s", stderr)
	}
	got, _ := os.ReadFile(cfg)
	s := string(got)
	id := match(t, `key_pair_id = "(K[A-Z0-9]+)"\n`, s)
	if id == sb.KeyPairID || !strings.Contains(msg, "Rotated: signing with "+id) {
		t.Fatalf("rotate: %q\n%s", msg, s)
	}
	want := "# keys\nkey_pair_id = \"" + id + "\"\nprivate_key = \"" + match(t, `private_key = "([^"]*rotated-[^"]*)"`, s) + "\"\n\n" +
		"[buckets.sandbox]\ndomain = \"cdn.example.com\"\nkey_pair_id = \"" + id + "\"  # the old key\n\n" +
		"[buckets.other]\nkey_pair_id = \"KOWNKEY000001\"\n"
	if s != want {
		t.Fatalf("config.toml after the rotation:\n%s\nwant:\n%s", s, want)
	}
	if !strings.Contains(msg, "1 bucket section now signs with it too") {
		t.Errorf("the message does not name the section: %q", msg)
	}
}

// match returns the first group of re in s.
func match(t *testing.T, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q not in:\n%s", re, s)
	}
	return m[1]
}
