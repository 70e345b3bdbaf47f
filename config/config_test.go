package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestApplyLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "cfsign")
	path := filepath.Join(dir, "config.toml")
	want := Settings{
		Profile: "prod", Region: "eu-west-1", Bucket: "media", Domain: "d111.cloudfront.net",
		OriginPath: "/assets", KeyPairID: "K2JCJMDEHXQW5F", PrivateKey: "/k/private_key.pem",
		DefaultExpiry: "1h", Hash: "sha256",
		Buckets: map[string]BucketSettings{"other.example": {Domain: "cdn.example.com", KeyPairID: "KOTHER"}},
	}
	var edits []Edit
	for _, f := range stringFields(&want) {
		edits = append(edits, Edit{Key: f.key, Value: *f.ptr})
	}
	edits = append(edits, Edit{Bucket: "other.example", Key: "domain", Value: "cdn.example.com"},
		Edit{Bucket: "other.example", Key: "key_pair_id", Value: "KOTHER"})
	if err := Apply(path, edits...); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", st.Mode().Perm())
	}
	dst, _ := os.Stat(dir)
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", dst.Mode().Perm())
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir holds %d entries, want only config.toml", len(ents))
	}
}

func TestApplyReplacesAtomicallyAndKeepsOldOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := Apply(path, Edit{Key: "domain", Value: "a.example"}); err != nil {
		t.Fatal(err)
	}
	if err := Apply(path, Edit{Key: "domain", Value: "b.example"}); err != nil {
		t.Fatal(err)
	}
	s, _ := Load(path)
	if s.Domain != "b.example" {
		t.Fatalf("domain %q", s.Domain)
	}
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if err := Apply(path, Edit{Key: "domain", Value: "c.example"}); err == nil {
		t.Fatal("save into read-only dir succeeded")
	}
	s, _ = Load(path)
	if s.Domain != "b.example" {
		t.Fatalf("old config lost: %q", s.Domain)
	}
}

func TestLoadMissingIsEmpty(t *testing.T) {
	s, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if err != nil || !reflect.DeepEqual(s, Settings{}) {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"syntax", "domain = \"a\"\nkey_pair_id = \n", []string{"config.toml:2:"}},
		{"unterminated", "domain = \"a\nhash = \"sha1\"\n", []string{"config.toml:1:"}},
		{"type", "domain = \"a\"\nhash = 5\n", []string{"config.toml", "line 2", "hash"}},
		{"unknown", "domian = \"a\"\n", []string{"config.toml", "unknown setting \"domian\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "config.toml")
			os.WriteFile(p, []byte(tc.body), 0o600)
			_, err := Load(p)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestPaths(t *testing.T) {
	env := envOf(map[string]string{"HOME": "/home/u"})
	if got := PathFrom(env); got != "/home/u/.config/cfsign/config.toml" {
		t.Errorf("PathFrom = %s", got)
	}
	env = envOf(map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "/x", "XDG_DATA_HOME": "/d"})
	if got := KeyDir(env); got != "/x/cfsign/keys" {
		t.Errorf("KeyDir = %s", got)
	}
	if got := SandboxDir(env); got != "/d/cfsign/sandbox" {
		t.Errorf("SandboxDir = %s", got)
	}
	env = envOf(map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "relative", EnvConfig: "/etc/c.toml"})
	if got := PathFrom(env); got != "/etc/c.toml" {
		t.Errorf("PathFrom with CFSIGN_CONFIG = %s", got)
	}
	if got := Dir(env); got != "/home/u/.config/cfsign" {
		t.Errorf("relative XDG_CONFIG_HOME not ignored: %s", got)
	}
}

func TestHasAWSAccount(t *testing.T) {
	home := t.TempDir()
	withFiles := t.TempDir()
	os.MkdirAll(filepath.Join(withFiles, ".aws"), 0o700)
	os.WriteFile(filepath.Join(withFiles, ".aws", "credentials"), []byte("[default]\naws_access_key_id = x\n"), 0o600)
	emptyHome := t.TempDir()
	os.MkdirAll(filepath.Join(emptyHome, ".aws"), 0o700)
	os.WriteFile(filepath.Join(emptyHome, ".aws", "config"), nil, 0o600)
	cfg := filepath.Join(t.TempDir(), "cfg")
	os.WriteFile(cfg, []byte("[profile x]\nregion = us-east-1\n"), 0o600)

	tests := []struct {
		name string
		env  map[string]string
		home string
		want bool
	}{
		{"nothing", nil, home, false},
		{"no home", nil, "", false},
		{"access key", map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}, home, true},
		{"profile", map[string]string{"AWS_PROFILE": "p"}, home, true},
		{"web identity", map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, home, true},
		{"container", map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/c"}, home, true},
		{"container full", map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://x"}, home, true},
		{"credentials file", nil, withFiles, true},
		{"empty config file", nil, emptyHome, false},
		{"dev null files", map[string]string{"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}, withFiles, false},
		{"AWS_CONFIG_FILE", map[string]string{"AWS_CONFIG_FILE": cfg}, home, true},
		{"missing AWS_CONFIG_FILE", map[string]string{"AWS_CONFIG_FILE": filepath.Join(home, "nope")}, home, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HasAWSAccount(envOf(tc.env), tc.home); got != tc.want {
				t.Errorf("HasAWSAccount = %v, want %v", got, tc.want)
			}
		})
	}
	if (Settings{}).NamesAccount() || !(Settings{Bucket: "b"}).NamesAccount() {
		t.Error("NamesAccount")
	}
}
