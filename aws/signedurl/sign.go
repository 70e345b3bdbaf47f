package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// Hash is the digest a CloudFront signature is computed over.
type Hash string

// Hash algorithms CloudFront accepts. SHA1 is the default and sends no
// Hash-Algorithm parameter.
const (
	SHA1   Hash = "sha1"
	SHA256 Hash = "sha256"
)

// ParseHash reads a hash name as users type it ("sha1", "SHA256", ""); ""
// is SHA1, CloudFront's default.
func ParseHash(s string) (Hash, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "sha1", "sha-1":
		return SHA1, nil
	case "sha256", "sha-256":
		return SHA256, nil
	}
	return "", fmt.Errorf("%w: %q (use sha1 or sha256)", ErrHash, s)
}

// MaxURLLength is the longest URL CloudFront accepts, in bytes.
const MaxURLLength = 8192

// Errors SignURL, SignCookies, NewSigner and ObjectURL wrap, so callers can
// map them with errors.Is. The wrapping error's text says what exactly was wrong.
var (
	ErrNoKeyPairID      = errors.New("missing key pair ID")
	ErrBadKeyPairID     = errors.New("invalid key pair ID")
	ErrKey              = errors.New("unusable private key")
	ErrHash             = errors.New("unknown hash algorithm")
	ErrNoExpiry         = errors.New("missing expiry")
	ErrExpiryPast       = errors.New("expiry is in the past")
	ErrExpiryNotAfter   = errors.New("expiry is not after the start time")
	ErrBadURL           = errors.New("invalid URL")
	ErrScheme           = errors.New("URL scheme must be http or https")
	ErrFragment         = errors.New("URL has a fragment")
	ErrDotSegment       = errors.New("URL path has a dot segment")
	ErrAlreadySigned    = errors.New("URL already carries a CloudFront signing parameter")
	ErrBadIP            = errors.New("invalid IP address or CIDR")
	ErrBadResource      = errors.New("invalid resource pattern")
	ErrResourceMismatch = errors.New("resource pattern does not cover the URL")
	ErrTooLong          = errors.New("signed URL is longer than CloudFront's 8192-byte limit")
	ErrBadDomain        = errors.New("invalid domain")
	ErrOutsideOrigin    = errors.New("key is not under the origin path")
	ErrEmptyKey         = errors.New("empty object key")
)

// PolicyOptions are the conditions a signature grants access under.
type PolicyOptions struct {
	Expires  time.Time // DateLessThan; required
	Starts   time.Time // DateGreaterThan; zero means none
	IP       string    // CIDR, or a bare IP that becomes /32; "" means any
	Resource string    // pattern with * and ?; "" means the URL itself
	// CookieDomain is the Domain attribute of signed cookies, so a site can
	// set them for its CDN's host (example.com for cdn.example.com); ""
	// leaves it out: the cookies then go only to the host that set them.
	CookieDomain string
}

// ErrCookieDomain is the error of a cookie domain that cannot carry the
// cookies to the URL's host.
var ErrCookieDomain = errors.New("invalid cookie domain")

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
	sdk       *sign.URLSigner // SHA-1 URLs go through the SDK
}

// NewSigner returns a Signer for the key pair ID and private key (RSA, or
// ECDSA on P-256). hash "" means SHA1.
func NewSigner(keyPairID string, key crypto.Signer, hash Hash) (*Signer, error) {
	if strings.TrimSpace(keyPairID) == "" {
		return nil, fmt.Errorf("%w: set the CloudFront public key ID (like K2JCJMDEHXQW5F)", ErrNoKeyPairID)
	}
	for _, r := range keyPairID {
		if !isUnreserved(byte(r)) || r > 0x7f {
			return nil, fmt.Errorf("%w %q: it may hold only letters, digits, - . _ ~", ErrBadKeyPairID, keyPairID)
		}
	}
	h, err := ParseHash(string(hash))
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no key given", ErrKey)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k == nil || k.N == nil {
			return nil, fmt.Errorf("%w: empty RSA key", ErrKey)
		}
		if k.Precomputed.Dp == nil {
			k.Precompute()
		}
	case *ecdsa.PrivateKey:
		if k == nil || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA keys must use curve P-256", ErrKey)
		}
	default:
		// Hardware or remote signers: judge them by their public half.
		switch p := key.Public().(type) {
		case *rsa.PublicKey:
		case *ecdsa.PublicKey:
			if p.Curve != elliptic.P256() {
				return nil, fmt.Errorf("%w: ECDSA keys must use curve P-256", ErrKey)
			}
		default:
			return nil, fmt.Errorf("%w: %T keys cannot sign for CloudFront (use RSA or ECDSA P-256)", ErrKey, p)
		}
	}
	return &Signer{keyPairID: keyPairID, key: key, hash: h, sdk: sign.NewURLSigner(keyPairID, key)}, nil
}

