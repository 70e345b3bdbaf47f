package sandbox

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
	"github.com/cfsign/cfsign/aws/signedurl"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cfsign/cfsign/keys"
)

// edgeKey loads the sandbox's private key.
func edgeKey(t *testing.T, sb *Sandbox) crypto.Signer {
	t.Helper()
	k, _, err := keys.LoadPrivate(sb.PrivateKeyPath)
	if err != nil {
		t.Fatalf("load sandbox key: %v", err)
	}
	return k
}

func edgeSigner(t *testing.T, sb *Sandbox, keyPairID string, key crypto.Signer) *signedurl.Signer {
	t.Helper()
	s, err := signedurl.NewSigner(keyPairID, key, signedurl.SHA1)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

// edgeSignURL signs the sandbox edge URL of path with the sandbox key.
func edgeSignURL(t *testing.T, sb *Sandbox, path string, opts signedurl.PolicyOptions) string {
	t.Helper()
	s, err := sb.Signer(signedurl.SHA1)
	if err != nil {
		t.Fatalf("sandbox Signer: %v", err)
	}
	return edgeSignWith(t, s, sb.EdgeURL+path, opts, time.Now())
}

func edgeSignWith(t *testing.T, s *signedurl.Signer, rawURL string, opts signedurl.PolicyOptions, now time.Time) string {
	t.Helper()
	u, err := s.SignURL(rawURL, opts, now)
	if err != nil {
		t.Fatalf("SignURL %s: %v", rawURL, err)
	}
	return u
}

// edgeGet sends one request and returns status, body and headers.
func edgeGet(t *testing.T, method, rawURL string, cookies []*http.Cookie, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatalf("request %s: %v", rawURL, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, body, resp.Header
}

// edgeErrorXML is CloudFront's error body for code.
func edgeErrorXML(code, msg string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`
}

// edgeSetup starts a sandbox with one object and returns it with the object's bytes.
func edgeSetup(t *testing.T) (*Sandbox, *sbLog, []byte) {
	t.Helper()
	sb, log := sbStart(t)
	body := []byte("hello, signed world\n")
	sbPut(t, sbClient(sb), sb.Bucket, "docs/hello.txt", body, "text/plain; charset=utf-8")
	return sb, log, body
}

func TestEdgeSignedURL(t *testing.T) {
	sb, log, body := edgeSetup(t)
	for _, hash := range []signedurl.Hash{signedurl.SHA1, signedurl.SHA256} {
		s, err := signedurl.NewSigner(sb.KeyPairID, edgeKey(t, sb), hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []signedurl.PolicyOptions{
			{Expires: time.Now().Add(time.Hour)},
			{Expires: time.Now().Add(time.Hour), Starts: time.Now().Add(-time.Minute), IP: "127.0.0.0/8"},
		} {
			u := edgeSignWith(t, s, sb.EdgeURL+"/docs/hello.txt", opts, time.Now())
			status, got, h := edgeGet(t, "GET", u, nil, nil)
			if status != 200 || string(got) != string(body) {
				t.Errorf("%s custom=%v: %d %q, want 200 %q; log:\n%s", hash, opts.Custom(), status, got, body, log)
			}
			if ct := h.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if h.Get("ETag") == "" || h.Get("Last-Modified") == "" || h.Get("Accept-Ranges") != "bytes" {
				t.Errorf("headers lack ETag/Last-Modified/Accept-Ranges: %v", h)
			}
		}
	}
}

// TestEdgeAWSCLISigned: a URL signed by `aws cloudfront sign` with the
// sandbox's key file gets in, and equals ours byte for byte.
func TestEdgeAWSCLISigned(t *testing.T) {
	sb, log, body := edgeSetup(t)
	aws := sbAWSCLI(t, sb)
	// The sandbox key as written, no conversion: CLI v1 reads only PKCS#1.
	keyFile := sb.PrivateKeyPath
	expires := time.Now().Add(time.Hour).Truncate(time.Second)
	raw := sb.EdgeURL + "/docs/hello.txt"
	out, err := aws("cloudfront", "sign", "--url", raw, "--key-pair-id", sb.KeyPairID,
		"--private-key", "file://"+keyFile, "--date-less-than", expires.UTC().Format(time.RFC3339))
	if err != nil {
		t.Fatalf("aws cloudfront sign: %v\n%s", err, out)
	}
	cli := strings.TrimSpace(out)
	status, got, _ := edgeGet(t, "GET", cli, nil, nil)
	if status != 200 || string(got) != string(body) {
		t.Errorf("CLI-signed URL: %d %q; log:\n%s", status, got, log)
	}
	ours := edgeSignURL(t, sb, "/docs/hello.txt", signedurl.PolicyOptions{Expires: expires})
	if ours != cli {
		t.Errorf("our URL differs from the CLI's:\nours %s\ncli  %s", ours, cli)
	}

	// A CLI custom policy with an IP condition the client does not meet.
	out, err = aws("cloudfront", "sign", "--url", raw, "--key-pair-id", sb.KeyPairID,
		"--private-key", "file://"+keyFile, "--date-less-than", expires.UTC().Format(time.RFC3339),
		"--ip-address", "10.0.0.0/8")
	if err != nil {
		t.Fatalf("aws cloudfront sign --ip-address: %v\n%s", err, out)
	}
	status, got, _ = edgeGet(t, "GET", strings.TrimSpace(out), nil, nil)
	if status != 403 || string(got) != edgeErrorXML("AccessDenied", "Access denied") {
		t.Errorf("CLI-signed URL for 10.0.0.0/8: %d %s", status, got)
	}
}

// edgeTamper changes one character of the Signature parameter, keeping it
// valid CloudFront base64.
func edgeTamper(t *testing.T, signed string) string {
	t.Helper()
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sig := []byte(q.Get("Signature"))
	if len(sig) < 20 {
		t.Fatalf("short signature in %s", signed)
	}
	if sig[10] == 'A' {
		sig[10] = 'B'
	} else {
		sig[10] = 'A'
	}
	return strings.Replace(signed, "Signature="+q.Get("Signature"), "Signature="+string(sig), 1)
}

// TestEdgeRefusals: each way a request can be wrong gets CloudFront's 403 and
// code, and a log line naming the failed check without the signature.
func TestEdgeRefusals(t *testing.T) {
	sb, log, _ := edgeSetup(t)
	key := edgeKey(t, sb)
	ours := edgeSigner(t, sb, sb.KeyPairID, key)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := edgeSigner(t, sb, sb.KeyPairID, other)
	unknownID := edgeSigner(t, sb, "K0NOSUCHKEY000", key)
	now := time.Now()
	obj := sb.EdgeURL + "/docs/hello.txt"
	hour := signedurl.PolicyOptions{Expires: now.Add(time.Hour)}

	cases := []struct {
		name, url   string
		code, check string
	}{
		{"unsigned", obj, signedurl.CodeMissingKey, signedurl.CheckUnsigned},
		{"tampered", edgeTamper(t, edgeSignWith(t, ours, obj, hour, now)), signedurl.CodeAccessDenied, signedurl.CheckBadSignature},
		{"expired", edgeSignWith(t, ours, obj, signedurl.PolicyOptions{Expires: now.Add(-time.Minute)}, now.Add(-time.Hour)), signedurl.CodeAccessDenied, signedurl.CheckExpired},
		{"wrong key", edgeSignWith(t, wrongKey, obj, hour, now), signedurl.CodeAccessDenied, signedurl.CheckBadSignature},
		{"unknown key pair ID", edgeSignWith(t, unknownID, obj, hour, now), signedurl.CodeInvalidKey, signedurl.CheckUnknownKey},
		{"wrong IP", edgeSignWith(t, ours, obj, signedurl.PolicyOptions{Expires: now.Add(time.Hour), IP: "10.0.0.0/8"}, now), signedurl.CodeAccessDenied, signedurl.CheckIPMismatch},
		{"not yet valid", edgeSignWith(t, ours, obj, signedurl.PolicyOptions{Expires: now.Add(2 * time.Hour), Starts: now.Add(time.Hour)}, now), signedurl.CodeAccessDenied, signedurl.CheckNotYetValid},
		{"wildcard mismatch", strings.Replace(edgeSignWith(t, ours, sb.EdgeURL+"/private/x", signedurl.PolicyOptions{Expires: now.Add(time.Hour), Resource: "http*://" + strings.TrimPrefix(sb.EdgeURL, "http://") + "/private/*"}, now), "/private/x", "/docs/hello.txt", 1), signedurl.CodeAccessDenied, signedurl.CheckResourceMismatch},
		{"other object", strings.Replace(edgeSignWith(t, ours, obj, hour, now), "/docs/hello.txt", "/docs/other.txt", 1), signedurl.CodeAccessDenied, signedurl.CheckBadSignature},
		{"malformed policy", obj + "?Policy=bm90LWpzb24_&Signature=AAAA&Key-Pair-Id=" + sb.KeyPairID, signedurl.CodeMalformedPolicy, signedurl.CheckMalformedPolicy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(log.String())
			status, body, h := edgeGet(t, "GET", c.url, nil, nil)
			if status != 403 || string(body) != edgeErrorXML(c.code, signedurl.CodeMessage(c.code)) {
				t.Errorf("got %d %s, want 403 %s", status, body, c.code)
			}
			if ct := h.Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type = %q, want text/xml", ct)
			}
			line := log.String()[before:]
			if !strings.Contains(line, "check "+c.check+" failed") {
				t.Errorf("log line does not name check %s: %q", c.check, line)
			}
			if strings.Count(line, "\n") != 1 {
				t.Errorf("want exactly one log line, got %q", line)
			}
			if u, err := url.Parse(c.url); err == nil {
				if sig := u.Query().Get("Signature"); len(sig) >= 4 && (strings.Contains(line, sig) || strings.Contains(line, url.QueryEscape(sig))) {
					t.Errorf("log line leaks the signature: %q", line)
				}
			}
		})
	}
}

// TestEdgeClientAddress: the IP condition is checked against the connection's
// address; X-Forwarded-For and friends are not trusted.
func TestEdgeClientAddress(t *testing.T) {
	sb, log, body := edgeSetup(t)
	u := edgeSignURL(t, sb, "/docs/hello.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour), IP: "10.0.0.0/8"})
	spoof := http.Header{"X-Forwarded-For": {"10.1.2.3"}, "X-Real-Ip": {"10.1.2.3"}, "Forwarded": {"for=10.1.2.3"}}
	if status, _, _ := edgeGet(t, "GET", u, nil, spoof); status != 403 || !strings.Contains(log.String(), "client address 127.0.0.1") {
		t.Errorf("spoofed X-Forwarded-For: %d, log:\n%s", status, log)
	}
	u = edgeSignURL(t, sb, "/docs/hello.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour), IP: "127.0.0.1"})
	if status, got, _ := edgeGet(t, "GET", u, nil, nil); status != 200 || string(got) != string(body) {
		t.Errorf("policy for 127.0.0.1/32: %d %q", status, got)
	}
	// A refused HEAD has no body.
	if status, got, _ := edgeGet(t, "HEAD", sb.EdgeURL+"/docs/hello.txt", nil, nil); status != 403 || len(got) != 0 {
		t.Errorf("unsigned HEAD: %d, %d body bytes", status, len(got))
	}
}

// TestEdgeObjectURLKeys: keys that need percent-encoding are served under
// the URL ObjectURL makes for them, signed as is.
func TestEdgeObjectURLKeys(t *testing.T) {
	sb, log := sbStart(t)
	c := sbClient(sb)
	for i, key := range []string{
		"with space/file (1).txt",
		"plus+sign&amp=eq?q.txt",
		"ünïcødé/日本語.txt",
		"tilde~star*bang!quote'",
		"literal%2Fpercent",
		"dir//double-slash",
		"hash#frag",
		"semi;colon,comma@at$dollar",
	} {
		body := []byte(fmt.Sprintf("object %d", i))
		sbPut(t, c, sb.Bucket, key, body, "")
		raw, err := signedurl.ObjectURL(sb.EdgeURL, "", key)
		if err != nil {
			t.Fatalf("ObjectURL %q: %v", key, err)
		}
		u := edgeSignWith(t, edgeSigner(t, sb, sb.KeyPairID, edgeKey(t, sb)), raw, signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}, time.Now())
		if status, got, _ := edgeGet(t, "GET", u, nil, nil); status != 200 || string(got) != string(body) {
			t.Errorf("key %q at %s: %d %q; log:\n%s", key, raw, status, got, log)
		}
	}
}

// TestEdgeWildcard: one custom policy for http*://HOST/dir/* opens every
// object under dir/ and nothing else. (CloudFront's ? matches exactly one
// character, so "https?://" would not match an http URL.)
func TestEdgeWildcard(t *testing.T) {
	sb, log := sbStart(t)
	c := sbClient(sb)
	sbPut(t, c, sb.Bucket, "dir/a", []byte("A"), "")
	sbPut(t, c, sb.Bucket, "dir/b", []byte("B"), "")
	sbPut(t, c, sb.Bucket, "dirt", []byte("T"), "")
	host := strings.TrimPrefix(sb.EdgeURL, "http://")
	opts := signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour), Resource: "http*://" + host + "/dir/*"}
	signed := edgeSignURL(t, sb, "/dir/a", opts)
	u, _ := url.Parse(signed)
	for key, want := range map[string]string{"dir/a": "A", "dir/b": "B"} {
		status, got, _ := edgeGet(t, "GET", sb.EdgeURL+"/"+key+"?"+u.RawQuery, nil, nil)
		if status != 200 || string(got) != want {
			t.Errorf("%s with the dir/* policy: %d %q; log:\n%s", key, status, got, log)
		}
	}
	status, _, _ := edgeGet(t, "GET", sb.EdgeURL+"/dirt?"+u.RawQuery, nil, nil)
	if status != 403 {
		t.Errorf("dirt with the dir/* policy: %d, want 403", status)
	}

	// The same policy as cookies.
	cookies, err := edgeSigner(t, sb, sb.KeyPairID, edgeKey(t, sb)).SignCookies(sb.EdgeURL+"/dir/a", opts, time.Now())
	if err != nil {
		t.Fatalf("SignCookies: %v", err)
	}
	status, got, _ := edgeGet(t, "GET", sb.EdgeURL+"/dir/b", cookies, nil)
	if status != 200 || string(got) != "B" {
		t.Errorf("dir/b with dir/* cookies: %d %q", status, got)
	}
}

// TestEdgeCookies: signed cookies open the object; URL parameters win over
// cookies, in both directions.
func TestEdgeCookies(t *testing.T) {
	sb, log, body := edgeSetup(t)
	s := edgeSigner(t, sb, sb.KeyPairID, edgeKey(t, sb))
	obj := sb.EdgeURL + "/docs/hello.txt"
	now := time.Now()
	good, err := s.SignCookies(obj, signedurl.PolicyOptions{Expires: now.Add(time.Hour)}, now)
	if err != nil {
		t.Fatalf("SignCookies: %v", err)
	}
	status, got, _ := edgeGet(t, "GET", obj, good, nil)
	if status != 200 || string(got) != string(body) {
		t.Fatalf("signed cookies: %d %q; log:\n%s", status, got, log)
	}

	// Expired URL parameters with good cookies: the URL decides.
	expired := edgeSignWith(t, s, obj, signedurl.PolicyOptions{Expires: now.Add(-time.Minute)}, now.Add(-time.Hour))
	before := len(log.String())
	status, got, _ = edgeGet(t, "GET", expired, good, nil)
	if status != 403 || !strings.Contains(log.String()[before:], "check "+signedurl.CheckExpired+" failed") {
		t.Errorf("expired URL + good cookies: %d %s, want 403 expired", status, got)
	}
	// Good URL parameters with bad cookies: the URL decides.
	bad := []*http.Cookie{
		{Name: "CloudFront-Policy", Value: "garbage"},
		{Name: "CloudFront-Signature", Value: "AAAA"},
		{Name: "CloudFront-Key-Pair-Id", Value: "K0NOSUCHKEY000"},
	}
	status, got, _ = edgeGet(t, "GET", edgeSignWith(t, s, obj, signedurl.PolicyOptions{Expires: now.Add(time.Hour)}, now), bad, nil)
	if status != 200 || string(got) != string(body) {
		t.Errorf("good URL + bad cookies: %d %q", status, got)
	}
	// Cookie signature never reaches the log.
	tampered := append([]*http.Cookie(nil), good...)
	for i, c := range tampered {
		if c.Name == "CloudFront-Signature" {
			cc := *c
			cc.Value = "A" + cc.Value[1:]
			if cc.Value == c.Value {
				cc.Value = "B" + cc.Value[1:]
			}
			tampered[i] = &cc
			before = len(log.String())
			status, _, _ = edgeGet(t, "GET", obj, tampered, nil)
			line := log.String()[before:]
			if status != 403 || strings.Contains(line, cc.Value) || strings.Contains(line, c.Value) {
				t.Errorf("tampered cookie: %d, log %q", status, line)
			}
		}
	}
}

func TestEdgeHeadAndRange(t *testing.T) {
	sb, _, body := edgeSetup(t)
	u := edgeSignURL(t, sb, "/docs/hello.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})

	status, got, h := edgeGet(t, "HEAD", u, nil, nil)
	if status != 200 || len(got) != 0 || h.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Errorf("HEAD: %d, %d body bytes, Content-Length %q", status, len(got), h.Get("Content-Length"))
	}
	etag := h.Get("ETag")

	status, got, h = edgeGet(t, "GET", u, nil, http.Header{"Range": {"bytes=7-12"}})
	if status != 206 || string(got) != string(body[7:13]) || h.Get("Content-Range") != fmt.Sprintf("bytes 7-12/%d", len(body)) {
		t.Errorf("Range 7-12: %d %q %q", status, got, h.Get("Content-Range"))
	}
	status, got, _ = edgeGet(t, "GET", u, nil, http.Header{"Range": {"bytes=-4"}})
	if status != 206 || string(got) != string(body[len(body)-4:]) {
		t.Errorf("suffix range: %d %q", status, got)
	}
	status, _, h = edgeGet(t, "GET", u, nil, http.Header{"Range": {"bytes=1000-2000"}})
	if status != 416 || h.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(body)) {
		t.Errorf("unsatisfiable range: %d %q, want 416", status, h.Get("Content-Range"))
	}
	status, _, _ = edgeGet(t, "GET", u, nil, http.Header{"If-None-Match": {etag}})
	if status != 304 {
		t.Errorf("If-None-Match: %d, want 304", status)
	}
	// A range of an unsigned request is still refused.
	status, _, _ = edgeGet(t, "GET", sb.EdgeURL+"/docs/hello.txt", nil, http.Header{"Range": {"bytes=0-3"}})
	if status != 403 {
		t.Errorf("unsigned range: %d, want 403", status)
	}
}

// TestEdgeLargeRanges reads a multi-megabyte object in ranges out of order,
// which makes the edge seek back and forth in the backend object.
func TestEdgeLargeRanges(t *testing.T) {
	sb, _ := sbStart(t)
	body := sbRandom(t, 3<<20)
	sbPut(t, sbClient(sb), sb.Bucket, "big.bin", body, "")
	u := edgeSignURL(t, sb, "/big.bin", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})
	status, got, _ := edgeGet(t, "GET", u, nil, nil)
	if status != 200 || string(got) != string(body) {
		t.Fatalf("whole object: %d, %d bytes", status, len(got))
	}
	status, got, h := edgeGet(t, "GET", u, nil, http.Header{"Range": {"bytes=10-19,2000000-2000099"}})
	if status != 206 || !strings.HasPrefix(h.Get("Content-Type"), "multipart/byteranges") ||
		!strings.Contains(string(got), string(body[2000000:2000100])) || !strings.Contains(string(got), string(body[10:20])) {
		t.Errorf("two ranges: %d %q", status, h.Get("Content-Type"))
	}
	// CloudFront answers lists out of order, overlapping or partly invalid
	// with the whole object and 200.
	for _, rng := range []string{"bytes=2000000-2000099,10-19", "bytes=0-99,50-149", "bytes=0-9,99999999-"} {
		status, got, _ = edgeGet(t, "GET", u, nil, http.Header{"Range": {rng}})
		if status != 200 || len(got) != len(body) {
			t.Errorf("%s: %d, %d bytes; want 200 and the whole object", rng, status, len(got))
		}
	}
	// A single range past the end: S3's 416 InvalidRange, passed on.
	status, got, h = edgeGet(t, "GET", u, nil, http.Header{"Range": {"bytes=99999999-"}})
	if status != 416 || !strings.Contains(string(got), "<Code>InvalidRange</Code>") || h.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(body)) {
		t.Errorf("range past the end: %d %q %q", status, got, h.Get("Content-Range"))
	}
}

func TestEdgeNotFoundAndMethods(t *testing.T) {
	sb, log, _ := edgeSetup(t)
	u := edgeSignURL(t, sb, "/docs/missing.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})
	status, body, _ := edgeGet(t, "GET", u, nil, nil)
	if status != 404 || string(body) != edgeErrorXML("NoSuchKey", "The specified key does not exist.") {
		t.Errorf("missing object: %d %s", status, body)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		status, body, _ := edgeGet(t, m, edgeSignURL(t, sb, "/docs/hello.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}), nil, nil)
		if status != 403 || !strings.Contains(string(body), "not configured to allow the HTTP request method") {
			t.Errorf("%s: %d %s, want CloudFront's 403 for a method the distribution does not allow", m, status, body)
		}
	}
	if !strings.Contains(log.String(), "check method failed") {
		t.Errorf("no log line for a refused method:\n%s", log)
	}
}

// edgeRaw sends a request line verbatim (no client-side path cleaning) and
// returns the status code.
func edgeRaw(t *testing.T, edgeURL, requestLine string, extraHeader string) int {
	t.Helper()
	host := strings.TrimPrefix(edgeURL, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "%s\r\nHost: %s\r\n%sConnection: close\r\n\r\n", requestLine, host, extraHeader)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response to %q: %v", requestLine, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestEdgeTraversal: dot segments, however spelled, are refused, and nothing
// outside the sandbox bucket is ever served.
func TestEdgeTraversal(t *testing.T) {
	sb, log, _ := edgeSetup(t)
	c := sbClient(sb)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: sdkaws.String("other")}); err != nil {
		t.Fatalf("CreateBucket other: %v", err)
	}
	sbPut(t, c, "other", "secret.txt", []byte("not for the edge"), "")
	s := edgeSigner(t, sb, sb.KeyPairID, edgeKey(t, sb))

	for _, p := range []string{
		"/../other/secret.txt",
		"/docs/../../other/secret.txt",
		"/%2e%2e/other/secret.txt",
		"/%2E%2E%2Fother%2Fsecret.txt",
		"/docs/..%2f..%2fother/secret.txt",
		"/docs\\..\\..\\other\\secret.txt",
		"/docs/%5c..%5c..%5cother/secret.txt",
		"/./docs/hello.txt",
	} {
		// Signed for exactly that path, so only the traversal rule can refuse it.
		// (Falls back to unsigned if the signer will not sign such a URL.)
		query := ""
		if signed, err := s.SignURL(sb.EdgeURL+p, signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}, time.Now()); err == nil {
			if u, err := url.Parse(signed); err == nil {
				query = "?" + u.RawQuery
			}
		}
		if got := edgeRaw(t, sb.EdgeURL, "GET "+p+query+" HTTP/1.1", ""); got != 400 {
			t.Errorf("GET %s: %d, want 400", p, got)
		}
	}
	if !strings.Contains(log.String(), "check path failed") {
		t.Errorf("no log line for traversal:\n%s", log)
	}
	// The other bucket's key is just a key in the sandbox bucket: not found.
	status, _, _ := edgeGet(t, "GET", edgeSignURL(t, sb, "/other/secret.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}), nil, nil)
	if status != 404 {
		t.Errorf("other/secret.txt: %d, want 404", status)
	}
}

func TestEdgeOversizedHeader(t *testing.T) {
	sb, _, _ := edgeSetup(t)
	u := edgeSignURL(t, sb, "/docs/hello.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})
	pu, _ := url.Parse(u)
	line := "GET " + pu.RequestURI() + " HTTP/1.1"
	if got := edgeRaw(t, sb.EdgeURL, line, "X-Big: "+strings.Repeat("a", 64<<10)+"\r\n"); got != 431 {
		t.Errorf("64 KiB header: %d, want 431", got)
	}
	if got := edgeRaw(t, sb.EdgeURL, line, "X-Small: "+strings.Repeat("a", 4<<10)+"\r\n"); got != 200 {
		t.Errorf("4 KiB header: %d, want 200", got)
	}
	cookie := "Cookie: junk=" + strings.Repeat("b", 40<<10) + "\r\n"
	if got := edgeRaw(t, sb.EdgeURL, line, cookie); got != 431 {
		t.Errorf("40 KiB cookie: %d, want 431", got)
	}
}

// TestEdgeStandalone: NewEdge serves any ObjectSource, refusing unsigned requests.
func TestEdgeStandalone(t *testing.T) {
	f, err := s3server.New(s3server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.EnsureBucket("b"); err != nil {
		t.Fatal(err)
	}
	e := NewEdge(bucketSource{srv: f, bucket: "b"}, signedurl.PublicKeys{}, nil)
	srv := newEdgeServer(e)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	status, body, _ := edgeGet(t, "GET", "http://"+l.Addr().String()+"/x", nil, nil)
	if status != 403 || string(body) != edgeErrorXML(signedurl.CodeMissingKey, signedurl.CodeMessage(signedurl.CodeMissingKey)) {
		t.Errorf("unsigned: %d %s", status, body)
	}
}

// TestEdgeConcurrent: parallel signed range reads while the bucket changes
// underneath (run with -race).
func TestEdgeConcurrent(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	body := sbRandom(t, 256<<10)
	sbPut(t, c, sb.Bucket, "stable.bin", body, "")
	u := edgeSignURL(t, sb, "/stable.bin", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			sbPut(t, c, sb.Bucket, "churn.bin", sbRandom(t, 1000+i), "")
		}
	}()
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := 0; i < 10; i++ {
				start := (g*10 + i) * 1000
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, start+999))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 206 || string(got) != string(body[start:start+1000]) {
					errs <- fmt.Errorf("range at %d: %d, %v", start, resp.StatusCode, err)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	<-done
}

// TestEdgeLogSafe: text from the request that reaches the log (here a
// validly signed policy whose Resource holds terminal escapes) is escaped.
func TestEdgeLogSafe(t *testing.T) {
	sb, log, _ := edgeSetup(t)
	policy := `{"Statement":[{"Resource":"http://x/\u001b]0;owned\u0007\u001b[2J\n*","Condition":{"DateLessThan":{"AWS:EpochTime":` +
		fmt.Sprint(time.Now().Add(time.Hour).Unix()) + `}}}]}`
	sum := sha1.Sum([]byte(policy))
	sig, err := edgeKey(t, sb).Sign(rand.Reader, sum[:], crypto.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	cf := strings.NewReplacer("+", "-", "=", "_", "/", "~")
	u := sb.EdgeURL + "/docs/hello.txt?Policy=" + cf.Replace(base64.StdEncoding.EncodeToString([]byte(policy))) +
		"&Signature=" + cf.Replace(base64.StdEncoding.EncodeToString(sig)) + "&Key-Pair-Id=" + sb.KeyPairID
	status, _, _ := edgeGet(t, "GET", u, nil, nil)
	line := log.String()
	if status != 403 || !strings.Contains(line, "check "+signedurl.CheckResourceMismatch+" failed") {
		t.Fatalf("status %d, log %q; want a resource mismatch", status, line)
	}
	if strings.ContainsAny(line, "\x1b\x07") || strings.Count(line, "\n") != 1 || !strings.Contains(line, `\u001b]0;owned`) {
		t.Errorf("log line not escaped: %q", line)
	}
}

// An encoded slash alone is not traversal: S3 decodes %2F to "/" in a key,
// and so does the edge, which serves dir/obj.bin for /dir%2Fobj.bin.
func TestEdgeEncodedSlash(t *testing.T) {
	sb, _ := sbStart(t)
	sbPut(t, sbClient(sb), sb.Bucket, "dir/obj.bin", []byte("slash"), "")
	u := edgeSignURL(t, sb, "/dir%2Fobj.bin", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})
	if status, got, _ := edgeGet(t, "GET", u, nil, nil); status != 200 || string(got) != "slash" {
		t.Errorf("GET /dir%%2Fobj.bin: %d %q, want 200 and the object dir/obj.bin", status, got)
	}
}
