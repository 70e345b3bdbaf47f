package aws

import (
	"crypto"
	"errors"
	"net/http"
	"time"
)

// Hash is the digest a CloudFront signature is computed over.
type Hash string

// Hash algorithms CloudFront accepts. SHA1 is the default and sends no
// Hash-Algorithm parameter.
const (
	SHA1   Hash = "sha1"
	SHA256 Hash = "sha256"
)

// PolicyOptions are the conditions a signature grants access under.
type PolicyOptions struct {
	Expires  time.Time // DateLessThan; required
	Starts   time.Time // DateGreaterThan; zero means none
	IP       string    // CIDR, or a bare IP that becomes /32; "" means any
	Resource string    // pattern with * and ?; "" means the URL itself
}

// Custom reports whether the options need a custom policy (anything beyond an expiry).
func (o PolicyOptions) Custom() bool {
	return !o.Starts.IsZero() || o.IP != "" || o.Resource != ""
}

// Signer signs CloudFront URLs and cookies with one key pair. It is safe for
// concurrent use.
type Signer struct {
	keyPairID string
	key       crypto.Signer
	hash      Hash
}

var errTODO = errors.New("not implemented yet")

// NewSigner returns a Signer for the key pair ID and private key.
func NewSigner(keyPairID string, key crypto.Signer, hash Hash) (*Signer, error) {
	return nil, errTODO
}

// SignURL returns rawURL signed under opts. now is used to refuse an expiry in the past.
func (s *Signer) SignURL(rawURL string, opts PolicyOptions, now time.Time) (string, error) {
	return "", errTODO
}

// SignCookies returns the CloudFront-* cookies granting access to rawURL (or
// opts.Resource) under opts.
func (s *Signer) SignCookies(rawURL string, opts PolicyOptions, now time.Time) ([]*http.Cookie, error) {
	return nil, errTODO
}

// ObjectURL is the CloudFront URL of an S3 object key: "https://DOMAIN/" and
// the key percent-encoded by RFC 3986 path rules, after removing originPath.
func ObjectURL(domain, originPath, key string) (string, error) { return "", errTODO }