// KeyPairID is the key pair ID the signer puts in URLs and cookies.
func (s *Signer) KeyPairID() string { return s.keyPairID }

// Hash is the digest the signer uses.
func (s *Signer) Hash() Hash { return s.hash }

// SignURL returns rawURL signed under opts. now is used to refuse an expiry in the past.
func (s *Signer) SignURL(rawURL string, opts PolicyOptions, now time.Time) (string, error) {
	rawURL, err := checkURL(rawURL, true)
	if err != nil {
		return "", err
	}
	p, err := s.policy(rawURL, opts, now)
	if err != nil {
		return "", err
	}
	var signed string
	if s.hash == SHA1 {
		if opts.Custom() {
			signed, err = s.sdk.SignWithPolicy(rawURL, p)
		} else {
			signed, err = s.sdk.Sign(rawURL, opts.Expires)
		}
		if err != nil {
			return "", fmt.Errorf("sign %s: %w", RedactURL(rawURL), err)
		}
	} else {
		b64Sig, b64Policy, err := s.signPolicy(p)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		b.Grow(len(rawURL) + len(b64Policy) + len(b64Sig) + len(s.keyPairID) + 80)
		b.WriteString(rawURL)
		if strings.Contains(rawURL, "?") {
			b.WriteByte('&')
		} else {
			b.WriteByte('?')
		}
		if opts.Custom() {
			b.WriteString("Policy=")
			b.WriteString(b64Policy)
		} else {
			b.WriteString("Expires=")
			b.WriteString(strconv.FormatInt(opts.Expires.Unix(), 10))
		}
		b.WriteString("&Signature=")
		b.WriteString(b64Sig)
		b.WriteString("&Key-Pair-Id=")
		b.WriteString(s.keyPairID)
		b.WriteString("&Hash-Algorithm=SHA256")
		signed = b.String()
	}
	if len(signed) > MaxURLLength {
		return "", fmt.Errorf("%w: it would be %d bytes; shorten the URL or use signed cookies", ErrTooLong, len(signed))
	}
	return signed, nil
}

// SharedPolicy is one custom-policy signature reused for every URL its
// wildcard resource matches, so signing any number of objects under one
// prefix costs one signature. CloudFront accepts the same Policy, Signature
// and Key-Pair-Id on every URL the policy's resource matches; the trade-off
// is that anyone holding one link can reach every object the pattern covers.
type SharedPolicy struct {
	resource string
	params   string // Policy=...&Signature=...&Key-Pair-Id=...[&Hash-Algorithm=SHA256]
}

// SignShared signs opts once; opts.Resource must be set (e.g.
// https://HOST/prefix/*). Apply then stamps URLs with that signature.
func (s *Signer) SignShared(opts PolicyOptions, now time.Time) (*SharedPolicy, error) {
	if opts.Resource == "" {
		return nil, fmt.Errorf("%w: a shared policy needs a resource pattern such as https://HOST/prefix/*", ErrBadResource)
	}
	p, err := s.policy("", opts, now)
	if err != nil {
		return nil, err
	}
	b64Sig, b64Policy, err := s.signPolicy(p)
	if err != nil {
		return nil, err
	}
	params := "Policy=" + b64Policy + "&Signature=" + b64Sig + "&Key-Pair-Id=" + s.keyPairID
	if s.hash == SHA256 {
		params += "&Hash-Algorithm=SHA256"
	}
	return &SharedPolicy{resource: opts.Resource, params: params}, nil
}

// Apply returns rawURL carrying the shared signature. A URL the policy's
// resource does not match is refused: CloudFront would deny it.
func (sp *SharedPolicy) Apply(rawURL string) (string, error) {
	rawURL, err := checkURL(rawURL, true)
	if err != nil {
		return "", err
	}
	if !matchResource(sp.resource, rawURL) {
		return "", fmt.Errorf("%w: %q does not match %q", ErrResourceMismatch, sp.resource, rawURL)
	}
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	signed := rawURL + sep + sp.params
	if len(signed) > MaxURLLength {
		return "", fmt.Errorf("%w: it would be %d bytes; shorten the URL or use signed cookies", ErrTooLong, len(signed))
	}
	return signed, nil
}

