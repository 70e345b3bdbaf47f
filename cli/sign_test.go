package cli

import (
	"crypto"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/testenv"

	"github.com/cfsign/cfsign/keys"
)

var (
	keyOnce          sync.Once
	rsaDir, ecdsaDir string
	rsaPub, ecdsaPub crypto.PublicKey
	keyErr           error
	keyRoot          string
	keyPairID        = "K2JCJMDEHXQW5F"
)

// testKeys generates one RSA and one ECDSA key pair for the test binary.
func testKeys(t testing.TB) (rsaKey, ecKey string) {
	t.Helper()
	keyOnce.Do(func() {
		keyRoot, keyErr = os.MkdirTemp("", "cfsign-cli-keys-")
		if keyErr != nil {
			return
		}
		rsaDir, ecdsaDir = filepath.Join(keyRoot, "rsa"), filepath.Join(keyRoot, "ecdsa")
		var p keys.Pair
		if p, keyErr = keys.GenerateFiles(rsaDir, keys.RSA, false); keyErr != nil {
			return
		}
		if rsaPub, keyErr = keys.LoadPublic(p.PublicPath); keyErr != nil {
			return
		}
		if p, keyErr = keys.GenerateFiles(ecdsaDir, keys.ECDSA, false); keyErr != nil {
			return
		}
		ecdsaPub, keyErr = keys.LoadPublic(p.PublicPath)
	})
	if keyErr != nil {
		t.Fatalf("test keys: %v", keyErr)
	}
	return filepath.Join(rsaDir, keys.PrivateFile), filepath.Join(ecdsaDir, keys.PrivateFile)
}

// signEnv is a test env with a key pair ID and RSA key configured by environment.
func signEnv(t testing.TB) *testEnv {
	rsaKey, _ := testKeys(t)
	te := newTestEnv(t).set("CFSIGN_KEY_PAIR_ID", keyPairID).set("CFSIGN_PRIVATE_KEY", rsaKey)
	te.env.Now = func() time.Time { return fixedNow }
	return te
}

func verifyAt(t *testing.T, signed string, pub crypto.PublicKey) signedurl.Verdict {
	t.Helper()
	return signedurl.Verify(signedurl.VerifyRequest{URL: signed, At: fixedNow}, signedurl.PublicKeys{keyPairID: pub})
}

func TestSignTargets(t *testing.T) {
	te := signEnv(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte(`
domain = "d111.cloudfront.net"
[buckets.media]
domain = "media.example"
origin_path = "/assets"
`), 0o600)
	te.set("CFSIGN_CONFIG", cfg)
	tests := []struct {
		target string
		prefix string
	}{
		{"https://cdn.example.com/a%20b.pdf?x=1", "https://cdn.example.com/a%20b.pdf?x=1&Expires="},
		{"a b+c.txt", "https://d111.cloudfront.net/a%20b%2Bc.txt?Expires="},
		{"s3://media/assets/v/1.mp4", "https://media.example/v/1.mp4?Expires="},
		{"s3://other/k", "https://d111.cloudfront.net/k?Expires="},
	}
	for _, tc := range tests {
		r := te.run("sign", tc.target, "--expires", "1h").mustOK(t)
		if !strings.HasPrefix(r.stdout, tc.prefix) || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("sign %s = %q, want prefix %q", tc.target, r.stdout, tc.prefix)
		}
		if v := verifyAt(t, strings.TrimSpace(r.stdout), rsaPub); !v.OK {
			t.Errorf("sign %s does not verify: %+v", tc.target, v)
		}
		if want := fmt.Sprint(fixedNow.Add(time.Hour).Unix()); !strings.Contains(r.stdout, "Expires="+want) {
			t.Errorf("expiry not 1h after now: %q", r.stdout)
		}
	}
}

