package signedurl

import (
	"net/url"
	"strings"
)

// bearerParams are the query parameters that make a URL a bearer token:
// CloudFront's signature and policy, S3 presigning's signature and session
// token. Their values are never worth showing in an error or a log.
var bearerParams = []string{"Signature", "Policy", "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Credential"}

// RedactURL returns rawURL with the values of its signing parameters
// replaced by REDACTED, for errors and logs that name a signed URL: what
// is left (host, path, Expires, Key-Pair-Id) is enough to tell which link
// it was. A URL that does not parse loses its whole query.
func RedactURL(rawURL string) string {
	base, query, ok := strings.Cut(rawURL, "?")
	if !ok {
		return rawURL
	}
	if _, err := url.Parse(rawURL); err != nil {
		return base + "?REDACTED"
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		for _, b := range bearerParams {
			if strings.EqualFold(name, b) {
				parts[i] = name + "=REDACTED"
			}
		}
	}
	return base + "?" + strings.Join(parts, "&")
}
