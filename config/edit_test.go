package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config file as people write it: comments everywhere, blank lines, a
// section for a bucket whose name has dots, odd spacing and a trailing
// comment.
const handWritten = `# my cfsign settings
# (edited by hand)

domain   = "d111.cloudfront.net"   # the main distribution
origin_path = "/assets"
key_pair_id = "KTOPLEVEL"
private_key = "~/keys/main.pem"

# media has its own distribution
[buckets."media.example"]
domain = "cdn.example.com"
key_pair_id = "KMEDIA"   # rotated in May

[buckets.logs]
domain = "logs.example.com"
`

func TestApplyEditsOnlyWhatItIsAsked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []Edit
		want  string
	}{
		{"replace top level, keep its comment",
			[]Edit{{Key: "domain", Value: "new.cloudfront.net"}},
			strings.Replace(handWritten, `"d111.cloudfront.net"`, `"new.cloudfront.net"`, 1)},
		{"replace in a quoted section",
			[]Edit{{Bucket: "media.example", Key: "key_pair_id", Value: "KNEW"}},
			strings.Replace(handWritten, `key_pair_id = "KMEDIA"`, `key_pair_id = "KNEW"`, 1)},
		{"add to a section",
			[]Edit{{Bucket: "logs", Key: "origin_path", Value: "/l"}},
			handWritten + "origin_path = \"/l\"\n"},
		{"add to the top level",
			[]Edit{{Key: "region", Value: "eu-west-1"}},
			strings.Replace(handWritten, "private_key = \"~/keys/main.pem\"\n", "private_key = \"~/keys/main.pem\"\nregion = \"eu-west-1\"\n", 1)},
		{"add a section",
			[]Edit{{Bucket: "new", Key: "domain", Value: "n.example"}},
			handWritten + "\n[buckets.new]\ndomain = \"n.example\"\n"},
		{"remove a key with its trailing comment",
			[]Edit{{Bucket: "media.example", Key: "key_pair_id", Remove: true}},
			strings.Replace(handWritten, "key_pair_id = \"KMEDIA\"   # rotated in May\n", "", 1)},
		{"remove what is not there",
			[]Edit{{Key: "hash", Remove: true}},
			handWritten},
		{"key text with newlines and quotes",
			[]Edit{{Key: "private_key", Value: "-----BEGIN \"X\"-----\nAB\\C\n"}},
			strings.Replace(handWritten, `private_key = "~/keys/main.pem"`, `private_key = "-----BEGIN \"X\"-----\nAB\\C\n"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(handWritten), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Apply(path, tc.edits...); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestApplyTopLevelBeforeTheFirstSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte("# header\n\n# the logs bucket\n[buckets.logs]\ndomain = \"l\"\n"), 0o600)
	if err := Apply(path, Edit{Key: "domain", Value: "top"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# header\n\ndomain = \"top\"\n# the logs bucket\n[buckets.logs]\ndomain = \"l\"\n"
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	s, err := Load(path)
	if err != nil || s.Domain != "top" || s.Buckets["logs"].Domain != "l" {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestApplyNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfsign", "config.toml")
	if err := Apply(path, Edit{Key: "key_pair_id", Value: "K1"}, Edit{Bucket: "b", Key: "domain", Value: "d"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := header + "key_pair_id = \"K1\"\n\n[buckets.b]\ndomain = \"d\"\n"; string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// What cfsign cannot rewrite exactly, it refuses, leaving the file as it
// was; dotted keys and CRLF files it edits in place.
func TestApplyOddForms(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "config.toml")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	inline := "[buckets]\nmedia = { domain = \"a\" }\n"
	p := write(inline)
	if err := Apply(p, Edit{Bucket: "media", Key: "domain", Value: "b"}); err == nil || !strings.Contains(err.Error(), "inline table") {
		t.Errorf("inline table: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != inline {
		t.Errorf("file changed: %q", got)
	}

	p = write("buckets.media.domain = \"a\"\n")
	if err := Apply(p, Edit{Bucket: "media", Key: "domain", Value: "b"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "buckets.media.domain = \"b\"\n" {
		t.Errorf("dotted key: %q", got)
	}

	p = write("domain = \"a\"\r\n# c\r\nregion = \"r\"\r\n")
	if err := Apply(p, Edit{Key: "domain", Value: "b"}, Edit{Key: "region", Remove: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "domain = \"b\"\r\n# c\r\n" {
		t.Errorf("CRLF: %q", got)
	}

	broken := "domain = \n"
	p = write(broken)
	if err := Apply(p, Edit{Key: "domain", Value: "b"}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("broken file: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != broken {
		t.Errorf("broken file changed: %q", got)
	}
}