// SignCookies returns the CloudFront-* cookies granting access to rawURL (or
// opts.Resource) under opts.
func (s *Signer) SignCookies(rawURL string, opts PolicyOptions, now time.Time) ([]*http.Cookie, error) {
	secure := true
	if rawURL != "" {
		var err error
		if rawURL, err = checkURL(rawURL, false); err != nil {
			return nil, err
		}
		secure = strings.HasPrefix(strings.ToLower(rawURL), "https:")
	} else if opts.Resource == "" {
		return nil, fmt.Errorf("%w: cookies need a URL or a resource pattern", ErrBadURL)
	}
	if opts.Resource == "" && rawURL != "" && strings.Contains(rawURL, "*") {
		// A wildcard in the URL asks for the objects it matches: a canned
		// policy would name the literal "*", which opens nothing.
		opts.Resource = rawURL
	}
	domain, err := cookieDomain(opts.CookieDomain, rawURL, opts.Resource)
	if err != nil {
		return nil, err
	}
	p, err := s.policy(rawURL, opts, now)
	if err != nil {
		return nil, err
	}
	b64Sig, b64Policy, err := s.signPolicy(p)
	if err != nil {
		return nil, err
	}
	mk := func(name, value string) *http.Cookie {
		return &http.Cookie{Name: cookiePrefix + name, Value: value, Path: "/", Domain: domain,
			Expires: opts.Expires.UTC(), Secure: secure, HttpOnly: true}
	}
	var cookies []*http.Cookie
	if opts.Custom() || rawURL == "" {
		cookies = append(cookies, mk(paramPolicy, b64Policy))
	} else {
		cookies = append(cookies, mk(paramExpires, strconv.FormatInt(opts.Expires.Unix(), 10)))
	}
	cookies = append(cookies, mk(paramSignature, b64Sig), mk(paramKeyPairID, s.keyPairID))
	if s.hash == SHA256 {
		cookies = append(cookies, mk(paramHashAlg, "SHA256"))
	}
	return cookies, nil
}

// policy builds and checks the policy for rawURL under opts.
func (s *Signer) policy(rawURL string, opts PolicyOptions, now time.Time) (*sign.Policy, error) {
	if opts.Expires.IsZero() {
		return nil, fmt.Errorf("%w: a signature needs an expiry time", ErrNoExpiry)
	}
	if !opts.Expires.After(now) {
		return nil, fmt.Errorf("%w: %s is not after now (%s)", ErrExpiryPast,
			opts.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !opts.Starts.IsZero() && opts.Expires.Unix() <= opts.Starts.Unix() {
		return nil, fmt.Errorf("%w: expiry %s, start %s", ErrExpiryNotAfter,
			opts.Expires.UTC().Format(time.RFC3339), opts.Starts.UTC().Format(time.RFC3339))
	}
	if !opts.Custom() {
		return sign.NewCannedPolicy(rawURL, opts.Expires), nil
	}
	resource := rawURL
	if opts.Resource != "" {
		resource = opts.Resource
		if err := checkResource(resource); err != nil {
			return nil, err
		}
		if rawURL != "" && !matchResource(resource, rawURL) {
			return nil, fmt.Errorf("%w: %q does not match %q", ErrResourceMismatch, resource, rawURL)
		}
	}
	c := sign.Condition{DateLessThan: sign.NewAWSEpochTime(opts.Expires)}
	if !opts.Starts.IsZero() {
		c.DateGreaterThan = sign.NewAWSEpochTime(opts.Starts)
	}
	if opts.IP != "" {
		pfx, err := parseCIDR(strings.TrimSpace(opts.IP))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadIP, err)
		}
		c.IPAddress = &sign.IPAddress{SourceIP: pfx.String()}
	}
	return &sign.Policy{Statements: []sign.Statement{{Resource: resource, Condition: c}}}, nil
}

// signPolicy returns the CloudFront-base64 signature and policy.
func (s *Signer) signPolicy(p *sign.Policy) (b64Sig, b64Policy string, err error) {
	if s.hash == SHA1 {
		sig, pol, err := p.Sign(s.key)
		if err != nil {
			return "", "", fmt.Errorf("sign policy: %w", err)
		}
		return string(sig), string(pol), nil
	}
	js, err := encodePolicy(p)
	if err != nil {
		return "", "", err
	}
	// A signer that signs messages itself (a KMS key, which can sign the
	// policy as it is) gets the policy; any other gets its SHA-256 digest.
	var sig []byte
	if _, ok := s.key.(crypto.MessageSigner); ok {
		sig, err = crypto.SignMessage(s.key, rand.Reader, js, crypto.SHA256)
	} else {
		d, h := policyDigest(SHA256, js)
		sig, err = s.key.Sign(rand.Reader, d, h)
	}
	if err != nil {
		return "", "", fmt.Errorf("sign policy: %w", err)
	}
	return encodeBase64(sig), encodeBase64(js), nil
}

