package signedurl

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// removeParam drops a query parameter from a signed URL, keeping the rest in order.
func dropQueryParam(u, name string) string {
	base, q, _ := strings.Cut(u, "?")
	var kept []string
	for _, seg := range strings.Split(q, "&") {
		if n, _, _ := strings.Cut(seg, "="); n != name {
			kept = append(kept, seg)
		}
	}
	return base + "?" + strings.Join(kept, "&")
}

// setParam replaces a query parameter's value (or appends it).
func setQueryParam(u, name, val string) string {
	base, q, _ := strings.Cut(u, "?")
	segs := strings.Split(q, "&")
	for i, seg := range segs {
		if n, _, _ := strings.Cut(seg, "="); n == name {
			segs[i] = name + "=" + val
			return base + "?" + strings.Join(segs, "&")
		}
	}
	return u + "&" + name + "=" + val
}

// param returns a query parameter's raw value.
func queryParam(u, name string) string {
	_, q, _ := strings.Cut(u, "?")
	for _, seg := range strings.Split(q, "&") {
		if n, v, _ := strings.Cut(seg, "="); n == name {
			return v
		}
	}
	return ""
}

// rawPolicyURL is u carrying an arbitrary (possibly malformed) policy.
func rawPolicyURL(u, policyJSON string) string {
	return u + "?Policy=" + encodeBase64([]byte(policyJSON)) + "&Signature=AAAA&Key-Pair-Id=" + testKeyID
}

