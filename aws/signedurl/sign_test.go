package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
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
)

// Test keys are made once per test binary: RSA-2048 generation is slow.
var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
	ecOnce  sync.Once
	ecKey   *ecdsa.PrivateKey
)

func testRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func testEC(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	ecOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		ecKey = k
	})
	return ecKey
}

// writeRSAPKCS1 writes key as "BEGIN RSA PRIVATE KEY", the form AWS CLI v1 loads.
func writeRSAPKCS1(t testing.TB, dir string, key *rsa.PrivateKey) string {
	t.Helper()
	p := filepath.Join(dir, "private_key.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writePublic writes pub as SubjectPublicKeyInfo PEM.
func writePublic(t testing.TB, dir string, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "public_key.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// needTool returns the path of an external reference tool. Under CI a missing
// tool fails the test; elsewhere it skips.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

const testKeyID = "K2JCJMDEHXQW5F"

var (
	testNow     = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	testExpires = testNow.Add(time.Hour)
)

func mustSigner(t testing.TB, key crypto.Signer, h Hash) *Signer {
	t.Helper()
	s, err := NewSigner(testKeyID, key, h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testKeys(t testing.TB) PublicKeys {
	return PublicKeys{testKeyID: testRSA(t).Public(), "KECDSA": testEC(t).Public()}
}

func TestNewSignerRefusals(t *testing.T) {
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name  string
		id    string
		key   crypto.Signer
		hash  Hash
		want  error
		inMsg string
	}{
		{"no key pair ID", "", testRSA(t), SHA1, ErrNoKeyPairID, "public key ID"},
		{"blank key pair ID", "  ", testRSA(t), SHA1, ErrNoKeyPairID, ""},
		{"key pair ID with &", "K1&x=y", testRSA(t), SHA1, ErrBadKeyPairID, "letters"},
		{"nil key", testKeyID, nil, SHA1, ErrKey, "no key"},
		{"P-384", testKeyID, ec384, SHA1, ErrKey, "P-256"},
		{"ed25519", testKeyID, ed, SHA1, ErrKey, "RSA or ECDSA"},
		{"unknown hash", testKeyID, testRSA(t), "md5", ErrHash, "sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSigner(tt.id, tt.key, tt.hash)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.inMsg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q should be one line mentioning %q", err, tt.inMsg)
			}
		})
	}
	for _, h := range []Hash{"", "SHA1", "SHA256", "sha-256"} {
		if _, err := NewSigner(testKeyID, testEC(t), h); err != nil {
			t.Errorf("hash %q: %v", h, err)
		}
	}
}

func TestSignURLRefusals(t *testing.T) {
	s := mustSigner(t, testRSA(t), SHA1)
	ok := "https://d111111abcdef8.cloudfront.net/a.txt"
	tests := []struct {
		name string
		url  string
		opts PolicyOptions
		want error
	}{
		{"no expiry", ok, PolicyOptions{}, ErrNoExpiry},
		{"expiry in the past", ok, PolicyOptions{Expires: testNow.Add(-time.Second)}, ErrExpiryPast},
		{"expiry equal to now", ok, PolicyOptions{Expires: testNow}, ErrExpiryPast},
		{"expiry before start", ok, PolicyOptions{Expires: testExpires, Starts: testExpires.Add(time.Minute)}, ErrExpiryNotAfter},
		{"expiry equal to start", ok, PolicyOptions{Expires: testExpires, Starts: testExpires}, ErrExpiryNotAfter},
		{"fragment", ok + "#top", PolicyOptions{Expires: testExpires}, ErrFragment},
		{"empty fragment", ok + "#", PolicyOptions{Expires: testExpires}, ErrFragment},
		{"has Expires", ok + "?Expires=1", PolicyOptions{Expires: testExpires}, ErrAlreadySigned},
		{"has Policy", ok + "?a=1&Policy=x", PolicyOptions{Expires: testExpires}, ErrAlreadySigned},
		{"has Signature", ok + "?Signature=x", PolicyOptions{Expires: testExpires}, ErrAlreadySigned},
		{"has Key-Pair-Id", ok + "?Key-Pair-Id=K", PolicyOptions{Expires: testExpires}, ErrAlreadySigned},
		{"has Hash-Algorithm", ok + "?Hash-Algorithm=SHA256", PolicyOptions{Expires: testExpires}, ErrAlreadySigned},
		{"has escaped Key-Pair-Id", ok + "?Key%2DPair-Id=K", PolicyOptions{Expires: testExpires}, ErrAlreadySigned},
		{"ftp scheme", "ftp://example.com/a", PolicyOptions{Expires: testExpires}, ErrScheme},
		{"rtmp scheme", "rtmp://example.com/a", PolicyOptions{Expires: testExpires}, ErrScheme},
		{"no scheme", "example.com/a", PolicyOptions{Expires: testExpires}, ErrScheme},
		{"no host", "https:///a", PolicyOptions{Expires: testExpires}, ErrBadURL},
		{"empty", "", PolicyOptions{Expires: testExpires}, ErrBadURL},
		{"raw space", "https://example.com/a b", PolicyOptions{Expires: testExpires}, ErrBadURL},
		{"raw unicode", "https://example.com/é", PolicyOptions{Expires: testExpires}, ErrBadURL},
		{"user info", "https://u:p@example.com/a", PolicyOptions{Expires: testExpires}, ErrBadURL},
		{"bad IP", ok, PolicyOptions{Expires: testExpires, IP: "300.1.1.1"}, ErrBadIP},
		{"bad CIDR", ok, PolicyOptions{Expires: testExpires, IP: "10.0.0.0/33"}, ErrBadIP},
		{"IP garbage", ok, PolicyOptions{Expires: testExpires, IP: "localhost"}, ErrBadIP},
		{"resource not covering URL", ok, PolicyOptions{Expires: testExpires, Resource: "https://other.example/*"}, ErrResourceMismatch},
		{"resource without scheme", ok, PolicyOptions{Expires: testExpires, Resource: "d111111abcdef8.cloudfront.net/*"}, ErrBadResource},
		{"resource with space", ok, PolicyOptions{Expires: testExpires, Resource: "https://x/a b*"}, ErrBadResource},
		{"too long", ok + "?q=" + strings.Repeat("a", MaxURLLength), PolicyOptions{Expires: testExpires}, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SignURL(tt.url, tt.opts, testNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("SignURL = %q, %v; want %v", got, err, tt.want)
			}
			if got != "" {
				t.Errorf("returned %q alongside an error", got)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	// Just under the limit is fine; the limit counts the whole signed URL.
	base := ok + "?q="
	signed, err := s.SignURL(base, PolicyOptions{Expires: testExpires}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	pad := MaxURLLength - len(signed)
	if _, err := s.SignURL(base+strings.Repeat("a", pad), PolicyOptions{Expires: testExpires}, testNow); err != nil {
		t.Errorf("URL of exactly %d bytes refused: %v", MaxURLLength, err)
	}
	if _, err := s.SignURL(base+strings.Repeat("a", pad+1), PolicyOptions{Expires: testExpires}, testNow); !errors.Is(err, ErrTooLong) {
		t.Errorf("URL of %d bytes: err = %v, want ErrTooLong", MaxURLLength+1, err)
	}
}

func TestSignURLShape(t *testing.T) {
	const u = "https://d111111abcdef8.cloudfront.net/dir/a%20b.txt?v=2"
	tests := []struct {
		name       string
		key        crypto.Signer
		keyID      string
		hash       Hash
		opts       PolicyOptions
		wantParams []string // in order, after v
		wantPolicy string   // decoded policy, when custom
	}{
		{"canned sha1", testRSA(t), testKeyID, SHA1, PolicyOptions{Expires: testExpires},
			[]string{"v", "Expires", "Signature", "Key-Pair-Id"}, ""},
		{"canned sha256", testRSA(t), testKeyID, SHA256, PolicyOptions{Expires: testExpires},
			[]string{"v", "Expires", "Signature", "Key-Pair-Id", "Hash-Algorithm"}, ""},
		{"canned ecdsa", testEC(t), "KECDSA", SHA1, PolicyOptions{Expires: testExpires},
			[]string{"v", "Expires", "Signature", "Key-Pair-Id"}, ""},
		{"custom ip", testRSA(t), testKeyID, SHA1, PolicyOptions{Expires: testExpires, IP: "192.0.2.7"},
			[]string{"v", "Policy", "Signature", "Key-Pair-Id"},
			`{"Statement":[{"Resource":"` + u + `","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.7/32"},"DateLessThan":{"AWS:EpochTime":1795957200}}}]}`},
		{"custom ipv6", testEC(t), "KECDSA", SHA256, PolicyOptions{Expires: testExpires, IP: "2001:db8::1"},
			[]string{"v", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"},
			`{"Statement":[{"Resource":"` + u + `","Condition":{"IpAddress":{"AWS:SourceIp":"2001:db8::1/128"},"DateLessThan":{"AWS:EpochTime":1795957200}}}]}`},
		{"custom wildcard and start", testRSA(t), testKeyID, SHA256,
			PolicyOptions{Expires: testExpires, Starts: testNow, Resource: "https://d111111abcdef8.cloudfront.net/dir/*", IP: "10.0.0.0/8"},
			[]string{"v", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"},
			`{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/dir/*","Condition":{"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"},"DateGreaterThan":{"AWS:EpochTime":1795953600},"DateLessThan":{"AWS:EpochTime":1795957200}}}]}`},
	}
	keys := testKeys(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.keyID, tt.key, tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := s.SignURL(u, tt.opts, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(signed, u+"&") {
				t.Fatalf("%q does not extend %q", signed, u)
			}
			parsed, err := url.Parse(signed)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, seg := range strings.Split(parsed.RawQuery, "&") {
				n, _, _ := strings.Cut(seg, "=")
				names = append(names, n)
			}
			if strings.Join(names, ",") != strings.Join(tt.wantParams, ",") {
				t.Errorf("params %v, want %v", names, tt.wantParams)
			}
			q := parsed.Query()
			if tt.hash == SHA256 && q.Get("Hash-Algorithm") != "SHA256" {
				t.Errorf("Hash-Algorithm = %q", q.Get("Hash-Algorithm"))
			}
			if q.Get("Key-Pair-Id") != tt.keyID {
				t.Errorf("Key-Pair-Id = %q", q.Get("Key-Pair-Id"))
			}
			for _, p := range []string{"Signature", "Policy"} {
				if strings.ContainsAny(q.Get(p), "+=/") {
					t.Errorf("%s %q is not CloudFront base64", p, q.Get(p))
				}
			}
			if tt.wantPolicy != "" {
				js, err := decodeBase64(q.Get("Policy"))
				if err != nil {
					t.Fatal(err)
				}
				if string(js) != tt.wantPolicy {
					t.Errorf("policy\n %s\nwant\n %s", js, tt.wantPolicy)
				}
			} else if q.Get("Expires") != "1795957200" {
				t.Errorf("Expires = %q", q.Get("Expires"))
			}
			v := Verify(VerifyRequest{URL: signed, At: testNow.Add(time.Minute), ClientIP: netip.MustParseAddr("10.1.2.3")}, keys)
			if tt.opts.IP == "192.0.2.7" || tt.opts.IP == "2001:db8::1" {
				v = Verify(VerifyRequest{URL: signed, At: testNow.Add(time.Minute), ClientIP: netip.MustParseAddr(tt.opts.IP)}, keys)
			}
			if !v.OK || v.Hash != s.Hash() || v.Canned == tt.opts.Custom() {
				t.Errorf("Verify = %+v", v)
			}
		})
	}
}

// Canned URL and canned cookies sign the same policy.
func TestSignCookiesMatchURLSignature(t *testing.T) {
	s := mustSigner(t, testRSA(t), SHA1)
	const u = "https://d111111abcdef8.cloudfront.net/x"
	signed, err := s.SignURL(u, PolicyOptions{Expires: testExpires}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := s.SignCookies(u, PolicyOptions{Expires: testExpires}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	// Canned URL and canned cookies carry the same deterministic RSA signature.
	q, _ := url.ParseQuery(strings.SplitN(signed, "?", 2)[1])
	if cookies[1].Name != "CloudFront-Signature" || cookies[1].Value != q.Get("Signature") {
		t.Errorf("cookie signature %q differs from URL signature %q", cookies[1].Value, q.Get("Signature"))
	}
}

func TestSignCookies(t *testing.T) {
	const u = "https://d111111abcdef8.cloudfront.net/videos/a.mp4"
	keys := testKeys(t)
	tests := []struct {
		name      string
		key       crypto.Signer
		keyID     string
		hash      Hash
		url       string
		opts      PolicyOptions
		wantNames []string
	}{
		{"canned rsa", testRSA(t), testKeyID, SHA1, u, PolicyOptions{Expires: testExpires},
			[]string{"CloudFront-Expires", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}},
		{"custom ecdsa sha256", testEC(t), "KECDSA", SHA256, u,
			PolicyOptions{Expires: testExpires, Resource: "https://d111111abcdef8.cloudfront.net/videos/*"},
			[]string{"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm"}},
		{"resource only", testRSA(t), testKeyID, SHA256, "",
			PolicyOptions{Expires: testExpires, Resource: "https://d111111abcdef8.cloudfront.net/videos/*"},
			[]string{"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.keyID, tt.key, tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			cookies, err := s.SignCookies(tt.url, tt.opts, testNow)
			if err != nil {
				t.Fatal(err)
			}
			jar := map[string]string{}
			var names []string
			for _, c := range cookies {
				names = append(names, c.Name)
				jar[c.Name] = c.Value
				if err := c.Valid(); err != nil {
					t.Errorf("cookie %s: %v", c.Name, err)
				}
				if !c.HttpOnly || !c.Secure || c.Path != "/" || !c.Expires.Equal(testExpires) {
					t.Errorf("cookie attributes: %s", c)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("cookies %v, want %v", names, tt.wantNames)
			}
			v := Verify(VerifyRequest{URL: u, Cookies: jar, At: testNow.Add(time.Minute)}, keys)
			if !v.OK || v.Source != "cookies" {
				t.Errorf("Verify = %+v", v)
			}
		})
	}
	s := mustSigner(t, testRSA(t), SHA1)
	for _, tt := range []struct {
		name string
		url  string
		opts PolicyOptions
		want error
	}{
		{"nothing to sign", "", PolicyOptions{Expires: testExpires}, ErrBadURL},
		{"past", u, PolicyOptions{Expires: testNow.Add(-time.Hour)}, ErrExpiryPast},
		{"fragment", u + "#x", PolicyOptions{Expires: testExpires}, ErrFragment},
		{"bad ip", u, PolicyOptions{Expires: testExpires, IP: "1.2.3"}, ErrBadIP},
	} {
		if _, err := s.SignCookies(tt.url, tt.opts, testNow); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// A Signer is shared by the batch signer's workers: run it concurrently
// under -race and check every result.
func TestSignerConcurrent(t *testing.T) {
	keys := testKeys(t)
	for _, s := range []*Signer{mustSigner(t, testRSA(t), SHA1), mustSigner(t, testRSA(t), SHA256)} {
		var wg sync.WaitGroup
		errs := make(chan string, 32)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 4; j++ {
					u, err := ObjectURL("d111111abcdef8.cloudfront.net", "", strings.Repeat("k", i+1)+"/"+string(rune('a'+j)))
					if err != nil {
						errs <- err.Error()
						return
					}
					signed, err := s.SignURL(u, PolicyOptions{Expires: testExpires}, testNow)
					if err != nil {
						errs <- err.Error()
						return
					}
					if v := Verify(VerifyRequest{URL: signed, At: testNow}, keys); !v.OK {
						errs <- v.Detail
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

func TestObjectURL(t *testing.T) {
	tests := []struct {
		domain, origin, key string
		want                string
		wantErr             error
	}{
		{"d111111abcdef8.cloudfront.net", "", "a.txt", "https://d111111abcdef8.cloudfront.net/a.txt", nil},
		{"d111111abcdef8.cloudfront.net", "", "dir/my file+v1.txt", "https://d111111abcdef8.cloudfront.net/dir/my%20file%2Bv1.txt", nil},
		{"d111111abcdef8.cloudfront.net", "", "100%&a=b?c#d;e,f:g@h", "https://d111111abcdef8.cloudfront.net/100%25%26a%3Db%3Fc%23d%3Be%2Cf%3Ag%40h", nil},
		{"d111111abcdef8.cloudfront.net", "", "ünï/日本.txt", "https://d111111abcdef8.cloudfront.net/%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC.txt", nil},
		{"d111111abcdef8.cloudfront.net", "", "A-Z_a~z.0/", "https://d111111abcdef8.cloudfront.net/A-Z_a~z.0/", nil},
		{"d111111abcdef8.cloudfront.net", "", "ctl\x1b[2J\n\x00\xff", "https://d111111abcdef8.cloudfront.net/ctl%1B%5B2J%0A%00%FF", nil},
		{"cdn.example.com/", "", "x", "https://cdn.example.com/x", nil},
		{"http://127.0.0.1:8080", "", "a b", "http://127.0.0.1:8080/a%20b", nil},
		{"HTTPS://cdn.example.com", "", "x", "https://cdn.example.com/x", nil},
		{"[::1]:8443", "", "x", "https://[::1]:8443/x", nil},
		{"d1.cloudfront.net", "/assets", "assets/x/y.png", "https://d1.cloudfront.net/x/y.png", nil},
		{"d1.cloudfront.net", "assets/", "assets/x", "https://d1.cloudfront.net/x", nil},
		{"d1.cloudfront.net", "/", "assets/x", "https://d1.cloudfront.net/assets/x", nil},
		{"d1.cloudfront.net", "/a/b", "a/b/c", "https://d1.cloudfront.net/c", nil},
		{"d1.cloudfront.net", "/assets", "other/x", "", ErrOutsideOrigin},
		{"d1.cloudfront.net", "/assets", "assetsx/y", "", ErrOutsideOrigin},
		{"d1.cloudfront.net", "/assets", "assets", "", ErrOutsideOrigin},
		{"d1.cloudfront.net", "/assets", "assets/", "", ErrOutsideOrigin},
		{"", "", "x", "", ErrBadDomain},
		{"d1.cloudfront.net/path", "", "x", "", ErrBadDomain},
		{"https://d1.cloudfront.net/path", "", "x", "", ErrBadDomain},
		{"d1 .cloudfront.net", "", "x", "", ErrBadDomain},
		{"ftp://d1.cloudfront.net", "", "x", "", ErrBadDomain},
		{"https://", "", "x", "", ErrBadDomain},
		{"user@d1.cloudfront.net", "", "x", "", ErrBadDomain},
		{"d1.cloudfront.net?x", "", "x", "", ErrBadDomain},
		{"d1.cloudfront.net", "", "", "", ErrEmptyKey},
		// Dot segments: clients resolve them away, so no URL reaches them.
		{"d1.cloudfront.net", "", ".", "", ErrDotSegment},
		{"d1.cloudfront.net", "", "a/../b", "", ErrDotSegment},
		{"d1.cloudfront.net", "/assets", "assets/./x", "", ErrDotSegment},
		{"d1.cloudfront.net", "", "a/.../b..", "https://d1.cloudfront.net/a/.../b..", nil},
		{"d1.cloudfront.net", "", "%2e/x", "https://d1.cloudfront.net/%252e/x", nil},
	}
	for _, tt := range tests {
		got, err := ObjectURL(tt.domain, tt.origin, tt.key)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ObjectURL(%q, %q, %q) = %q, %v; want %v", tt.domain, tt.origin, tt.key, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ObjectURL(%q, %q, %q) = %q, %v; want %q", tt.domain, tt.origin, tt.key, got, err, tt.want)
		}
	}
	_, err := ObjectURL("d1.cloudfront.net", "/assets", "other/x")
	if err == nil || !strings.Contains(err.Error(), `"other/x" is not under origin path "/assets"`) {
		t.Errorf("origin path error should name key and path: %v", err)
	}
}

func TestParseHash(t *testing.T) {
	for in, want := range map[string]Hash{"": SHA1, "sha1": SHA1, "SHA1": SHA1, "SHA256": SHA256, "sha256": SHA256, " sha-256 ": SHA256} {
		if got, err := ParseHash(in); err != nil || got != want {
			t.Errorf("ParseHash(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseHash("sha512"); !errors.Is(err, ErrHash) {
		t.Errorf("sha512: %v", err)
	}
}

func TestSignSharedPolicy(t *testing.T) {
	now := time.Now()
	for _, hash := range []Hash{SHA1, SHA256} {
		key := testRSA(t)
		s, err := NewSigner("K2JCJMDEHXQW5F", key, hash)
		if err != nil {
			t.Fatal(err)
		}
		opts := PolicyOptions{Expires: now.Add(time.Hour), Resource: "https://d111111abcdef8.cloudfront.net/photos/*"}
		sp, err := s.SignShared(opts, now)
		if err != nil {
			t.Fatal(err)
		}
		pub := PublicKeys{"K2JCJMDEHXQW5F": key.Public()}
		var sigs []string
		for _, u := range []string{"https://d111111abcdef8.cloudfront.net/photos/a.jpg",
			"https://d111111abcdef8.cloudfront.net/photos/2026/b%20c.jpg?w=100"} {
			signed, err := sp.Apply(u)
			if err != nil {
				t.Fatal(err)
			}
			v := Verify(VerifyRequest{URL: signed, At: now}, pub)
			if !v.OK {
				t.Fatalf("%s: %s %s", hash, v.Check, v.Detail)
			}
			parts, err := ParseSigned(signed)
			if err != nil {
				t.Fatal(err)
			}
			sigs = append(sigs, parts.Signature)
		}
		if sigs[0] != sigs[1] {
			t.Fatalf("%s: shared policy signed twice", hash)
		}
		if _, err := sp.Apply("https://d111111abcdef8.cloudfront.net/videos/a.mp4"); !errors.Is(err, ErrResourceMismatch) {
			t.Fatalf("URL outside the pattern: %v", err)
		}
	}
	s, _ := NewSigner("K2JCJMDEHXQW5F", testRSA(t), SHA1)
	if _, err := s.SignShared(PolicyOptions{Expires: now.Add(time.Hour)}, now); !errors.Is(err, ErrBadResource) {
		t.Fatalf("no resource: %v", err)
	}
}

// What a client actually requests is what gets signed: a URL with no path is
// requested as "/", and a path with dot segments is resolved by every client
// before sending, so signing it as written makes a link that always fails.
func TestSignWhatClientsRequest(t *testing.T) {
	key := testRSA(t)
	s := mustSigner(t, key, SHA1)
	now := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	opts := PolicyOptions{Expires: now.Add(time.Hour)}
	for in, wantPrefix := range map[string]string{
		"https://d111111abcdef8.cloudfront.net":         "https://d111111abcdef8.cloudfront.net/?Expires=",
		"https://d111111abcdef8.cloudfront.net?a=1":     "https://d111111abcdef8.cloudfront.net/?a=1&Expires=",
		"http://127.0.0.1:8080":                         "http://127.0.0.1:8080/?Expires=",
		"https://d111111abcdef8.cloudfront.net/a/b.txt": "https://d111111abcdef8.cloudfront.net/a/b.txt?Expires=",
	} {
		got, err := s.SignURL(in, opts, now)
		if err != nil || !strings.HasPrefix(got, wantPrefix) {
			t.Errorf("SignURL(%q) = %q, %v; want prefix %q", in, got, err, wantPrefix)
			continue
		}
		if v := Verify(VerifyRequest{URL: got, At: now}, PublicKeys{s.KeyPairID(): key.Public()}); !v.OK {
			t.Errorf("%q: the signed URL does not verify: %s %s", in, v.Check, v.Detail)
		}
	}
	for _, in := range []string{
		"https://d111111abcdef8.cloudfront.net/dir/../hello.txt",
		"https://d111111abcdef8.cloudfront.net/./hello.txt",
		"https://d111111abcdef8.cloudfront.net/a/%2e%2E/b",
		"https://d111111abcdef8.cloudfront.net/a/..",
	} {
		if _, err := s.SignURL(in, opts, now); !errors.Is(err, ErrDotSegment) {
			t.Errorf("SignURL(%q): %v, want ErrDotSegment", in, err)
		}
		if _, err := s.SignCookies(in, opts, now); !errors.Is(err, ErrDotSegment) {
			t.Errorf("SignCookies(%q): %v, want ErrDotSegment", in, err)
		}
	}
	// URLs signed as written by another tool: verify says no client can send them.
	for _, in := range []string{"https://d111111abcdef8.cloudfront.net", "https://d111111abcdef8.cloudfront.net/dir/../hello.txt"} {
		signed := signAsWritten(t, key, in, opts.Expires)
		v := Verify(VerifyRequest{URL: signed, At: now}, PublicKeys{"K2JCJMDEHXQW5F": key.Public()})
		if v.OK || v.Check != CheckUnsendable || v.Detail == "" {
			t.Errorf("Verify(%q) = %+v, want %s with a reason", signed, v, CheckUnsendable)
		}
	}
}

// signAsWritten signs u exactly as given with the SDK's signer (which does not
// normalise), as other tools do.
func signAsWritten(t *testing.T, key crypto.Signer, u string, exp time.Time) string {
	t.Helper()
	signed, err := sign.NewURLSigner("K2JCJMDEHXQW5F", key).Sign(u, exp)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestCheckKeyPairID(t *testing.T) {
	for id, ok := range map[string]bool{"K2JCJMDEHXQW5F": true, "APKAEIBAERJR2EXAMPLE": true, "k2jcjmdehxqw5f": false,
		"K2JCJ": false, "": false, "K2JCJMDEHXQW5F ": false, "K2JCJ-MDEHXQW5F": false} {
		if err := CheckKeyPairID(id); (err == nil) != ok {
			t.Errorf("CheckKeyPairID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}
