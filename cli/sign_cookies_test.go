package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/signedurl"
)

// cookiesOf parses Set-Cookie: lines.
func cookiesOf(t *testing.T, out string) []*http.Cookie {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Set-Cookie: "); ok {
			lines = append(lines, v)
		}
	}
	h := http.Header{"Set-Cookie": lines}
	return (&http.Response{Header: h}).Cookies()
}

// Signed cookies for a URL with a wildcard carry the policy the wildcard
// asks for (they open what it matches, through the sandbox's edge), not a
// canned policy for the literal "*", which opens nothing.
func TestSignCookiesForAWildcardURL(t *testing.T) {
	c, sb := relSandboxClient(t)
	te := newTestEnv(t).withSandbox()
	prefix := relStamp("ck")
	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, []byte("inside"), 0o644)
	if _, err := c.Upload(t.Context(), aws.UploadRequest{Path: f, Bucket: sb.Bucket, Key: prefix + "/edge/a.txt"}, nil); err != nil {
		t.Fatal(err)
	}
	r := te.run("--sandbox", "sign", "--cookies", "--url", sb.EdgeURL+"/"+prefix+"/edge/*", "--expires", "10m").mustOK(t)
	cookies := cookiesOf(t, r.stdout)
	var policy string
	for _, ck := range cookies {
		if ck.Name == "CloudFront-Policy" {
			policy = ck.Value
		}
	}
	if policy == "" {
		t.Fatalf("no policy cookie: a canned cookie set names the literal *:\n%s", r.stdout)
	}
	info, _, err := signedurl.DecodePolicy(policy)
	if err != nil || info.Resource != sb.EdgeURL+"/"+prefix+"/edge/*" {
		t.Fatalf("policy %+v %v", info, err)
	}
	req, _ := http.NewRequest(http.MethodGet, sb.EdgeURL+"/"+prefix+"/edge/a.txt", nil)
	for _, ck := range cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "inside" {
		t.Fatalf("the edge with the cookies: %d %q", resp.StatusCode, body)
	}
}

// --cookie-domain sets the cookies' Domain, so a site can set them for its
// CDN's host; a domain that does not cover that host is refused.
func TestSignCookieDomain(t *testing.T) {
	rsaKey, _ := testKeys(t)
	te := newTestEnv(t)
	args := []string{"sign", "--cookies", "https://cdn.example.com/v/*", "--expires", "1h", "--key-pair-id", keyPairID, "--private-key", rsaKey}
	r := te.run(append(args, "--cookie-domain", "example.com")...).mustOK(t)
	for _, ck := range cookiesOf(t, r.stdout) {
		if ck.Domain != "example.com" {
			t.Fatalf("cookie %s: domain %q", ck.Name, ck.Domain)
		}
	}
	te.run(append(args, "--cookie-domain", "other.org")...).oneLineError(t, ExitError, "cdn.example.com, which is not other.org or under it")
	te.run("sign", "https://cdn.example.com/a", "--expires", "1h", "--cookie-domain", "example.com").oneLineError(t, ExitUsage, "--cookie-domain goes with --cookies")
}

// verify checks the key the URL names, as CloudFront does: a URL whose
// Key-Pair-Id was replaced by another, or lower-cased, is INVALID, though
// the configured key made its signature.
func TestVerifyChecksTheKeyTheURLNames(t *testing.T) {
	rsaKey, _ := testKeys(t)
	te := newTestEnv(t).set("CFSIGN_KEY_PAIR_ID", "K2JCJMDEHXQW5F").set("CFSIGN_PRIVATE_KEY", rsaKey)
	u := strings.TrimSpace(te.run("sign", "https://d1.example.com/a.txt", "--expires", "1h").mustOK(t).stdout)
	if r := te.run("verify", u).mustOK(t); !strings.Contains(r.stdout, "VALID") {
		t.Fatalf("the URL as signed: %s", r.stdout)
	}
	for _, bad := range []string{
		strings.Replace(u, "Key-Pair-Id=K2JCJMDEHXQW5F", "Key-Pair-Id=KOTHERKEY00001", 1),
		strings.Replace(u, "Key-Pair-Id=K2JCJMDEHXQW5F", "Key-Pair-Id=k2jcjmdehxqw5f", 1),
	} {
		r := te.run("verify", bad)
		if r.code != ExitError || !strings.Contains(r.stdout, "INVALID") || !strings.Contains(r.stdout, "unknown-key") {
			t.Errorf("verify %s: exit %d\n%s", bad, r.code, r.stdout)
		}
	}
	// Keys given by file: their ID cannot be known, and verify says so.
	r := te.run("verify", u, "--public-key", rsaKey).mustOK(t)
	if !strings.Contains(r.stderr, "cannot check which ID") {
		t.Errorf("--public-key: no note: %q", r.stderr)
	}
}

// keys register --key-group takes a group's name or its ID (as 'aws
// cloudfront list-key-groups' prints it): the key joins that group, and no
// group is made under another group's ID.
func TestKeysRegisterIntoGroupByID(t *testing.T) {
	te, _ := rotationSandbox(t)
	list := te.run("--sandbox", "keys", "list").mustOK(t).stdout
	groupID := match(t, regexp.MustCompile(`key group \S+ \((\S+)\)`), list)
	dir := t.TempDir()
	te.run("keys", "generate", "--dir", dir).mustOK(t)
	r := te.run("--sandbox", "keys", "register", "--private-key", filepath.Join(dir, "private_key.pem"), "--key-group", groupID).mustOK(t)
	id := strings.TrimSpace(r.stdout)
	if strings.Contains(r.stderr, "created key group") {
		t.Fatalf("a group was made named after the ID: %s", r.stderr)
	}
	after := te.run("--sandbox", "keys", "list").mustOK(t).stdout
	if strings.Count(after, "key group ") != 1 || !strings.Contains(after, id) {
		t.Fatalf("the key did not join the group %s:\n%s", groupID, after)
	}

}
