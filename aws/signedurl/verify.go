package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// RequestIDHeader carries CloudFront's ID of each answer of an edge, which
// AWS support asks for (the sandbox's edge sends one too, and logs it with
// each refusal).
const RequestIDHeader = "X-Amz-Cf-Id"

// PublicKeys are the trusted public keys by key pair ID (a distribution's key groups).
type PublicKeys map[string]crypto.PublicKey

// VerifyRequest is a viewer request as an edge sees it.
type VerifyRequest struct {
	URL      string            // scheme://host plus the request URI exactly as received (not re-encoded)
	Cookies  map[string]string // request cookies by name (CloudFront-* are used)
	At       time.Time         // the time to check conditions at; zero means now
	ClientIP netip.Addr        // the viewer's address; invalid means unknown
}

// Verdict is the outcome of Verify: OK, or the check that failed and the
// CloudFront error it maps to.
type Verdict struct {
	OK        bool
	Check     string // the failed check, one of the Check* constants; "" when OK
	Code      string // CloudFront error code, e.g. AccessDenied, MissingKey, MalformedPolicy, InvalidKey
	Message   string // CloudFront's message for Code
	Detail    string // one line saying exactly what was wrong
	Source    string // "url" or "cookies"
	KeyPairID string
	Hash      Hash
	Canned    bool
	Policy    string // the policy JSON the signature covers
	Resource  string
	Starts    time.Time
	Expires   time.Time
	IP        string
}

// Checks Verify reports in Verdict.Check, in the order it makes them.
const (
	CheckBadURL             = "bad-url"             // the request URL cannot be parsed
	CheckUnsendable         = "unsendable-url"      // no client sends the URL as written (no path, dot segments)
	CheckUnsigned           = "unsigned"            // no signing parameters in the URL or cookies
	CheckMissingKeyPairID   = "missing-key-pair-id" // Key-Pair-Id absent or empty
	CheckMissingSignature   = "missing-signature"   // Signature absent or empty
	CheckMissingPolicy      = "missing-policy"      // neither Expires nor Policy
	CheckMalformedExpires   = "malformed-expires"   // Expires is not Unix seconds
	CheckMalformedPolicy    = "malformed-policy"    // Policy is not a valid CloudFront policy
	CheckBadHashAlgorithm   = "bad-hash-algorithm"  // Hash-Algorithm is neither SHA1 nor SHA256
	CheckUnknownKey         = "unknown-key"         // no trusted key has that key pair ID
	CheckMalformedSignature = "malformed-signature" // Signature is not CloudFront base64
	CheckBadSignature       = "bad-signature"       // the signature does not verify
	CheckExpired            = "expired"             // at or after DateLessThan
	CheckNotYetValid        = "not-yet-valid"       // at or before DateGreaterThan
	CheckIPMismatch         = "ip-mismatch"         // client address outside IpAddress
	CheckResourceMismatch   = "resource-mismatch"   // request URL does not match Resource
)

// CloudFront error codes a failed Verdict carries.
const (
	CodeMissingKey      = "MissingKey"
	CodeInvalidKey      = "InvalidKey"
	CodeMalformedPolicy = "MalformedPolicy"
	CodeAccessDenied    = "AccessDenied"
)

// CodeMessage is the message CloudFront sends with an error code.
func CodeMessage(code string) string {
	switch code {
	case CodeMissingKey:
		return "Missing Key-Pair-Id query parameter or cookie value"
	case CodeInvalidKey:
		return "Unknown Key"
	case CodeMalformedPolicy:
		return "Malformed Policy"
	}
	return "Access denied"
}

// SignedParts are the pieces of a signed URL or cookie set.
type SignedParts struct {
	Source    string // "url" or "cookies"
	Base      string // the request URL without the signing parameters
	KeyPairID string
	Signature string // as sent, CloudFront base64
	Hash      Hash
	Canned    bool
	Policy    string    // the policy JSON the signature covers
	Resource  string    // the policy's Resource ("" in a custom policy means any)
	Starts    time.Time // DateGreaterThan; zero when absent
	Expires   time.Time // DateLessThan
	IP        string    // IpAddress CIDR; "" when absent
	prefix    netip.Prefix
}