func TestSignSettingsPrecedence(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte("domain = \"file.example\"\nkey_pair_id = \"KFILE\"\nhash = \"sha256\"\ndefault_expiry = \"2h\"\n[buckets.b]\ndomain = \"bucket.example\"\n"), 0o600)
	rsaKey, _ := testKeys(t)
	base := func() *testEnv {
		te := newTestEnv(t).set("CFSIGN_CONFIG", cfg).set("CFSIGN_PRIVATE_KEY", rsaKey)
		te.env.Now = func() time.Time { return fixedNow }
		return te
	}
	type want struct{ host, kp, hash, exp string }
	check := func(name string, r result, w want) {
		t.Helper()
		r.mustOK(t)
		u, err := url.Parse(strings.TrimSpace(r.stdout))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q := u.Query()
		if u.Host != w.host || q.Get("Key-Pair-Id") != w.kp || q.Get("Hash-Algorithm") != w.hash || q.Get("Expires") != w.exp {
			t.Errorf("%s: got host %s kp %s hash %q exp %s, want %+v", name, u.Host, q.Get("Key-Pair-Id"), q.Get("Hash-Algorithm"), q.Get("Expires"), w)
		}
	}
	in2h := fmt.Sprint(fixedNow.Add(2 * time.Hour).Unix())
	in3h := fmt.Sprint(fixedNow.Add(3 * time.Hour).Unix())
	in4h := fmt.Sprint(fixedNow.Add(4 * time.Hour).Unix())
	check("file", base().run("sign", "k"), want{"file.example", "KFILE", "SHA256", in2h})
	check("bucket section", base().run("sign", "s3://b/k"), want{"bucket.example", "KFILE", "SHA256", in2h})
	env := func() *testEnv {
		return base().set("CFSIGN_DOMAIN", "env.example").set("CFSIGN_KEY_PAIR_ID", "KENV").set("CFSIGN_HASH", "sha1").set("CFSIGN_EXPIRES", "3h")
	}
	check("env", env().run("sign", "k"), want{"env.example", "KENV", "", in3h})
	check("env beats bucket section", env().run("sign", "s3://b/k"), want{"env.example", "KENV", "", in3h})
	check("flags", env().run("sign", "k", "--domain", "flag.example", "--key-pair-id", "KFLAG", "--hash", "sha256", "--expires", "4h"),
		want{"flag.example", "KFLAG", "SHA256", in4h})
	check("aws cli aliases", env().run("sign", "--url", "https://alias.example/k", "--date-less-than", "4h", "--key-pair-id", "KFLAG",
		"--private-key", "file://"+rsaKey), want{"alias.example", "KFLAG", "", in4h})
}

func TestSignErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad when", []string{"sign", "k", "--expires", "soon"}, nil, "--expires"},
		{"past", []string{"sign", "k", "--expires", "2020-01-01"}, nil, "past"},
		{"starts after expiry", []string{"sign", "k", "--expires", "1h", "--starts", "2h"}, nil, ""},
		{"bad starts", []string{"sign", "k", "--expires", "1h", "--starts", "later"}, nil, "--starts"},
		{"bad ip", []string{"sign", "k", "--expires", "1h", "--ip", "300.1.1.1"}, nil, ""},
		{"bad hash", []string{"sign", "k", "--expires", "1h", "--hash", "md5"}, nil, "sha256"},
		{"no domain", []string{"sign", "k", "--expires", "1h"}, map[string]string{"CFSIGN_DOMAIN": ""}, "no domain"},
		{"no bucket domain", []string{"sign", "s3://b/k", "--expires", "1h"}, map[string]string{"CFSIGN_DOMAIN": ""}, "no CloudFront domain for bucket b"},
		{"s3 no key", []string{"sign", "s3://b", "--expires", "1h"}, nil, "names no object"},
		{"no key pair", []string{"sign", "k", "--expires", "1h"}, map[string]string{"CFSIGN_KEY_PAIR_ID": ""}, "no key pair ID"},
		{"no private key", []string{"sign", "k", "--expires", "1h"}, map[string]string{"CFSIGN_PRIVATE_KEY": ""}, "no private key"},
		{"missing key file", []string{"sign", "k", "--expires", "1h", "--private-key", "/nonexistent/k.pem"}, nil, "--private-key: no such file"},
		{"fragment", []string{"sign", "https://x.example/a#frag", "--expires", "1h"}, nil, "fragment"},
		{"scheme", []string{"sign", "ftp://x.example/a", "--expires", "1h"}, nil, ""},
		{"already signed", []string{"sign", "https://x.example/a?Signature=abc", "--expires", "1h"}, nil, "Signature"},
		{"second target bad", []string{"sign", "https://x.example/ok", "https://x.example/b#f", "--expires", "1h"}, nil, "sign https://x.example/b#f"},
		{"bad when, alias typed", []string{"sign", "k", "--date-less-than", "soon"}, nil, "cfsign: --date-less-than: cannot read time"},
		{"bad start, alias typed", []string{"sign", "k", "--expires", "1h", "--date-greater-than", "later"}, nil, "--date-greater-than: cannot read time"},
		{"past, AWS CLI form", []string{"sign", "k", "--date-less-than", "2020-01-01T12:00:00"}, nil, "cfsign: --date-less-than 2020-01-01T12:00:00 is in the past (2020-01-01T12:00:00Z): give a time after now"},
		{"past default expiry", []string{"sign", "k"}, map[string]string{"CFSIGN_EXPIRES": "2020-01-01"}, "default expiry (CFSIGN_EXPIRES) 2020-01-01 is in the past"},
		{"bad default expiry", []string{"sign", "k"}, map[string]string{"CFSIGN_EXPIRES": "soon"}, "default expiry (CFSIGN_EXPIRES): cannot read time"},
		{"dot segment", []string{"sign", "https://x.example/dir/../hello.txt", "--expires", "1h"}, nil, `has a ".." path segment`},
		{"dot segment encoded", []string{"sign", "https://x.example/%2e/hello.txt", "--expires", "1h"}, nil, "path segment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			te := signEnv(t).set("CFSIGN_DOMAIN", "d.example")
			for k, v := range tc.env {
				te.set(k, v)
			}
			te.run(tc.args...).oneLineError(t, ExitError, tc.want)
		})
	}
}

func TestSignCookiesAndJSON(t *testing.T) {
	te := signEnv(t).set("CFSIGN_DOMAIN", "d.example")
	r := te.run("sign", "k", "--cookies", "--expires", "1h").mustOK(t)
	for _, n := range []string{"Set-Cookie: CloudFront-Expires=", "Set-Cookie: CloudFront-Signature=", "Set-Cookie: CloudFront-Key-Pair-Id=" + keyPairID} {
		if !strings.Contains(r.stdout, n) {
			t.Errorf("cookies lack %q: %q", n, r.stdout)
		}
	}
	r = te.run("sign", "a", "b", "--json", "--expires", "1h").mustOK(t)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines: %q", r.stdout)
	}
	var obj signJSON
	if err := json.Unmarshal([]byte(lines[1]), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Target != "b" || !strings.HasPrefix(obj.URL, "https://d.example/b?") || obj.Expires != fixedNow.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("json: %+v", obj)
	}
	r = te.run("sign", "k", "--cookies", "--json", "--ip", "10.0.0.0/8", "--expires", "1h").mustOK(t)
	if err := json.Unmarshal([]byte(r.stdout), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Cookies["CloudFront-Policy"] == "" || obj.Cookies["CloudFront-Signature"] == "" {
		t.Errorf("json cookies: %+v", obj)
	}
	v := signedurl.Verify(signedurl.VerifyRequest{URL: "https://d.example/k", Cookies: obj.Cookies, At: fixedNow,
		ClientIP: mustAddr("10.1.2.3")}, signedurl.PublicKeys{keyPairID: rsaPub})
	if !v.OK {
		t.Errorf("signed cookies do not verify: %+v", v)
	}
}

