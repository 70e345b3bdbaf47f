package signedurl

import (
	"crypto"
	"testing"
	"time"
)

// Run: go test -run XXX -bench 'Sign|Verify' -benchmem ./aws/
func BenchmarkSignURL(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  crypto.Signer
		hash Hash
		opts PolicyOptions
	}{
		{"RSA-canned-SHA1", testRSA(b), SHA1, PolicyOptions{Expires: testExpires}},
		{"RSA-canned-SHA256", testRSA(b), SHA256, PolicyOptions{Expires: testExpires}},
		{"RSA-custom-SHA1", testRSA(b), SHA1, PolicyOptions{Expires: testExpires, IP: "10.0.0.0/8"}},
		{"ECDSA-canned-SHA1", testEC(b), SHA1, PolicyOptions{Expires: testExpires}},
		{"ECDSA-canned-SHA256", testEC(b), SHA256, PolicyOptions{Expires: testExpires}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := mustSigner(b, bc.key, bc.hash)
			u, err := ObjectURL("d111111abcdef8.cloudfront.net", "", "videos/2026/my file.mp4")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SignURL(u, bc.opts, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	keys := testKeys(b)
	for _, bc := range []struct {
		name  string
		key   crypto.Signer
		keyID string
	}{{"RSA", testRSA(b), testKeyID}, {"ECDSA", testEC(b), "KECDSA"}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := NewSigner(bc.keyID, bc.key, SHA1)
			if err != nil {
				b.Fatal(err)
			}
			signed, err := s.SignURL("https://d111111abcdef8.cloudfront.net/videos/a.mp4?x=1", PolicyOptions{Expires: testExpires}, testNow)
			if err != nil {
				b.Fatal(err)
			}
			req := VerifyRequest{URL: signed, At: testNow.Add(time.Minute)}
			b.ReportAllocs()
			for b.Loop() {
				if v := Verify(req, keys); !v.OK {
					b.Fatal(v.Detail)
				}
			}
		})
	}
}
