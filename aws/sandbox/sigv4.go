package sandbox

// Checking AWS Signature Version 4 on requests to the sandbox's S3 server and
// CloudFront API, the way AWS does: the client's canonical request is rebuilt
// from what arrived, signed again with the sandbox's secret, and compared.
// Header-signed requests, presigned URLs (query-signed) and the payload
// forms clients send (a hex SHA-256, UNSIGNED-PAYLOAD, and the aws-chunked
// streaming forms, whose seed signature is checked) are understood.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
)

const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	// maxSkew is how far a header-signed request's X-Amz-Date may be from
	// the server's clock, as in S3.
	maxSkew = 15 * time.Minute
	// maxPresign is the longest X-Amz-Expires S3 accepts (7 days).
	maxPresign = 7 * 24 * time.Hour
	// maxSignedBody bounds a body read to hash it (CloudFront API requests,
	// which carry no x-amz-content-sha256); S3 bodies are checked as they
	// stream (payload.go).
	maxSignedBody = 1 << 20
)

// authError is a refused request: the HTTP status and S3's error code and
// message (CloudFront's API uses the same codes for these cases).
type authError struct {
	status        int
	code, message string
}

func (e *authError) Error() string { return e.code + ": " + e.message }

func denied(code, format string, args ...any) *authError {
	status := http.StatusForbidden
	if code == "AuthorizationHeaderMalformed" || code == "AuthorizationQueryParametersError" || code == "InvalidRequest" {
		status = http.StatusBadRequest
	}
	return &authError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// account is the one key pair a sandbox server accepts, for one service.
type account struct {
	accessKeyID, secret string
	service             string // "s3" or "cloudfront"
}

// signed is what a request says about its own signature.
type signed struct {
	accessKeyID   string
	date          string // YYYYMMDD from the scope
	region        string
	service       string
	signedHeaders []string
	signature     string
	amzDate       time.Time
	payloadHash   string
	presigned     bool
	expires       time.Duration
}

// verify checks r's signature. It replaces r.Body: with the body read
// whole, when it has to hash it first (CloudFront's API), else with a reader
// that checks the body against the signature as it streams (see
// checkPayload); the caller passes r on afterwards.
func (c account) verify(r *http.Request, now time.Time) *authError {
	var s signed
	var aerr *authError
	q := r.URL.Query()
	switch auth := r.Header.Get("Authorization"); {
	case strings.HasPrefix(auth, "AWS "):
		akid, sig, _ := strings.Cut(strings.TrimPrefix(auth, "AWS "), ":")
		return c.verifyV2(r, akid, sig, "", now)
	case auth != "":
		s, aerr = fromHeader(r)
	case q.Get("X-Amz-Signature") != "" || q.Get("X-Amz-Algorithm") != "":
		s, aerr = fromQuery(q)
	case q.Get("Signature") != "" || q.Get("AWSAccessKeyId") != "":
		return c.verifyV2(r, q.Get("AWSAccessKeyId"), q.Get("Signature"), q.Get("Expires"), now)
	default:
		return denied("AccessDenied", "Access Denied (the request is not signed: sign it with AWS Signature Version 4 and the sandbox's credentials)")
	}
	if aerr != nil {
		return aerr
	}
	if s.accessKeyID != c.accessKeyID {
		return denied("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	if s.service != c.service {
		return denied("AuthorizationHeaderMalformed", "The authorization header is malformed; the credential scope names service %q, expected %q.", s.service, c.service)
	}
	if s.amzDate.Format("20060102") != s.date {
		return denied("AuthorizationHeaderMalformed", "The authorization header is malformed; the date in the credential scope does not match X-Amz-Date.")
	}
	if !slices.Contains(s.signedHeaders, "host") {
		return denied("AccessDenied", "Access Denied (the Host header is not signed)")
	}
	if s.presigned {
		if s.amzDate.Sub(now) > maxSkew {
			return denied("AccessDenied", "Request is not valid yet")
		}
		if now.After(s.amzDate.Add(s.expires)) {
			return denied("AccessDenied", "Request has expired")
		}
	} else if d := now.Sub(s.amzDate); d > maxSkew || d < -maxSkew {
		return denied("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	}

	if !s.presigned && s.payloadHash == "" && c.service == "s3" {
		return denied("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	}
	hashed := s.payloadHash == "" // the body is hashed here, not as it streams
	if !s.presigned && s.payloadHash == "" {
		// No x-amz-content-sha256 (CloudFront's API): the body is hashed.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxSignedBody+1))
		if err != nil {
			return denied("IncompleteBody", "could not read the request body: %v", err)
		}
		if len(body) > maxSignedBody {
			return &authError{status: http.StatusRequestEntityTooLarge, code: "EntityTooLarge", message: "request body too large"}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		s.payloadHash = hex.EncodeToString(sum[:])
	}

	creq := canonicalRequest(r, s)
	scope := s.date + "/" + s.region + "/" + s.service + "/aws4_request"
	hash := sha256.Sum256([]byte(creq))
	toSign := sigAlgorithm + "\n" + s.amzDate.Format(amzDateFormat) + "\n" + scope + "\n" + hex.EncodeToString(hash[:])
	key := signingKey(c.secret, s.date, s.region, s.service)
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(s.signature))) {
		return denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	if hashed {
		return nil
	}
	return checkPayload(r, &s, key)
}

// signingKey is SigV4's key for date (YYYYMMDD), region and service.
func signingKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// fromHeader reads "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=HEX".
func fromHeader(r *http.Request) (signed, *authError) {
	var s signed
	auth := r.Header.Get("Authorization")
	alg, rest, _ := strings.Cut(auth, " ")
	if alg != sigAlgorithm {
		return s, denied("AuthorizationHeaderMalformed", "The authorization header is malformed; the algorithm must be %s.", sigAlgorithm)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[k] = v
		}
	}
	if aerr := s.setCredential(fields["Credential"]); aerr != nil {
		return s, aerr
	}
	s.signedHeaders = splitSignedHeaders(fields["SignedHeaders"])
	s.signature = fields["Signature"]
	if len(s.signedHeaders) == 0 || s.signature == "" {
		return s, denied("AuthorizationHeaderMalformed", "The authorization header is malformed; SignedHeaders and Signature are required.")
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		return s, denied("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	t, err := time.Parse(amzDateFormat, date)
	if err != nil {
		return s, denied("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	s.amzDate = t
	s.payloadHash = r.Header.Get("X-Amz-Content-Sha256")
	return s, nil
}

// fromQuery reads a presigned URL's X-Amz-* parameters.
func fromQuery(q url.Values) (signed, *authError) {
	s := signed{presigned: true, payloadHash: "UNSIGNED-PAYLOAD"}
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return s, denied("AuthorizationQueryParametersError", "X-Amz-Algorithm only supports %q", sigAlgorithm)
	}
	if aerr := s.setCredential(q.Get("X-Amz-Credential")); aerr != nil {
		return s, aerr
	}
	s.signedHeaders = splitSignedHeaders(q.Get("X-Amz-SignedHeaders"))
	s.signature = q.Get("X-Amz-Signature")
	t, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return s, denied("AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	s.amzDate = t
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil {
		return s, denied("AuthorizationQueryParametersError", "X-Amz-Expires should be a number")
	}
	if secs < 0 {
		// A URL made to expire before it was signed: S3 says expired.
		return s, denied("AccessDenied", "Request has expired")
	}
	if time.Duration(secs)*time.Second > maxPresign {
		return s, denied("AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is; 604800")
	}
	s.expires = time.Duration(secs) * time.Second
	if len(s.signedHeaders) == 0 || s.signature == "" {
		return s, denied("AuthorizationQueryParametersError", "X-Amz-SignedHeaders and X-Amz-Signature are required")
	}
	return s, nil
}

func (s *signed) setCredential(cred string) *authError {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return denied("AuthorizationHeaderMalformed", "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	s.accessKeyID, s.date, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

func splitSignedHeaders(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(strings.ToLower(v), ";")
}

// canonicalRequest is SigV4's canonical form of r as the client signed it.
func canonicalRequest(r *http.Request, s signed) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r, s.service))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, s.presigned))
	b.WriteByte('\n')
	for _, h := range s.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(s.payloadHash)
	return b.String()
}

// canonicalURI is the path as SigV4 signs it, with no normalisation of dot
// segments or repeated slashes: for S3 the path encoded once; for every
// other service the path as sent (already encoded) encoded again.
func canonicalURI(r *http.Request, service string) string {
	p := r.URL.Path
	if service != "s3" {
		p = r.URL.EscapedPath()
	}
	if p == "" {
		return "/"
	}
	return sigEscape(p, false)
}

// canonicalQuery sorts the parameters by name, then value, each encoded with
// SigV4's rules; a presigned URL's own X-Amz-Signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{sigEscape(k, true), sigEscape(v, true)})
	}
	slices.SortFunc(pairs, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// unescapeQuery decodes %XX; a "+" stays a "+" (SigV4 clients send a space
// as %20), and a malformed escape is kept as it came.
func unescapeQuery(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// sigEscape percent-encodes every byte outside A-Z a-z 0-9 - . _ ~ (and "/"
// unless encodeSlash), upper-case hex, as SigV4 requires.
func sigEscape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// headerValue is a signed header's canonical value: every value it arrived
// with, trimmed, inner runs of spaces folded, joined by commas.
func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			vals = slices.Clone(v)
		} else {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = []string{strings.Join(r.TransferEncoding, ",")}
	default:
		vals = slices.Clone(r.Header.Values(name)) // folded below: never edit the request's own
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// verifyPost checks a browser form upload's signature of its policy:
// SigV4 (x-amz-signature, a hex HMAC with the signing key of the
// credential's scope) or SigV2 (signature, a base64 HMAC-SHA1 with the
// secret). The S3 server checks the policy itself; a form with no
// signature fields is anonymous, which the sandbox refuses.
func (c account) verifyPost(form s3server.PostForm) *s3server.Error {
	refuse := func(status int, code, format string, args ...any) *s3server.Error {
		return &s3server.Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	policy, hasPolicy := form["policy"]
	switch {
	case form["x-amz-credential"] != "" || form["x-amz-signature"] != "" || form["x-amz-algorithm"] != "":
		if form["x-amz-algorithm"] != sigAlgorithm {
			return refuse(http.StatusBadRequest, "InvalidArgument", "The x-amz-algorithm field must be %s.", sigAlgorithm)
		}
		var s signed
		if aerr := s.setCredential(form["x-amz-credential"]); aerr != nil {
			return refuse(http.StatusBadRequest, "InvalidArgument", "%s", aerr.message)
		}
		if s.accessKeyID != c.accessKeyID {
			return refuse(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		}
		if !hasPolicy || form["x-amz-signature"] == "" || form["x-amz-date"] == "" {
			return refuse(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain the fields policy, x-amz-date and x-amz-signature.")
		}
		want := hex.EncodeToString(hmacSHA256(signingKey(c.secret, s.date, s.region, s.service), policy))
		if !hmac.Equal([]byte(want), []byte(strings.ToLower(form["x-amz-signature"]))) {
			return refuse(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		}
	case form["awsaccesskeyid"] != "":
		if form["awsaccesskeyid"] != c.accessKeyID {
			return refuse(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		}
		if !hasPolicy {
			return refuse(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a field named 'policy'.")
		}
		if form["signature"] == "" {
			return refuse(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a field named 'Signature'.")
		}
		if !hmac.Equal([]byte(v2Sign(c.secret, policy)), []byte(form["signature"])) {
			return refuse(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		}
	default:
		return refuse(http.StatusForbidden, "AccessDenied", "Access Denied (the sandbox refuses anonymous requests: sign the form's policy with its credentials)")
	}
	return nil
}