func TestSignBatchOrder(t *testing.T) {
	for _, kind := range []string{"rsa", "ecdsa"} {
		t.Run(kind, func(t *testing.T) {
			rsaKey, ecKey := testKeys(t)
			key, pub := rsaKey, rsaPub
			if kind == "ecdsa" {
				key, pub = ecKey, ecdsaPub
			}
			te := signEnv(t).set("CFSIGN_PRIVATE_KEY", key).set("CFSIGN_DOMAIN", "d.example")
			const n = 2000
			var in strings.Builder
			var want []string // per input line: the URL prefix, or "" for a blank line
			for i := range n {
				fmt.Fprintf(&in, "dir/file %05d.txt\n", i)
				want = append(want, fmt.Sprintf("https://d.example/dir/file%%20%05d.txt?", i))
				if i == 7 {
					in.WriteString("\n   \n") // blank lines give empty lines: output stays aligned
					want = append(want, "", "")
				}
			}
			te.in = in.String()
			r := te.run("sign", "-", "--expires", "1h").mustOK(t)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != len(want) {
				t.Fatalf("%d lines out, want %d (one per input line)", len(lines), len(want))
			}
			for i, l := range lines {
				if want[i] == "" {
					if l != "" {
						t.Fatalf("line %d = %q, want empty for a blank input line", i+1, l)
					}
					continue
				}
				if !strings.HasPrefix(l, want[i]) {
					t.Fatalf("line %d = %q, want prefix %q", i+1, l, want[i])
				}
				if v := verifyAt(t, l, pub); !v.OK {
					t.Fatalf("line %d does not verify: %+v", i+1, v)
				}
			}
		})
	}
}

