package signedurl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// The query parameters (and, prefixed with "CloudFront-", the cookies) that
// carry a CloudFront signature. CloudFront leaves them out of the resource.
const (
	paramExpires   = "Expires"
	paramPolicy    = "Policy"
	paramSignature = "Signature"
	paramKeyPairID = "Key-Pair-Id"
	paramHashAlg   = "Hash-Algorithm"
	cookiePrefix   = "CloudFront-"
)

var signingParams = [...]string{paramExpires, paramPolicy, paramSignature, paramKeyPairID, paramHashAlg}

func isSigningParam(name string) bool {
	for _, p := range signingParams {
		if name == p {
			return true
		}
	}
	return false
}

// encodePolicy renders p the way the SDK's Policy.Sign does (and CloudFront
// expects): compact JSON, HTML characters left alone, no trailing newline.
func encodePolicy(p *sign.Policy) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode policy: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// encodeBase64 is base64 with CloudFront's URL-safe substitutions: + becomes -,
// = becomes _ and / becomes ~.
func encodeBase64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	return strings.Map(func(r rune) rune {
		switch r {
		case '+':
			return '-'
		case '=':
			return '_'
		case '/':
			return '~'
		}
		return r
	}, s)
}

// decodeBase64 reverses encodeBase64. It also takes plain standard base64.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '-':
			return '+'
		case '_':
			return '='
		case '~':
			return '/'
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// digest hashes msg with h (SHA1 or SHA256).
func policyDigest(h Hash, msg []byte) ([]byte, crypto.Hash) {
	if h == SHA256 {
		d := sha256.Sum256(msg)
		return d[:], crypto.SHA256
	}
	d := sha1.Sum(msg)
	return d[:], crypto.SHA1
}

// verifySignature checks sig over msg with pub (RSA PKCS#1 v1.5 or ECDSA ASN.1).
func verifySignature(pub crypto.PublicKey, h Hash, msg, sig []byte) error {
	d, ch := policyDigest(h, msg)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return errors.New("empty RSA public key")
		}
		return rsa.VerifyPKCS1v15(k, ch, d, sig)
	case rsa.PublicKey:
		return verifySignature(&k, h, msg, sig)
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil || k.X == nil || k.Y == nil {
			return errors.New("empty ECDSA public key")
		}
		if !ecdsa.VerifyASN1(k, d, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case ecdsa.PublicKey:
		return verifySignature(&k, h, msg, sig)
	}
	return fmt.Errorf("unsupported public key type %T (want RSA or ECDSA P-256)", pub)
}

// PolicyInfo is what a decoded CloudFront policy grants.
type PolicyInfo struct {
	Resource string    // pattern with * and ?; "" means any resource
	Starts   time.Time // DateGreaterThan; zero means none
	Expires  time.Time // DateLessThan
	IP       string    // AWS:SourceIp CIDR; "" means any address
	prefix   netip.Prefix
}

// DecodePolicy reads a custom policy as sent in a Policy parameter or
// CloudFront-Policy cookie (CloudFront base64) and checks it is one
// CloudFront would accept: one statement, a DateLessThan, a valid CIDR.
// It returns the policy JSON the signature covers.
func DecodePolicy(b64 string) (PolicyInfo, []byte, error) {
	raw, err := decodeBase64(b64)
	if err != nil {
		return PolicyInfo{}, nil, fmt.Errorf("policy is not valid base64: %w", err)
	}
	info, err := parsePolicyJSON(raw)
	return info, raw, err
}

func parsePolicyJSON(raw []byte) (PolicyInfo, error) {
	var p sign.Policy
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return PolicyInfo{}, fmt.Errorf("policy is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return PolicyInfo{}, errors.New("policy has data after the JSON object")
	}
	if len(p.Statements) != 1 {
		return PolicyInfo{}, fmt.Errorf("policy has %d statements, want exactly 1", len(p.Statements))
	}
	st := p.Statements[0]
	c := st.Condition
	if c.DateLessThan == nil {
		return PolicyInfo{}, errors.New("policy has no DateLessThan condition")
	}
	info := PolicyInfo{Resource: st.Resource, Expires: c.DateLessThan.Time}
	if c.DateGreaterThan != nil {
		info.Starts = c.DateGreaterThan.Time
	}
	if c.IPAddress != nil {
		pfx, err := parseCIDR(c.IPAddress.SourceIP)
		if err != nil {
			return PolicyInfo{}, fmt.Errorf("policy IpAddress: %v", err)
		}
		info.IP, info.prefix = c.IPAddress.SourceIP, pfx
	}
	return info, nil
}

// parseCIDR reads a CIDR, or a bare address as a single-host prefix
// (/32 for IPv4, /128 for IPv6).
func parseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// matchResource reports whether s matches the CloudFront resource pattern:
// * matches any run of characters (including none and "/"), ? exactly one.
// It runs in O(len(pattern)*len(s)) at worst, whatever the input.
func matchResource(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