// checkURL refuses URLs CloudFront cannot serve signed, or that were signed
// already. forURL adds the refusals that only matter in a URL's query.
func checkURL(rawURL string, forURL bool) (string, error) {
	if rawURL == "" {
		return "", fmt.Errorf("%w: empty URL", ErrBadURL)
	}
	if strings.Contains(rawURL, "#") {
		return "", fmt.Errorf("%w: %q (browsers never send the part after #; remove it)", ErrFragment, rawURL)
	}
	for i := 0; i < len(rawURL); i++ {
		if c := rawURL[i]; c <= ' ' || c >= 0x7f {
			return "", fmt.Errorf("%w: %q holds a space, control or non-ASCII byte; percent-encode it", ErrBadURL, rawURL)
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" {
		return "", fmt.Errorf("%w: %q", ErrScheme, rawURL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%w: %q has no host", ErrBadURL, rawURL)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: %q carries user info", ErrBadURL, rawURL)
	}
	if seg, ok := dotSegment(u); ok {
		return "", fmt.Errorf("%w: %q has a %q path segment; clients remove it before they send the request, so the signature would not match: sign the path without it", ErrDotSegment, rawURL, seg)
	}
	if u.Path == "" && u.RawPath == "" {
		// Clients request "/" for a URL with no path: sign that.
		i := strings.Index(rawURL, "://") + 3 + len(u.Host)
		rawURL = rawURL[:i] + "/" + rawURL[i:]
	}
	if forURL {
		for _, seg := range strings.Split(u.RawQuery, "&") {
			name, _, _ := strings.Cut(seg, "=")
			if un, err := url.QueryUnescape(name); err == nil {
				name = un
			}
			if isSigningParam(name) {
				return "", fmt.Errorf("%w: %s; sign the unsigned URL", ErrAlreadySigned, name)
			}
		}
	}
	return rawURL, nil
}

// checkResource refuses patterns CloudFront would not accept.
func checkResource(r string) error {
	for i := 0; i < len(r); i++ {
		if c := r[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return fmt.Errorf("%w: %q holds a space, #, control or non-ASCII byte", ErrBadResource, r)
		}
	}
	if !strings.Contains(r, "://") && !strings.HasPrefix(r, "*") {
		return fmt.Errorf("%w: %q needs a scheme (https://, http:// or http*://)", ErrBadResource, r)
	}
	return nil
}

// dotSegment finds a "." or ".." path segment, literal or percent-encoded,
// which clients resolve before sending (RFC 3986 section 5.2.4).
func dotSegment(u *url.URL) (string, bool) {
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if d, err := url.PathUnescape(seg); err == nil && (d == "." || d == "..") {
			return seg, true
		}
	}
	return "", false
}

// CheckKeyPairID says what is wrong with a CloudFront key pair ID, or nil:
// public key IDs (K2JCJMDEHXQW5F) and the older account key pair IDs
// (APKA...) are 10 to 64 capital letters and digits.
func CheckKeyPairID(id string) error {
	if id == "" {
		return ErrNoKeyPairID
	}
	ok := len(id) >= 10 && len(id) <= 64
	for _, c := range id {
		ok = ok && (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	}
	if !ok {
		return fmt.Errorf("%w: a key pair ID is 10 or more capital letters and digits, like K2JCJMDEHXQW5F", ErrBadKeyPairID)
	}
	return nil
}

// cookieDomain checks a signed cookie's Domain attribute: a host name
// (a leading dot is dropped, as browsers do) that covers the host the
// cookies are for, or browsers would never send them there.
func cookieDomain(domain, rawURL, resource string) (string, error) {
	d := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(domain), "."))
	if d == "" {
		return "", nil
	}
	if strings.ContainsAny(d, "/:?#@ *") || !strings.Contains(d, ".") {
		return "", fmt.Errorf("%w %q: give a host name such as example.com", ErrCookieDomain, domain)
	}
	target := rawURL
	if target == "" {
		target = resource
	}
	if u, err := url.Parse(strings.ReplaceAll(target, "*", "x")); err == nil && u.Hostname() != "" {
		host := strings.ToLower(u.Hostname())
		if host != d && !strings.HasSuffix(host, "."+d) {
			return "", fmt.Errorf("%w %q: the cookies are for %s, which is not %s or under it, so browsers would never send them there", ErrCookieDomain, domain, host, d)
		}
	}
	return d, nil
}
