package doctor

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/testenv"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cfsign/cfsign/keys"
)

// cfHeaders are the headers CloudFront puts on a refusal it makes itself.
func cfHeaders(h http.Header) {
	h.Set("Server", "CloudFront")
	h.Set("Content-Type", "text/xml")
	h.Set("X-Cache", "Error from cloudfront")
	h.Set("Via", "1.1 3e5b4a1c2d9f8e7a6b5c4d3e2f1a0b9c.cloudfront.net (CloudFront)")
	h.Set("X-Amz-Cf-Pop", "FRA56-P5")
	h.Set("X-Amz-Cf-Id", "Qx1m0p3bVw5xgA2o4JtT7lZ2K9sS3nE8yU6rD1cF0hG4jI7kL5mN==")
}

// s3Headers are the headers of an S3 error passed on by CloudFront.
func s3Headers(h http.Header) {
	cfHeaders(h)
	h.Set("Server", "AmazonS3")
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", "4B1X7Q9ZK2M3N5P8")
	h.Set("X-Amz-Id-2", "fK8Xc2V5m3Q9bN1r7T0yL4wE6uI2oP8aS5dF3gH1jK9lZ7xC4vB2nM6qW0eR3tY5uI8oP1aS4dF7gH0j=")
}

const (
	s3AccessDenied = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4B1X7Q9ZK2M3N5P8</RequestId><HostId>fK8Xc2V5m3Q9bN1r7T0yL4wE6uI2oP8aS5dF3gH1jK9lZ7xC4vB2nM6qW0eR3tY5uI8oP1aS4dF7gH0j=</HostId></Error>`
	s3NoSuchKey = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>docs/missing.pdf</Key><RequestId>4B1X7Q9ZK2M3N5P8</RequestId><HostId>fK8Xc2V5=</HostId></Error>`
)

