package signedurl

import (
	"fmt"
	"net/url"
	"strings"
)

// ObjectURL is the CloudFront URL of an S3 object key: "https://DOMAIN/" and
// the key percent-encoded by RFC 3986 path rules, after removing originPath.
// Every byte outside the unreserved set (A-Z a-z 0-9 - . _ ~) and "/" becomes
// %XX, so a space is %20 and "+" is %2B (S3 reads a raw "+" as a space).
// domain may carry an http:// or https:// scheme, which is kept; a bare host
// gets https://. A key with a "." or ".." segment is refused (ErrDotSegment):
// clients resolve such segments away, so no URL reaches that object.
func ObjectURL(domain, originPath, key string) (string, error) {
	base, err := domainBase(domain)
	if err != nil {
		return "", err
	}
	if key == "" {
		return "", fmt.Errorf("%w: name the object to link to", ErrEmptyKey)
	}
	if op := strings.Trim(originPath, "/"); op != "" {
		rest, ok := strings.CutPrefix(key, op+"/")
		if !ok || rest == "" {
			return "", fmt.Errorf("%w: key %q is not under origin path %q", ErrOutsideOrigin, key, "/"+op)
		}
		key = rest
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: key %q has a %q path segment; clients remove it from a URL before they send it, so no CloudFront URL can name this object", ErrDotSegment, key, seg)
		}
	}
	var b strings.Builder
	b.Grow(len(base) + 1 + len(key)*3)
	b.WriteString(base)
	b.WriteByte('/')
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '/' || isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String(), nil
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// domainBase turns "d111.cloudfront.net" into "https://d111.cloudfront.net"
// and keeps an explicit http(s) scheme ("http://127.0.0.1:8080").
func domainBase(domain string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s (want a host like d111111abcdef8.cloudfront.net)", ErrBadDomain, domain, why)
	}
	if domain == "" {
		return "", bad("empty")
	}
	for i := 0; i < len(domain); i++ {
		if c := domain[i]; c <= ' ' || c >= 0x7f {
			return "", bad("holds a space, control or non-ASCII byte")
		}
	}
	scheme, host := "https", domain
	if s, h, ok := strings.Cut(domain, "://"); ok {
		scheme, host = strings.ToLower(s), h
		if scheme != "http" && scheme != "https" {
			return "", bad("scheme must be http or https")
		}
	}
	host = strings.TrimSuffix(host, "/")
	if host == "" {
		return "", bad("no host")
	}
	if strings.ContainsAny(host, "/?#@\\") {
		return "", bad("has a path, query or user info; give the host only")
	}
	u, err := url.Parse(scheme + "://" + host)
	if err != nil || u.Host != host {
		return "", bad("not a valid host")
	}
	return scheme + "://" + host, nil
}