func TestVerifyChecks(t *testing.T) {
	rsaS := mustSigner(t, testRSA(t), SHA1)
	rsa256 := mustSigner(t, testRSA(t), SHA256)
	ecS, err := NewSigner("KECDSA", testEC(t), SHA256)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherS := mustSigner(t, other, SHA1)
	const base = "https://d1.cloudfront.net/a/b.txt"
	const u = base + "?x=1&y=2"
	sign := func(s *Signer, u string, o PolicyOptions) string {
		t.Helper()
		r, err := s.SignURL(u, o, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	canned := sign(rsaS, u, PolicyOptions{Expires: testExpires})
	canned256 := sign(rsa256, u, PolicyOptions{Expires: testExpires})
	custom := sign(ecS, u, PolicyOptions{Expires: testExpires, Starts: testNow.Add(10 * time.Minute),
		IP: "192.0.2.0/24", Resource: "https://d1.cloudfront.net/a/*"})
	customQuery := custom[strings.Index(custom, "Policy="):]
	at := testNow.Add(30 * time.Minute)
	in := netip.MustParseAddr("192.0.2.9")
	keys := testKeys(t)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)

	tests := []struct {
		name      string
		url       string
		cookies   map[string]string
		at        time.Time
		ip        netip.Addr
		keys      PublicKeys
		wantCheck string
		wantCode  string
	}{
		{"canned ok", canned, nil, at, in, nil, "", ""},
		{"canned sha256 ok", canned256, nil, at, in, nil, "", ""},
		{"custom ok", custom, nil, at, in, nil, "", ""},
		{"custom wildcard other object", "https://d1.cloudfront.net/a/deeper/c.bin?" + customQuery, nil, at, in, nil, "", ""},
		{"fragment ignored", canned + "#frag", nil, at, in, nil, "", ""},
		{"bad url", "https://[::1/x?Key-Pair-Id=K", nil, at, in, nil, CheckBadURL, CodeAccessDenied},
		{"unsigned", u, nil, at, in, nil, CheckUnsigned, CodeMissingKey},
		{"unrelated cookies", u, map[string]string{"session": "x"}, at, in, nil, CheckUnsigned, CodeMissingKey},
		{"no key pair id", dropQueryParam(canned, "Key-Pair-Id"), nil, at, in, nil, CheckMissingKeyPairID, CodeMissingKey},
		{"empty key pair id", setQueryParam(canned, "Key-Pair-Id", ""), nil, at, in, nil, CheckMissingKeyPairID, CodeMissingKey},
		{"unknown key", setQueryParam(canned, "Key-Pair-Id", "KUNKNOWN"), nil, at, in, nil, CheckUnknownKey, CodeInvalidKey},
		{"unusable trusted key", canned, nil, at, in, PublicKeys{testKeyID: ed.Public()}, CheckUnknownKey, CodeInvalidKey},
		{"nil trusted key", canned, nil, at, in, PublicKeys{testKeyID: nil}, CheckUnknownKey, CodeInvalidKey},
		{"no signature", dropQueryParam(canned, "Signature"), nil, at, in, nil, CheckMissingSignature, CodeAccessDenied},
		{"no expires or policy", dropQueryParam(canned, "Expires"), nil, at, in, nil, CheckMissingPolicy, CodeMalformedPolicy},
		{"expires not a number", setQueryParam(canned, "Expires", "tomorrow"), nil, at, in, nil, CheckMalformedExpires, CodeMalformedPolicy},
		{"expires negative", setQueryParam(canned, "Expires", "-5"), nil, at, in, nil, CheckMalformedExpires, CodeMalformedPolicy},
		{"expires huge", setQueryParam(canned, "Expires", "99999999999999999999"), nil, at, in, nil, CheckMalformedExpires, CodeMalformedPolicy},
		{"policy not base64", setQueryParam(custom, "Policy", "!!!"), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy not json", rawPolicyURL(base, "not json"), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy no statements", rawPolicyURL(base, `{"Statement":[]}`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy two statements", rawPolicyURL(base, `{"Statement":[{"Resource":"a","Condition":{"DateLessThan":{"AWS:EpochTime":1}}},{"Resource":"b","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy no DateLessThan", rawPolicyURL(base, `{"Statement":[{"Resource":"a","Condition":{}}]}`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy bad epoch", rawPolicyURL(base, `{"Statement":[{"Resource":"a","Condition":{"DateLessThan":{"AWS:EpochTime":"x"}}}]}`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy bad ip", rawPolicyURL(base, `{"Statement":[{"Resource":"a","Condition":{"DateLessThan":{"AWS:EpochTime":1},"IpAddress":{"AWS:SourceIp":"1.2.3.4/99"}}}]}`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy unknown field", rawPolicyURL(base, `{"Statement":[{"Resource":"a","Effect":"Allow","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"policy trailing data", rawPolicyURL(base, `{"Statement":[{"Resource":"a","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}x`), nil, at, in, nil, CheckMalformedPolicy, CodeMalformedPolicy},
		{"unknown hash algorithm", setQueryParam(canned, "Hash-Algorithm", "MD5"), nil, at, in, nil, CheckBadHashAlgorithm, CodeAccessDenied},
		{"signature not base64", setQueryParam(canned, "Signature", "***"), nil, at, in, nil, CheckMalformedSignature, CodeAccessDenied},
		{"tampered path", strings.Replace(canned, "/a/b.txt", "/a/c.txt", 1), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"tampered other param", strings.Replace(canned, "y=2", "y=3", 1), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"params reordered", strings.Replace(canned, "x=1&y=2", "y=2&x=1", 1), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"extra param", canned + "&z=1", nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"tampered expires", setQueryParam(canned, "Expires", "1895000000"), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"sha256 claimed sha1", dropQueryParam(canned256, "Hash-Algorithm"), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"sha1 claimed sha256", canned + "&Hash-Algorithm=SHA256", nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"wrong private key", sign(otherS, u, PolicyOptions{Expires: testExpires}), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"tampered policy", setQueryParam(custom, "Policy", encodeBase64([]byte(strings.Replace(mustDecode(t, queryParam(custom, "Policy")), "192.0.2.0/24", "0.0.0.0/0", 1)))), nil, at, in, nil, CheckBadSignature, CodeAccessDenied},
		{"expired", canned, nil, testExpires.Add(time.Second), in, nil, CheckExpired, CodeAccessDenied},
		{"expired at the second", canned, nil, testExpires, in, nil, CheckExpired, CodeAccessDenied},
		{"not yet valid", custom, nil, testNow.Add(5 * time.Minute), in, nil, CheckNotYetValid, CodeAccessDenied},
		{"not yet valid at the second", custom, nil, testNow.Add(10 * time.Minute), in, nil, CheckNotYetValid, CodeAccessDenied},
		{"ip outside", custom, nil, at, netip.MustParseAddr("198.51.100.1"), nil, CheckIPMismatch, CodeAccessDenied},
		{"ip unknown", custom, nil, at, netip.Addr{}, nil, CheckIPMismatch, CodeAccessDenied},
		{"ipv4-mapped inside", custom, nil, at, netip.MustParseAddr("::ffff:192.0.2.9"), nil, "", ""},
		{"resource mismatch", "https://d1.cloudfront.net/b/c.txt?" + customQuery, nil, at, in, nil, CheckResourceMismatch, CodeAccessDenied},
		{"resource other host", "https://d2.cloudfront.net/a/c.txt?" + customQuery, nil, at, in, nil, CheckResourceMismatch, CodeAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.keys
			if k == nil {
				k = keys
			}
			v := Verify(VerifyRequest{URL: tt.url, Cookies: tt.cookies, At: tt.at, ClientIP: tt.ip}, k)
			if v.Check != tt.wantCheck || v.Code != tt.wantCode || v.OK != (tt.wantCheck == "") {
				t.Fatalf("Verify = %s/%s (%s), want %q/%q", v.Check, v.Code, v.Detail, tt.wantCheck, tt.wantCode)
			}
			if v.OK {
				if v.Detail != "" || v.Message != "" {
					t.Errorf("OK verdict carries an error: %+v", v)
				}
				return
			}
			if v.Message != CodeMessage(v.Code) || v.Detail == "" || strings.Contains(v.Detail, "\n") {
				t.Errorf("message %q / detail %q", v.Message, v.Detail)
			}
		})
	}
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := decodeBase64(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerifyFillsVerdict(t *testing.T) {
	s, err := NewSigner("KECDSA", testEC(t), SHA256)
	if err != nil {
		t.Fatal(err)
	}
	const u = "https://d1.cloudfront.net/a/b.txt"
	signed, err := s.SignURL(u, PolicyOptions{Expires: testExpires, Starts: testNow, IP: "10.0.0.1", Resource: "https://d1.cloudfront.net/a/*"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	v := Verify(VerifyRequest{URL: signed, At: testNow.Add(time.Minute), ClientIP: netip.MustParseAddr("10.0.0.1")}, testKeys(t))
	want := Verdict{OK: true, Source: "url", KeyPairID: "KECDSA", Hash: SHA256, Canned: false,
		Policy:   mustDecode(t, queryParam(signed, "Policy")),
		Resource: "https://d1.cloudfront.net/a/*", Starts: testNow, Expires: testExpires, IP: "10.0.0.1/32"}
	if v != want {
		t.Errorf("Verify =\n %+v\nwant\n %+v", v, want)
	}
	// Failed verdicts still say what was parsed.
	v = Verify(VerifyRequest{URL: signed, At: testExpires.Add(time.Hour), ClientIP: netip.MustParseAddr("10.0.0.1")}, testKeys(t))
	want.OK, want.Check, want.Code, want.Message = false, CheckExpired, CodeAccessDenied, "Access denied"
	want.Detail = v.Detail
	if v != want || !strings.Contains(v.Detail, "2026-11-29T13:00:00Z") {
		t.Errorf("Verify =\n %+v\nwant\n %+v", v, want)
	}
}

func TestVerifyURLWinsOverCookies(t *testing.T) {
	s := mustSigner(t, testRSA(t), SHA1)
	const u = "https://d1.cloudfront.net/private/a.txt"
	signed, err := s.SignURL(u, PolicyOptions{Expires: testExpires}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := s.SignCookies(u, PolicyOptions{Expires: testExpires}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{}
	for _, c := range cookies {
		good[c.Name] = c.Value
	}
	junk := map[string]string{"CloudFront-Key-Pair-Id": "KJUNK", "CloudFront-Signature": "x", "CloudFront-Expires": "1"}
	keys := testKeys(t)
	at := testNow.Add(time.Minute)
	if v := Verify(VerifyRequest{URL: signed, Cookies: junk, At: at}, keys); !v.OK || v.Source != "url" {
		t.Errorf("valid URL with junk cookies: %+v", v)
	}
	if v := Verify(VerifyRequest{URL: u, Cookies: good, At: at}, keys); !v.OK || v.Source != "cookies" {
		t.Errorf("valid cookies: %+v", v)
	}
	// A URL that carries any signing parameter is judged on the URL alone.
	v := Verify(VerifyRequest{URL: u + "?Key-Pair-Id=" + testKeyID, Cookies: good, At: at}, keys)
	if v.OK || v.Source != "url" || v.Check != CheckMissingPolicy {
		t.Errorf("partial URL signature with good cookies: %+v", v)
	}
	v = Verify(VerifyRequest{URL: u, Cookies: map[string]string{"CloudFront-Signature": good["CloudFront-Signature"], "CloudFront-Expires": good["CloudFront-Expires"]}, At: at}, keys)
	if v.Check != CheckMissingKeyPairID || v.Code != CodeMissingKey || !strings.Contains(v.Detail, "cookie CloudFront-Key-Pair-Id") {
		t.Errorf("cookies without key pair ID: %+v", v)
	}
}

// CloudFront rebuilds a canned policy from the URL as sent; signing
// parameters may sit anywhere among the others.
func TestVerifyCannedResource(t *testing.T) {
	s := mustSigner(t, testRSA(t), SHA1)
	keys := testKeys(t)
	for _, u := range []string{
		"https://d1.cloudfront.net/a",
		"https://d1.cloudfront.net/a?",
		"https://d1.cloudfront.net/a?x",
		"https://d1.cloudfront.net/a?x=1&",
		"https://d1.cloudfront.net/a?x=1&&y=%20+",
		"http://127.0.0.1:8080/a%20b%2Bc",
	} {
		signed, err := s.SignURL(u, PolicyOptions{Expires: testExpires}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		v := Verify(VerifyRequest{URL: signed, At: testNow}, keys)
		if !v.OK || v.Resource != u {
			t.Errorf("%s: %+v", u, v)
		}
		sp, err := ParseSigned(signed)
		if err != nil || sp.Base != u || !sp.Canned || sp.KeyPairID != testKeyID || !sp.Expires.Equal(testExpires) {
			t.Errorf("ParseSigned(%s) = %+v, %v", signed, sp, err)
		}
	}
	// Signing parameters first, the object's own after them.
	signed, _ := s.SignURL("https://d1.cloudfront.net/a?x=1", PolicyOptions{Expires: testExpires}, testNow)
	_, q, _ := strings.Cut(signed, "?")
	moved := "https://d1.cloudfront.net/a?" + strings.TrimPrefix(q, "x=1&") + "&x=1"
	if v := Verify(VerifyRequest{URL: moved, At: testNow}, keys); !v.OK {
		t.Errorf("signing params before x=1: %+v", v)
	}
}

func TestParseSigned(t *testing.T) {
	s := mustSigner(t, testRSA(t), SHA256)
	signed, err := s.SignURL("https://d1.cloudfront.net/a?v=1", PolicyOptions{Expires: testExpires, IP: "10.0.0.0/8"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ParseSigned(signed)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Source != "url" || sp.Base != "https://d1.cloudfront.net/a?v=1" || sp.Canned || sp.Hash != SHA256 ||
		sp.IP != "10.0.0.0/8" || sp.Resource != "https://d1.cloudfront.net/a?v=1" || !sp.Expires.Equal(testExpires) ||
		sp.Signature != queryParam(signed, "Signature") || !json.Valid([]byte(sp.Policy)) {
		t.Errorf("ParseSigned = %+v", sp)
	}
	for _, bad := range []string{"https://d1.cloudfront.net/a", "https://d1.cloudfront.net/a?Expires=x&Signature=a&Key-Pair-Id=K", "::"} {
		if _, err := ParseSigned(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSigned(%q) err = %v", bad, err)
		}
	}
}

func TestMatchResource(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"https://d1.cloudfront.net/a/b", "https://d1.cloudfront.net/a/b", true},
		{"https://d1.cloudfront.net/a/b", "https://d1.cloudfront.net/a/bc", false},
		{"https://d1.cloudfront.net/*", "https://d1.cloudfront.net/a/b/c?x=1", true},
		{"https://d1.cloudfront.net/*", "https://d1.cloudfront.net/", true},
		{"https://d1.cloudfront.net/*", "https://d1.cloudfront.net", false},
		{"http*://d1.cloudfront.net/a", "https://d1.cloudfront.net/a", true},
		{"http*://d1.cloudfront.net/a", "http://d1.cloudfront.net/a", true},
		{"https://d1.cloudfront.net/a?c", "https://d1.cloudfront.net/abc", true},
		{"https://d1.cloudfront.net/a?c", "https://d1.cloudfront.net/ac", false},
		{"https://d1.cloudfront.net/*.mp4", "https://d1.cloudfront.net/x/y.mp4", true},
		{"https://d1.cloudfront.net/*.mp4", "https://d1.cloudfront.net/x/y.mp4?t=1", false},
		{"*", "anything", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"", "", true},
		{"", "x", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 5000), false},
	}
	for _, tt := range tests {
		if got := matchResource(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchResource(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://d.example/a.pdf?Expires=1&Signature=abc~def&Key-Pair-Id=K1", "https://d.example/a.pdf?Expires=1&Signature=REDACTED&Key-Pair-Id=K1"},
		{"https://d.example/a?Policy=eyJ&Signature=x&Key-Pair-Id=K1", "https://d.example/a?Policy=REDACTED&Signature=REDACTED&Key-Pair-Id=K1"},
		{"http://s3.local/b/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=ff&x-amz-security-token=t", "http://s3.local/b/k?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&x-amz-security-token=REDACTED"},
		{"https://d.example/a.pdf", "https://d.example/a.pdf"},
		{"https://d.example/%zz?Signature=abc", "https://d.example/%zz?REDACTED"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
