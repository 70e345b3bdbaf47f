package aws

import (
	"crypto"
	"net/netip"
	"time"
)

// PublicKeys are the trusted public keys by key pair ID (a distribution's key groups).
type PublicKeys map[string]crypto.PublicKey

// VerifyRequest is a viewer request as an edge sees it.
type VerifyRequest struct {
	URL      string            // full URL with query, as requested
	Cookies  map[string]string // request cookies by name (CloudFront-* are used)
	At       time.Time         // the time to check conditions at
	ClientIP netip.Addr        // the viewer's address; invalid means unknown
}

// Verdict is the outcome of Verify: OK, or the check that failed and the
// CloudFront error it maps to.
type Verdict struct {
	OK        bool
	Check     string // the failed check, e.g. "signature", "expired"; "" when OK
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

// Verify checks a signed URL or cookie set the way CloudFront does.
func Verify(req VerifyRequest, keys PublicKeys) Verdict {
	return Verdict{Check: "unimplemented", Code: "AccessDenied", Message: "Access denied"}
}