func cfError(code, msg string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`
}

// policyParam encodes a custom policy as CloudFront's URL-safe base64.
func policyParam(resource string, expires, starts time.Time, ip string) string {
	cond := fmt.Sprintf(`"DateLessThan":{"AWS:EpochTime":%d}`, expires.Unix())
	if !starts.IsZero() {
		cond += fmt.Sprintf(`,"DateGreaterThan":{"AWS:EpochTime":%d}`, starts.Unix())
	}
	if ip != "" {
		cond = fmt.Sprintf(`"IpAddress":{"AWS:SourceIp":%q},`, ip) + cond
	}
	pol := fmt.Sprintf(`{"Statement":[{"Resource":%q,"Condition":{%s}}]}`, resource, cond)
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString([]byte(pol)))
}

func TestDiagnoseClassifies(t *testing.T) {
	now := time.Now()
	canned := func(base string, expires time.Time) string {
		return fmt.Sprintf("%s/docs/report.pdf?Expires=%d&Signature=c2lnbmF0dXJl&Key-Pair-Id=K2JCJMDEHXQW5F", base, expires.Unix())
	}
	custom := func(base string, expires, starts time.Time, ip string) string {
		return base + "/docs/report.pdf?Policy=" + policyParam(base+"/docs/*", expires, starts, ip) + "&Signature=c2lnbmF0dXJl&Key-Pair-Id=K2JCJMDEHXQW5F"
	}
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		url     func(base string) string
		ok      bool
		status  int
		code    string
		source  string
		cause   string
	}{
		{
			name: "200",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Cache", "Hit from cloudfront")
				w.Write([]byte("%PDF-1.7"))
			},
			url: func(b string) string { return canned(b, now.Add(time.Hour)) },
			ok:  true, status: 200, cause: "works",
		},
		{
			name: "unsigned URL",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("MissingKey", "Missing Key-Pair-Id query parameter or cookie value")))
			},
			url:    func(b string) string { return b + "/docs/report.pdf" },
			status: 403, code: "MissingKey", source: SourceCloudFront, cause: "not signed",
		},
		{
			name: "unknown key pair ID",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("InvalidKey", "Unknown Key")))
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 403, code: "InvalidKey", source: SourceCloudFront, cause: "not in any key group",
		},
		{
			name: "expired",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("AccessDenied", "Access denied")))
			},
			url:    func(b string) string { return canned(b, now.Add(-2*time.Hour)) },
			status: 403, code: "AccessDenied", source: SourceCloudFront, cause: "expired at",
		},
		{
			name: "clock skew",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				// The edge's clock is an hour ahead of ours.
				w.Header().Set("Date", now.Add(time.Hour).UTC().Format(http.TimeFormat))
				w.WriteHeader(403)
				w.Write([]byte(cfError("AccessDenied", "Access denied")))
			},
			url:    func(b string) string { return canned(b, now.Add(10*time.Minute)) },
			status: 403, code: "AccessDenied", source: SourceCloudFront, cause: "clock skew",
		},
		{
			name: "not yet valid",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("AccessDenied", "Access denied")))
			},
			url:    func(b string) string { return custom(b, now.Add(2*time.Hour), now.Add(time.Hour), "") },
			status: 403, code: "AccessDenied", source: SourceCloudFront, cause: "not valid until",
		},
		{
			name: "IP restricted",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("AccessDenied", "Access denied")))
			},
			url:    func(b string) string { return custom(b, now.Add(time.Hour), time.Time{}, "192.0.2.0/24") },
			status: 403, code: "AccessDenied", source: SourceCloudFront, cause: "limited to 192.0.2.0/24",
		},
		{
			name: "wrong private key",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("AccessDenied", "Access denied")))
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 403, code: "AccessDenied", source: SourceCloudFront, cause: "does not verify",
		},
		{
			name: "malformed policy",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(cfError("MalformedPolicy", "Malformed Policy")))
			},
			url:    func(b string) string { return b + "/x?Policy=bm90IGpzb24_&Signature=c2ln&Key-Pair-Id=K2JCJMDEHXQW5F" },
			status: 403, code: "MalformedPolicy", source: SourceCloudFront, cause: "could not read the signed policy",
		},
		{
			name: "S3 refuses CloudFront",
			handler: func(w http.ResponseWriter, r *http.Request) {
				s3Headers(w.Header())
				w.WriteHeader(403)
				w.Write([]byte(s3AccessDenied))
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 403, code: "AccessDenied", source: SourceOrigin, cause: "bucket policy",
		},
		{
			name: "S3 refuses, headers only",
			handler: func(w http.ResponseWriter, r *http.Request) {
				s3Headers(w.Header())
				w.WriteHeader(403)
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 403, source: SourceOrigin, cause: "bucket policy",
		},
		{
			name: "object missing",
			handler: func(w http.ResponseWriter, r *http.Request) {
				s3Headers(w.Header())
				w.WriteHeader(404)
				w.Write([]byte(s3NoSuchKey))
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 404, code: "NoSuchKey", source: SourceOrigin, cause: "object does not exist",
		},
		{
			name: "origin unreachable",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				w.WriteHeader(502)
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 502, source: SourceCloudFront, cause: "could not reach the origin",
		},
		{
			name: "redirect",
			handler: func(w http.ResponseWriter, r *http.Request) {
				cfHeaders(w.Header())
				http.Redirect(w, r, "https://d111111abcdef8.cloudfront.net"+r.URL.RequestURI(), http.StatusMovedPermanently)
			},
			url:    func(b string) string { return canned(b, now.Add(time.Hour)) },
			status: 301, source: SourceCloudFront, cause: "instead of the file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var methods []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				methods = append(methods, r.Method)
				mu.Unlock()
				tc.handler(w, r)
			}))
			defer srv.Close()
			d, err := Diagnose(context.Background(), tc.url(srv.URL), Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if d.OK != tc.ok || d.Status != tc.status || d.Code != tc.code || d.Source != tc.source || !strings.Contains(d.Cause, tc.cause) {
				t.Errorf("got %+v\nwant ok=%v status=%d code=%q source=%q cause ~ %q", d, tc.ok, tc.status, tc.code, tc.source, tc.cause)
			}
			if !d.OK && d.Fix == "" {
				t.Errorf("no fix offered: %+v", d)
			}
			mu.Lock()
			defer mu.Unlock()
			if methods[0] != http.MethodHead || (tc.ok && len(methods) != 1) {
				t.Errorf("requests %v: want HEAD first, and only HEAD when it works", methods)
			}
			for _, s := range []string{d.Cause, d.Fix} {
				if strings.Contains(s, "\n") {
					t.Errorf("not one line: %q", s)
				}
			}
		})
	}
}

func TestDiagnoseNetwork(t *testing.T) {
	// Connection refused: a port nobody listens on any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const sig = "Expires=2000000000&Signature=c2VjcmV0LXNpZ25hdHVyZQ__&Key-Pair-Id=K2JCJMDEHXQW5F"
	d, err := Diagnose(context.Background(), "http://"+addr+"/x?"+sig, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.OK || d.Status != 0 || !strings.Contains(d.Cause, "could not connect") || d.Message == "" {
		t.Errorf("refused: %+v", d)
	}
	// The link is named, its signature (a bearer token) is not.
	if strings.Contains(d.Message, "c2VjcmV0") || !strings.Contains(d.Message, "Signature=REDACTED") {
		t.Errorf("the network error shows the signature: %q", d.Message)
	}
	if _, err := Diagnose(context.Background(), "ftp://x/a?"+sig, Options{}); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("the error shows the signature: %v", err)
	}

	// No answer in time: the handler holds the request until the client gives up.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	d, err = Diagnose(context.Background(), srv.URL+"/slow", Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d.OK || !strings.Contains(d.Cause, "no answer") {
		t.Errorf("timeout: %+v", d)
	}

	for _, bad := range []string{"", "ftp://example.com/x", "d111111abcdef8.cloudfront.net/x", "http://%zz"} {
		if _, err := Diagnose(context.Background(), bad, Options{}); err == nil {
			t.Errorf("Diagnose(%q) accepted", bad)
		}
	}
}

// TestNetErrors classifies errors a real network gives, without making
// requests that would leave loopback.
func TestNetErrors(t *testing.T) {
	u, _ := url.Parse("https://d111111abcdef8.cloudfront.net/x")
	dns := &url.Error{Op: "Head", URL: u.String(), Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: u.Host, IsNotFound: true}}}
	if d := netError(u, dns); !strings.Contains(d.Cause, "does not resolve") || !strings.Contains(d.Fix, "domain") {
		t.Errorf("DNS: %+v", d)
	}
	if d := netError(u, &url.Error{Op: "Head", URL: u.String(), Err: context.Canceled}); d.Cause != "cancelled" {
		t.Errorf("cancel: %+v", d)
	}
	if d := netError(u, errors.New("boom")); !strings.Contains(d.Cause, "could not connect") {
		t.Errorf("other: %+v", d)
	}
}

// TestSandbox diagnoses links against the sandbox's CloudFront-style edge.
func TestSandbox(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb := testenv.NewSandbox(t)
	priv, _, err := keys.LoadPrivate(sb.PrivateKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	api := s3.New(s3.Options{
		Region:       sb.Region,
		BaseEndpoint: sdkaws.String(sb.S3Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
	const key = "docs/report 2026.pdf"
	if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(sb.Bucket), Key: sdkaws.String(key), Body: strings.NewReader("%PDF-1.7 hello")}); err != nil {
		t.Fatal(err)
	}
	objURL, err := signedurl.ObjectURL(sb.EdgeURL, "", key)
	if err != nil {
		t.Fatal(err)
	}
	good, err := signedurl.NewSigner(sb.KeyPairID, priv, signedurl.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := signedurl.NewSigner("KUNKNOWN4CFSIGN", other, signedurl.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	impostor, err := signedurl.NewSigner(sb.KeyPairID, other, signedurl.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	slow := now.Add(-10 * time.Minute) // a local clock ten minutes behind
	sign := func(s *signedurl.Signer, u string, expires, at time.Time) string {
		t.Helper()
		signed, err := s.SignURL(u, signedurl.PolicyOptions{Expires: expires}, at)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	missing, _ := signedurl.ObjectURL(sb.EdgeURL, "", "docs/missing.pdf")
	tests := []struct {
		name   string
		url    string
		now    time.Time
		ok     bool
		status int
		code   string
		cause  string
	}{
		{"good link", sign(good, objURL, now.Add(5*time.Minute), now), now, true, 200, "", "works"},
		{"expired", sign(good, objURL, now.Add(-time.Hour), now.Add(-2*time.Hour)), now, false, 403, "AccessDenied", "expired at"},
		{"clock behind", sign(good, objURL, slow.Add(time.Minute), slow), slow, false, 403, "AccessDenied", "clock skew"},
		{"unknown key", sign(unknown, objURL, now.Add(5*time.Minute), now), now, false, 403, "InvalidKey", "not in any key group"},
		{"wrong private key", sign(impostor, objURL, now.Add(5*time.Minute), now), now, false, 403, "AccessDenied", "does not verify"},
		{"unsigned", objURL, now, false, 403, "MissingKey", "not signed"},
		{"object missing", sign(good, missing, now.Add(5*time.Minute), now), now, false, 404, "NoSuchKey", "does not exist"},
	}
	d, err := DiagnoseObject(ctx, good, sb.EdgeURL, "", key, Options{})
	if err != nil || !d.OK || d.Status != 200 {
		t.Errorf("DiagnoseObject = %+v, %v; want 200 OK", d, err)
	}
	if d, err := DiagnoseObject(ctx, good, sb.EdgeURL, "", "docs/missing.pdf", Options{}); err != nil || d.Status != 404 {
		t.Errorf("DiagnoseObject(missing) = %+v, %v; want 404", d, err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Diagnose(ctx, tc.url, Options{Now: tc.now, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if d.OK != tc.ok || d.Status != tc.status || d.Code != tc.code || !strings.Contains(d.Cause, tc.cause) {
				t.Errorf("got %+v\nwant ok=%v status=%d code=%q cause ~ %q", d, tc.ok, tc.status, tc.code, tc.cause)
			}
		})
	}
}