// verifyFailure is a failed check; as an error it reads "check: detail".
type verifyFailure struct{ check, code, detail string }

func (f *verifyFailure) Error() string { return f.check + ": " + f.detail }

func verifyFail(check, code, format string, args ...any) *verifyFailure {
	return &verifyFailure{check, code, fmt.Sprintf(format, args...)}
}

// ParseSigned splits a signed URL into its parts and decodes its policy,
// without checking the signature or conditions.
func ParseSigned(rawURL string) (SignedParts, error) {
	sp, f := parseSigned(rawURL, nil)
	if f != nil {
		return sp, f
	}
	return sp, nil
}

// parseSigned reads the signing parameters from the URL's query or, when it
// has none, from the cookies (CloudFront lets URL parameters win).
func parseSigned(rawURL string, cookies map[string]string) (SignedParts, *verifyFailure) {
	var sp SignedParts
	if i := strings.IndexByte(rawURL, '#'); i >= 0 {
		rawURL = rawURL[:i] // never sent by viewers
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return sp, verifyFail(CheckBadURL, CodeAccessDenied, "cannot parse request URL: %v", err)
	}
	if u.Host != "" && u.Path == "" && u.RawPath == "" {
		return sp, verifyFail(CheckUnsendable, CodeAccessDenied, "the URL has no path: clients request %q for it, so no client can send it as signed (sign it with a trailing /)", "/")
	}
	if seg, ok := dotSegment(u); ok {
		return sp, verifyFail(CheckUnsendable, CodeAccessDenied, "the path has a %q segment, which clients remove before sending, so no client can send it as signed", seg)
	}
	base, rawQuery, hasQuery := strings.Cut(rawURL, "?")
	params := map[string]string{}
	if hasQuery {
		// Keep the other parameters in their order, byte for byte: a canned
		// policy's resource is the URL as signed.
		var kept []string
		for _, seg := range strings.Split(rawQuery, "&") {
			name, val, _ := strings.Cut(seg, "=")
			if !isSigningParam(name) {
				kept = append(kept, seg)
				continue
			}
			if _, dup := params[name]; !dup {
				if un, err := url.PathUnescape(val); err == nil {
					val = un
				}
				params[name] = val
			}
		}
		if len(kept) > 0 {
			base += "?" + strings.Join(kept, "&")
		}
	}
	sp.Base = base
	switch {
	case len(params) > 0:
		sp.Source = "url"
	default:
		for _, p := range signingParams {
			if v, ok := cookies[cookiePrefix+p]; ok {
				params[p] = v
			}
		}
		if len(params) == 0 {
			return sp, verifyFail(CheckUnsigned, CodeMissingKey, "no signature: the URL has no Key-Pair-Id/Signature parameters and there are no CloudFront-* cookies")
		}
		sp.Source = "cookies"
	}
	name := func(p string) string {
		if sp.Source == "cookies" {
			return "cookie " + cookiePrefix + p
		}
		return "query parameter " + p
	}

	sp.KeyPairID = params[paramKeyPairID]
	if sp.KeyPairID == "" {
		return sp, verifyFail(CheckMissingKeyPairID, CodeMissingKey, "%s is missing or empty", name(paramKeyPairID))
	}
	sp.Hash = SHA1
	switch h := params[paramHashAlg]; {
	case h == "" || strings.EqualFold(h, "SHA1"):
	case strings.EqualFold(h, "SHA256"):
		sp.Hash = SHA256
	default:
		return sp, verifyFail(CheckBadHashAlgorithm, CodeAccessDenied, "%s is %q; CloudFront accepts SHA1 or SHA256", name(paramHashAlg), h)
	}
	sp.Signature = params[paramSignature]

	if pol, ok := params[paramPolicy]; ok {
		info, raw, err := DecodePolicy(pol)
		sp.Policy = string(raw)
		if err != nil {
			return sp, verifyFail(CheckMalformedPolicy, CodeMalformedPolicy, "%s: %v", name(paramPolicy), err)
		}
		sp.Resource, sp.Starts, sp.Expires, sp.IP, sp.prefix = info.Resource, info.Starts, info.Expires, info.IP, info.prefix
	} else if exp, ok := params[paramExpires]; ok {
		sp.Canned = true
		sp.Resource = base
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || !allDigits(exp) || n > 253402300799 {
			return sp, verifyFail(CheckMalformedExpires, CodeMalformedPolicy, "%s is %q, not Unix seconds", name(paramExpires), exp)
		}
		sp.Expires = time.Unix(n, 0).UTC()
		js, err := encodePolicy(sign.NewCannedPolicy(base, sp.Expires))
		if err != nil {
			return sp, verifyFail(CheckMalformedPolicy, CodeMalformedPolicy, "cannot rebuild the canned policy: %v", err)
		}
		sp.Policy = string(js)
	} else {
		return sp, verifyFail(CheckMissingPolicy, CodeMalformedPolicy, "neither %s nor %s is present", name(paramExpires), name(paramPolicy))
	}
	if sp.Signature == "" {
		return sp, verifyFail(CheckMissingSignature, CodeAccessDenied, "%s is missing or empty", name(paramSignature))
	}
	return sp, nil
}