func TestSignBatchErrorNamesLine(t *testing.T) {
	te := signEnv(t).set("CFSIGN_DOMAIN", "d.example")
	te.in = "a\nb\nhttps://x.example/c#frag\nd\n"
	r := te.run("sign", "-", "--expires", "1h")
	if r.code != ExitError || !strings.Contains(r.stderr, "stdin line 3:") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "/d?") {
		t.Errorf("signed past the failing line: %q", r.stdout)
	}
	te.in = "ok\n" + strings.Repeat("x", maxLine+10) + "\n"
	r = te.run("sign", "-", "--expires", "1h")
	if r.code != ExitError || !strings.Contains(r.stderr, "stdin line 2: longer than") {
		t.Errorf("long line: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestVerifyCommand(t *testing.T) {
	te := signEnv(t).set("CFSIGN_DOMAIN", "d.example")
	signed := strings.TrimSpace(te.run("sign", "k", "--expires", "1h", "--ip", "192.0.2.0/24").mustOK(t).stdout)
	r := te.run("verify", signed, "--ip", "192.0.2.9").mustOK(t)
	for _, w := range []string{"VALID", `"AWS:SourceIp":"192.0.2.0/24"`, "2026-03-01 13:00:00 UTC", "key pair ID: " + keyPairID} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("verify output lacks %q:\n%s", w, r.stdout)
		}
	}
	tests := []struct {
		name  string
		args  []string
		check string
	}{
		{"expired", []string{"verify", signed, "--ip", "192.0.2.9", "--at", "2026-03-02"}, signedurl.CheckExpired},
		{"wrong ip", []string{"verify", signed, "--ip", "198.51.100.1"}, signedurl.CheckIPMismatch},
		{"wrong key", []string{"verify", signed, "--ip", "192.0.2.9", "--public-key", filepath.Join(ecdsaDir, keys.PublicFile)}, signedurl.CheckBadSignature},
		{"tampered", []string{"verify", strings.Replace(signed, "/k?", "/K?", 1), "--ip", "192.0.2.9"}, signedurl.CheckResourceMismatch},
		{"unsigned", []string{"verify", "https://d.example/k"}, signedurl.CheckUnsigned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := te.run(tc.args...)
			if r.code != ExitError || !strings.Contains(r.stdout, "INVALID: "+tc.check) {
				t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
	// Several keys: valid when any one verifies.
	r = te.run("verify", signed, "--ip", "192.0.2.9", "--public-key", filepath.Join(ecdsaDir, keys.PublicFile),
		"--public-key", filepath.Join(rsaDir, keys.PublicFile)).mustOK(t)
	if !strings.Contains(r.stdout, "VALID") {
		t.Errorf("two keys: %q", r.stdout)
	}
	// No key configured at all.
	newTestEnv(t).run("verify", signed).oneLineError(t, ExitError, "no key to verify with")
}

// The AWS CLI's date forms (ISO 8601 with or without a zone; none is UTC)
// sign as it signs them.
func TestSignAWSCLIDateForms(t *testing.T) {
	te := signEnv(t).set("CFSIGN_DOMAIN", "d.example")
	for in, want := range map[string]string{
		"2030-01-01T12:00:00":       "Expires=1893499200&",
		"2030-01-01 12:00:00+02:00": "Expires=1893492000&",
		"20300101T120000Z":          "Expires=1893499200&",
		"2030-01-01":                "Expires=1893456000&",
	} {
		r := te.run("sign", "k", "--date-less-than", in).mustOK(t)
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--date-less-than %s: %q, want %s", in, r.stdout, want)
		}
	}
}

// Against the sandbox edge over real HTTP: a URL with no path is signed as
// the "/" curl requests (the edge then passes the signature and answers
// 404, no root object), and verify calls a URL signed as written (by the
// SDK's signer, which does not add the "/") INVALID, naming why.
func TestSignWhatCurlRequests(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	sb := testenv.Sandbox(t)
	r := te.run("--sandbox", "sign", "--url", sb.EdgeURL, "--expires", "5m").mustOK(t)
	signed := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(signed, sb.EdgeURL+"/?Expires=") {
		t.Fatalf("signed %q", signed)
	}
	out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", signed).Output()
	if err != nil || string(out) != "404" {
		t.Errorf("curl of the signed root: %s %v, want 404 (signature accepted, no root object)", out, err)
	}
	te.run("--sandbox", "sign", "--url", sb.EdgeURL+"/./hello.txt", "--expires", "5m").oneLineError(t, ExitError, `"." path segment`)

	key, _, err := keys.LoadPrivate(sb.PrivateKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	asWritten, err := sign.NewURLSigner(sb.KeyPairID, key).Sign(sb.EdgeURL, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r = te.run("verify", asWritten, "--public-key", sb.PublicKeyPath)
	if r.code != ExitError || !strings.Contains(r.stdout, "INVALID: "+signedurl.CheckUnsendable) || !strings.Contains(r.stdout, "no path") {
		t.Errorf("verify of a path-less signed URL: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestSignSharedPolicyBatch(t *testing.T) {
	te := signEnv(t).set("CFSIGN_DOMAIN", "d.example")
	var in strings.Builder
	for i := range 50 {
		fmt.Fprintf(&in, "photos/2026/img_%d.jpg\n", i)
	}
	te.in = in.String()
	r := te.run("sign", "-", "--expires", "1h", "--resource", "https://d.example/photos/*", "--shared-policy").mustOK(t)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("%d lines", len(lines))
	}
	sigs := map[string]bool{}
	for i, l := range lines {
		if !strings.HasPrefix(l, fmt.Sprintf("https://d.example/photos/2026/img_%d.jpg?Policy=", i)) {
			t.Fatalf("line %d = %q", i+1, l)
		}
		if v := verifyAt(t, l, rsaPub); !v.OK {
			t.Fatalf("line %d does not verify: %+v", i+1, v)
		}
		p, err := signedurl.ParseSigned(l)
		if err != nil {
			t.Fatal(err)
		}
		sigs[p.Signature] = true
	}
	if len(sigs) != 1 {
		t.Fatalf("%d distinct signatures, want 1", len(sigs))
	}
	te.in = "videos/a.mp4\n"
	te.run("sign", "-", "--expires", "1h", "--resource", "https://d.example/photos/*", "--shared-policy").
		oneLineError(t, ExitError, "does not match")
	te.run("sign", "x", "--expires", "1h", "--shared-policy").oneLineError(t, ExitUsage, "needs --resource")
	te.run("sign", "x", "--expires", "1h", "--resource", "https://d.example/*", "--shared-policy", "--cookies").
		oneLineError(t, ExitUsage, "for URLs")
}
