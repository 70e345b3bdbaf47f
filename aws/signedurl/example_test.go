package signedurl_test

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
)

// testKey loads the throwaway RSA key the package's tests use. In a program
// the key comes from a file, a secret store or a crypto.Signer backed by KMS.
func testKey() crypto.Signer {
	pemBytes, err := os.ReadFile("../../testdata/sign/rsa2048_pkcs1.pem")
	if err != nil {
		panic(err)
	}
	block, _ := pem.Decode(pemBytes)
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return key
}

// Sign a URL with a canned policy: an expiry only. RSA signatures are
// deterministic, so this is byte for byte what `aws cloudfront sign` prints
// for the same key, URL and --date-less-than.
func ExampleSigner_SignURL() {
	signer, err := signedurl.NewSigner("K2JCJMDEHXQW5F", testKey(), signedurl.SHA1)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	expires := time.Unix(1893456000, 0) // 2030-01-01T00:00:00Z
	signed, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/plain.txt", signedurl.PolicyOptions{Expires: expires}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, part := range strings.Split(signed, "&") {
		fmt.Println(part)
	}
	// Output:
	// https://d111111abcdef8.cloudfront.net/plain.txt?Expires=1893456000
	// Signature=DfLVrnCMHZ5gWZ~ESOscOP14g69Ar9hoaPA3sUeLO~ftuk-1l1SwPa7h9V7xqhr-OA14csTIgVvmyfuBwHrf3LzcQgbqUHUdpkHlKOqYcenDtQYGmPkyXzllvpt~V4r-tV~6~mtW~7PHRZvuUthI6djPJQ6tU1yIKUjeO2yXObMIORpQGc0GeUlYprBomqPFVgqaME1f3mZP0qBKh11SYiqdQCVygNK~tC1hO6Yjocfo0E5qxDq1pRv3FssZ9fyJcgPI3dY4wdzsmY-W0p6i5XBNY3lSrw1rh7tdE5rf9DRbivhMCzwYRiKjx-Lh7~Xm1BlMKhZnTx0breF1B1H9qw__
	// Key-Pair-Id=K2JCJMDEHXQW5F
}

// Signed cookies grant access to every URL a custom policy's resource pattern
// matches, here everything under /private/, from one IP range.
func ExampleSigner_SignCookies() {
	signer, err := signedurl.NewSigner("K2JCJMDEHXQW5F", testKey(), signedurl.SHA256)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	cookies, err := signer.SignCookies("https://d111111abcdef8.cloudfront.net/private/", signedurl.PolicyOptions{
		Expires:  now.Add(24 * time.Hour),
		IP:       "192.0.2.0/24",
		Resource: "https://d111111abcdef8.cloudfront.net/private/*",
	}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cookies {
		if c.Name == "CloudFront-Policy" {
			info, raw, err := signedurl.DecodePolicy(c.Value)
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println(c.Name, "covers", info.Resource, "from", info.IP)
			fmt.Println(string(raw))
			continue
		}
		if c.Name == "CloudFront-Signature" {
			fmt.Println(c.Name, "is", len(c.Value), "characters")
			continue
		}
		fmt.Println(c.Name, "=", c.Value)
	}
	// Output:
	// CloudFront-Policy covers https://d111111abcdef8.cloudfront.net/private/* from 192.0.2.0/24
	// {"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/private/*","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateLessThan":{"AWS:EpochTime":1893456000}}}]}
	// CloudFront-Signature is 344 characters
	// CloudFront-Key-Pair-Id = K2JCJMDEHXQW5F
	// CloudFront-Hash-Algorithm = SHA256
}

// Verify applies an edge's checks to a request: a signed URL passes until it
// expires, and any change to it is caught and named.
func ExampleVerify() {
	key := testKey()
	signer, err := signedurl.NewSigner("K2JCJMDEHXQW5F", key, signedurl.SHA1)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	signed, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/report.pdf", signedurl.PolicyOptions{Expires: now.Add(time.Hour)}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	trusted := signedurl.PublicKeys{"K2JCJMDEHXQW5F": key.Public()}

	v := signedurl.Verify(signedurl.VerifyRequest{URL: signed, At: now.Add(time.Minute)}, trusted)
	fmt.Println("as signed:", v.OK)

	v = signedurl.Verify(signedurl.VerifyRequest{URL: signed, At: now.Add(2 * time.Hour)}, trusted)
	fmt.Println("two hours later:", v.OK, v.Check, v.Code)

	other := strings.Replace(signed, "/report.pdf", "/salaries.pdf", 1)
	v = signedurl.Verify(signedurl.VerifyRequest{URL: other, At: now.Add(time.Minute)}, trusted)
	fmt.Println("another object:", v.OK, v.Check, v.Code)
	// Output:
	// as signed: true
	// two hours later: false expired AccessDenied
	// another object: false bad-signature AccessDenied
}
