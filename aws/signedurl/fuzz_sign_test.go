package signedurl

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzSignVerify: any object key that ObjectURL accepts signs, and the result
// verifies, canned or custom, RSA or ECDSA, SHA1 or SHA256, URL or cookies.
func FuzzSignVerify(f *testing.F) {
	for _, k := range awkwardKeys {
		f.Add(k, "", uint8(0), int64(3600))
	}
	f.Add("assets/x y.txt", "/assets", uint8(7), int64(60))
	f.Add("a?b=c&Expires=1", "", uint8(3), int64(1))
	signers := []*Signer{
		mustSigner(f, testRSA(f), SHA1), mustSigner(f, testRSA(f), SHA256),
	}
	for _, h := range []Hash{SHA1, SHA256} {
		s, err := NewSigner("KECDSA", testEC(f), h)
		if err != nil {
			f.Fatal(err)
		}
		signers = append(signers, s)
	}
	keys := testKeys(f)
	client := netip.MustParseAddr("192.0.2.1")
	f.Fuzz(func(t *testing.T, key, origin string, mode uint8, ttl int64) {
		u, err := ObjectURL("d111111abcdef8.cloudfront.net", origin, key)
		if err != nil {
			return
		}
		if ttl <= 0 || ttl > 10*365*86400 {
			ttl = 3600
		}
		s := signers[int(mode)%len(signers)]
		opts := PolicyOptions{Expires: testNow.Add(time.Duration(ttl) * time.Second)}
		at := testNow
		if mode&4 != 0 {
			opts.Starts, opts.IP = testNow.Add(-time.Minute), "192.0.2.0/24"
			opts.Resource = "https://d111111abcdef8.cloudfront.net/*"
		}
		req := VerifyRequest{At: at, ClientIP: client}
		if mode&8 != 0 {
			cookies, err := s.SignCookies(u, opts, testNow)
			if err != nil {
				t.Fatalf("SignCookies(%q): %v", u, err)
			}
			req.URL, req.Cookies = u, map[string]string{}
			for _, c := range cookies {
				req.Cookies[c.Name] = c.Value
			}
		} else {
			signed, err := s.SignURL(u, opts, testNow)
			if err != nil {
				if len(u) > MaxURLLength-400 {
					return // too long once signed
				}
				t.Fatalf("SignURL(%q): %v", u, err)
			}
			req.URL = signed
		}
		if v := Verify(req, keys); !v.OK {
			t.Fatalf("sign then verify %q (mode %d): %s: %s", u, mode, v.Check, v.Detail)
		}
	})
}

// FuzzVerify: Verify never panics, whatever the URL and cookies, and a
// failed verdict always names a check and a CloudFront code.
func FuzzVerify(f *testing.F) {
	s := mustSigner(f, testRSA(f), SHA256)
	signed, err := s.SignURL("https://d1.cloudfront.net/a?x=1", PolicyOptions{Expires: testExpires, IP: "10.0.0.0/8"}, testNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed, "", "", "")
	f.Add("https://d1.cloudfront.net/a?Expires=1&Signature=AA__&Key-Pair-Id="+testKeyID, "", "", "")
	f.Add("https://d1.cloudfront.net/a", "x", "AAAA", testKeyID)
	f.Add("::%zz?&&=&Policy=&Policy=e30_", "", "", "")
	keys := testKeys(f)
	f.Fuzz(func(t *testing.T, rawURL, policy, sig, keyID string) {
		req := VerifyRequest{URL: rawURL, At: testNow, ClientIP: netip.MustParseAddr("10.1.1.1"),
			Cookies: map[string]string{"CloudFront-Policy": policy, "CloudFront-Signature": sig, "CloudFront-Key-Pair-Id": keyID}}
		v := Verify(req, keys)
		if !v.OK && (v.Check == "" || v.Code == "" || v.Message == "") {
			t.Fatalf("failed verdict without check/code: %+v", v)
		}
		if v.OK && v.Check != "" {
			t.Fatalf("OK verdict with a check: %+v", v)
		}
		_, _ = ParseSigned(rawURL)
	})
}

// FuzzParseWhen: no panic; a success is a real time, an error is one line.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"90s", "15m", "1h", "7d", "2w", "1h30m", "2027-01-02", "2027-01-02T15:04:05Z", "1893456000", "-1.5d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseWhen(s, testNow)
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if got.IsZero() && strings.TrimSpace(s) != "" && !strings.HasPrefix(strings.TrimSpace(s), "-") {
			t.Fatalf("ParseWhen(%q) = zero time", s)
		}
	})
}

// FuzzObjectURL: the URL is ASCII, and decoding its path gives back the key
// (minus the origin path).
func FuzzObjectURL(f *testing.F) {
	for _, k := range awkwardKeys {
		f.Add(k, "")
	}
	f.Add("assets/a b", "/assets")
	f.Add("//x/../y/./%2F", "")
	f.Fuzz(func(t *testing.T, key, origin string) {
		u, err := ObjectURL("d111111abcdef8.cloudfront.net", origin, key)
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(key+origin, "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for i := 0; i < len(u); i++ {
			if c := u[i]; c <= ' ' || c >= 0x7f || c == '+' || c == '?' || c == '#' {
				t.Fatalf("ObjectURL(%q) = %q has raw byte %q", key, u, c)
			}
		}
		want := key
		if op := strings.Trim(origin, "/"); op != "" {
			want = strings.TrimPrefix(key, op+"/")
		}
		p, err := url.Parse(u)
		if err != nil {
			t.Fatalf("ObjectURL(%q) = %q does not parse: %v", key, u, err)
		}
		if p.Path != "/"+want || p.Host != "d111111abcdef8.cloudfront.net" {
			t.Fatalf("ObjectURL(%q) = %q decodes to %q", key, u, p.Path)
		}
	})
}

// FuzzPolicyDecode: DecodePolicy never panics; a policy it accepts has an
// expiry, and re-encoding our own policies decodes to the same grant.
func FuzzPolicyDecode(f *testing.F) {
	f.Add(encodeBase64([]byte(`{"Statement":[{"Resource":"https://d1/*","Condition":{"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"},"DateGreaterThan":{"AWS:EpochTime":1},"DateLessThan":{"AWS:EpochTime":2}}}]}`)))
	f.Add(encodeBase64([]byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":2}}}]}`)))
	f.Add("e30_")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, b64 string) {
		info, raw, err := DecodePolicy(b64)
		if err != nil {
			return
		}
		if !utf8.Valid(raw) && info.Resource == "" {
			return
		}
		if info.IP != "" && !info.prefix.IsValid() {
			t.Fatalf("accepted IP %q without a prefix", info.IP)
		}
		again, _, err := DecodePolicy(encodeBase64(raw))
		if err != nil || again.Resource != info.Resource || !again.Expires.Equal(info.Expires) || !again.Starts.Equal(info.Starts) || again.IP != info.IP {
			t.Fatalf("decode is not stable: %+v vs %+v (%v)", info, again, err)
		}
	})
}
