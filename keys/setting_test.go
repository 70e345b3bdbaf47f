package keys

import (
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/internal/testenv/keytext"
)

// settingFixtures are the private keys the key-setting tests paste in every
// form: RSA-2048 as PKCS#1 and PKCS#8, ECDSA P-256 as PKCS#8 and SEC1.
var settingFixtures = []string{"rsa2048-pkcs1.pem", "rsa2048-pkcs8.pem", "p256-pkcs8.pem", "p256-sec1.pem"}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every form people paste a key in loads as that key, every damaged form
// is refused, and no error quotes any part of the value.
func TestPrivateSettingForms(t *testing.T) {
	for _, name := range settingFixtures {
		pemText := readFixture(t, name)
		want, err := ParsePrivate([]byte(pemText))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range keytext.Forms(pemText) {
			t.Run(name+"/"+f.Name, func(t *testing.T) {
				for _, load := range []func() (crypto.Signer, error){
					func() (crypto.Signer, error) {
						s, _, err := LoadPrivateSetting(f.Value, "CFSIGN_PRIVATE_KEY")
						return s, err
					},
					func() (crypto.Signer, error) { return ParsePrivateText(f.Value, "secret cdn/key") },
				} {
					got, err := load()
					switch {
					case err != nil:
						if leak := keytext.Leak(err.Error(), pemText, f.Value); leak != "" {
							t.Fatalf("error quotes the key (%q): %v", leak, err)
						}
						if strings.ContainsAny(err.Error(), "\r\n") {
							t.Fatalf("error is not one line: %q", err)
						}
						if !strings.Contains(err.Error(), "CFSIGN_PRIVATE_KEY") && !strings.Contains(err.Error(), "secret cdn/key") {
							t.Fatalf("error does not say where the value came from: %v", err)
						}
						if f.Want == keytext.Accept {
							t.Fatalf("refused: %v", err)
						}
					case f.Want == keytext.Refuse:
						t.Fatalf("accepted a damaged key")
					case f.Want == keytext.Accept && !want.(interface{ Equal(crypto.PrivateKey) bool }).Equal(got):
						t.Fatalf("loaded another key")
					}
				}
				if d := DescribeSetting(f.Value, "--private-key"); keytext.Leak(d, pemText, f.Value) != "" {
					t.Fatalf("DescribeSetting quotes the key: %q", d)
				}
			})
		}
	}
}

// A value is shown only when it names a file that exists; a path that
// names nothing, however path-like, is not (it could be a cut key).
func TestSettingFile(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "private_key.pem")
	if err := os.WriteFile(keyPath, []byte(readFixture(t, "p256-pkcs8.pem")), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	for _, tc := range []struct {
		value, want string
		ok          bool
	}{
		{keyPath, keyPath, true},
		{"  " + keyPath + "\n", keyPath, true},
		{"file://" + keyPath, keyPath, true},
		{"~/private_key.pem", keyPath, true},
		{filepath.Join(dir, "nope.pem"), "", false},
		{"MIIEpQIBAAKCAQEA756cV1HC8V", "", false},
		{keyPath + "\n" + keyPath, "", false},
		{"", "", false},
	} {
		got, ok := SettingFile(tc.value)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SettingFile(%q) = %q, %v; want %q, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
	// A file that exists may be named in errors: it can only be a path.
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadPrivateSetting(bad, "--private-key"); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error for an existing file should name it: %v", err)
	}
	_, _, err := LoadPrivateSetting(filepath.Join(dir, "missing.pem"), "--private-key")
	if err == nil || strings.Contains(err.Error(), "missing.pem") || !strings.Contains(err.Error(), "--private-key") {
		t.Errorf("error for a value naming no file should name the flag, not the value: %v", err)
	}
}

// The screen hides what could be key text and shows what is shaped like a
// path.
func TestMayBeKeyText(t *testing.T) {
	for _, name := range settingFixtures {
		for _, f := range keytext.Forms(readFixture(t, name)) {
			if !MayBeKeyText(f.Value) {
				t.Errorf("%s %s: shown", name, f.Name)
			}
		}
	}
	for _, p := range []string{"~/.config/cfsign/keys/private_key.pem", "/home/alice/keys/cdn-2026.pem", "keys/prod key (copy).pem", ""} {
		if MayBeKeyText(p) {
			t.Errorf("%q hidden", p)
		}
	}
}

// The second line of defence redacts stretches of base64 that look like
// key text and leaves paths, words and IDs alone.
func TestLooksLikeKeyRun(t *testing.T) {
	lines, found := 0, 0
	for _, name := range settingFixtures {
		body := keytext.Body(readFixture(t, name))
		for i := 0; i+64 <= len(body); i += 64 {
			lines++
			if LooksLikeKeyRun(body[i : i+64]) {
				found++
			}
		}
	}
	if found*10 < lines*9 {
		t.Errorf("%d of %d key lines recognised", found, lines)
	}
	for _, s := range []string{"/home/alice/keys/private", "K2JCJMDEHXQW5FABCDEF", "d41d8cd98f00b204e9800998ecf8427e", "reports/2026/quarterly/summary",
		"/tmp/TestBadConfigIsOneLineWithFileAndLine967106606/002/config", "MyProjects2024BackupCopy"} {
		if LooksLikeKeyRun(s) {
			t.Errorf("%q taken for key text", s)
		}
	}
}

// FuzzPrivateSetting: whatever a key setting holds, loading it never
// panics, errors are one line naming the setting, and neither an error nor
// the setting's description holds a run of any fixture key's body.
func FuzzPrivateSetting(f *testing.F) {
	var pems []string
	for _, name := range settingFixtures {
		pemText := readFixture(f, name)
		pems = append(pems, pemText)
		for _, form := range keytext.Forms(pemText) {
			f.Add(form.Value)
		}
	}
	f.Add("~/missing.pem")
	f.Add("file://")
	f.Fuzz(func(t *testing.T, value string) {
		_, _, err := LoadPrivateSetting(value, "CFSIGN_PRIVATE_KEY")
		desc := DescribeSetting(value, "CFSIGN_PRIVATE_KEY")
		if _, isFile := SettingFile(value); isFile {
			return // a file that exists may be named
		}
		for _, pemText := range pems {
			if leak := keytext.Leak(desc, pemText, ""); leak != "" {
				t.Fatalf("description quotes a key (%q): %q", leak, desc)
			}
			if err == nil {
				continue
			}
			if leak := keytext.Leak(err.Error(), pemText, ""); leak != "" {
				t.Fatalf("error quotes a key (%q): %v", leak, err)
			}
		}
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			if !strings.Contains(err.Error(), "CFSIGN_PRIVATE_KEY") {
				t.Fatalf("error does not name the setting: %v", err)
			}
		}
	})
}