// Verify checks a signed URL or cookie set the way CloudFront does.
func Verify(req VerifyRequest, keys PublicKeys) Verdict {
	sp, f := parseSigned(req.URL, req.Cookies)
	v := Verdict{Source: sp.Source, KeyPairID: sp.KeyPairID, Hash: sp.Hash, Canned: sp.Canned,
		Policy: sp.Policy, Resource: sp.Resource, Starts: sp.Starts, Expires: sp.Expires, IP: sp.IP}
	if f == nil {
		f = checkSigned(req, keys, &sp)
	}
	if f != nil {
		v.Check, v.Code, v.Message, v.Detail = f.check, f.code, CodeMessage(f.code), f.detail
		return v
	}
	v.OK = true
	return v
}

func checkSigned(req VerifyRequest, keys PublicKeys, sp *SignedParts) *verifyFailure {
	pub, ok := keys[sp.KeyPairID]
	if !ok || pub == nil {
		return verifyFail(CheckUnknownKey, CodeInvalidKey, "key pair ID %q is not among the %d trusted public keys", sp.KeyPairID, len(keys))
	}
	switch pub.(type) {
	case *rsa.PublicKey, rsa.PublicKey, *ecdsa.PublicKey, ecdsa.PublicKey:
	default:
		return verifyFail(CheckUnknownKey, CodeInvalidKey, "trusted key %q is a %T, not RSA or ECDSA", sp.KeyPairID, pub)
	}
	sig, err := decodeBase64(sp.Signature)
	if err != nil {
		return verifyFail(CheckMalformedSignature, CodeAccessDenied, "signature is not CloudFront base64: %v", err)
	}
	if err := verifySignature(pub, sp.Hash, []byte(sp.Policy), sig); err != nil {
		what := "the policy"
		if sp.Canned {
			what = "the canned policy for " + sp.Base
		}
		return verifyFail(CheckBadSignature, CodeAccessDenied, "signature does not verify with key %s over %s of %s (tampered URL, wrong key or wrong hash)", sp.KeyPairID, strings.ToUpper(string(sp.Hash)), what)
	}
	at := req.At
	if at.IsZero() {
		at = time.Now()
	}
	if !at.Before(sp.Expires) {
		return verifyFail(CheckExpired, CodeAccessDenied, "expired at %s; checked at %s", sp.Expires.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if !sp.Starts.IsZero() && !at.After(sp.Starts) {
		return verifyFail(CheckNotYetValid, CodeAccessDenied, "valid only after %s; checked at %s", sp.Starts.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if sp.IP != "" {
		ip := req.ClientIP
		if !ip.IsValid() {
			return verifyFail(CheckIPMismatch, CodeAccessDenied, "policy allows only %s and the client address is unknown", sp.IP)
		}
		if !sp.prefix.Contains(ip) && !sp.prefix.Contains(ip.Unmap()) {
			return verifyFail(CheckIPMismatch, CodeAccessDenied, "client address %s is outside %s", ip, sp.IP)
		}
	}
	if !sp.Canned && sp.Resource != "" && !matchResource(sp.Resource, sp.Base) {
		return verifyFail(CheckResourceMismatch, CodeAccessDenied, "request %s does not match the policy resource %s", sp.Base, sp.Resource)
	}
	return nil
}
