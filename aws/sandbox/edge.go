package sandbox

// The sandbox edge: a local stand-in for a CloudFront distribution whose one
// cache behaviour restricts viewer access to a trusted key group.
//
// Choices where CloudFront's behaviour depends on configuration:
//   - Only GET and HEAD are allowed (the behaviour's AllowedMethods). Other
//     methods get 403, as from CloudFront, with its message that the
//     distribution does not allow the method.
//   - Range: one range is served (206); a range that starts past the end is
//     S3's 416 InvalidRange, passed on as CloudFront does. Several ranges in
//     ascending order without overlap are served as multipart/byteranges;
//     any other list is answered with the whole object (200), as CloudFront
//     documents.
//   - A missing object after a valid signature is 404 with a NoSuchKey XML
//     error, as CloudFront passes on from an S3 origin whose policy allows
//     s3:ListBucket (without it S3 would say 403 AccessDenied).
//   - A path with a "." or ".." segment (also percent-encoded, or split by
//     backslashes) is refused with 400 before anything else: keys are only
//     ever looked up in the bucket, but such paths mean a confused or hostile
//     client.
//   - There is no default root object: "/" is 404 after the signature check.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cfsign/cfsign/aws/signedurl"
)

// Object is one object an edge serves.
type Object struct {
	Size         int64
	ETag         string // quoted, as S3 sends it
	ContentType  string
	LastModified time.Time
	Header       http.Header   // other headers an S3 origin would send (x-amz-meta-*, Cache-Control, ...)
	Body         io.ReadSeeker // the whole object; ranges are served by seeking
	Close        func() error  // releases Body; may be nil
}

// ErrNoSuchObject is returned (wrapped) by an ObjectSource for a key it does not hold.
var ErrNoSuchObject = errors.New("no such object")

// ObjectSource is the bucket behind an edge.
type ObjectSource interface {
	// Open returns the object stored under key, or an error wrapping ErrNoSuchObject.
	Open(ctx context.Context, key string) (*Object, error)
}

// Edge is an http.Handler that serves objects of one bucket only to viewers
// holding a CloudFront signed URL or signed cookies made with a trusted key.
type Edge struct {
	src  ObjectSource
	keys signedurl.PublicKeys
	// trusted, when set, replaces keys: the trusted key groups' keys as the
	// sandbox's CloudFront API has them at the moment of each request.
	trusted func() signedurl.PublicKeys
	now     func() time.Time

	logMu sync.Mutex
	log   io.Writer
}

// NewEdge returns an edge serving src to viewers signed by one of keys; each
// refusal is logged as one line to log (nil discards), signatures redacted.
func NewEdge(src ObjectSource, keys signedurl.PublicKeys, log io.Writer) *Edge {
	if log == nil {
		log = io.Discard
	}
	return &Edge{src: src, keys: keys, now: time.Now, log: log}
}

// maxHeaderBytes bounds request headers; larger ones get 431.
const maxHeaderBytes = 16 << 10

// newEdgeServer wraps h in an http.Server with the limits the edge needs.
func newEdgeServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// ServeHTTP checks the request the way CloudFront does and serves the object.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID(w)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		e.refuse(w, r, http.StatusForbidden, "MethodNotAllowed",
			"This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.",
			"method", r.Method+" is not allowed: the behaviour allows GET and HEAD")
		return
	}
	if seg, bad := dotSegment(r); bad {
		e.refuse(w, r, http.StatusBadRequest, "InvalidURI",
			"Couldn't parse the specified URI.", "path", fmt.Sprintf("path has a %q segment; keys are never resolved outside the bucket", seg))
		return
	}

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// The request target exactly as the viewer sent it: the signature covers
	// the URL as signed, not a re-encoding of it.
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		target = r.URL.RequestURI() // absolute-form target ("GET http://host/path")
	}
	req := signedurl.VerifyRequest{
		URL:     scheme + "://" + r.Host + target,
		Cookies: map[string]string{},
		At:      e.now(),
	}
	for _, c := range r.Cookies() {
		if _, seen := req.Cookies[c.Name]; !seen {
			req.Cookies[c.Name] = c.Value
		}
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		req.ClientIP = ap.Addr().Unmap()
	}
	keys := e.keys
	if e.trusted != nil {
		keys = e.trusted()
	}
	v := signedurl.Verify(req, keys)
	if !v.OK {
		code, msg := v.Code, v.Message
		if code == "" {
			code, msg = "AccessDenied", "Access denied"
		}
		e.refuse(w, r, http.StatusForbidden, code, msg, v.Check, v.Detail)
		return
	}

	key := strings.TrimPrefix(r.URL.Path, "/")
	if key == "" {
		e.refuse(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "object", "no key in the path and no default root object")
		return
	}
	obj, err := e.src.Open(r.Context(), key)
	if errors.Is(err, ErrNoSuchObject) {
		e.refuse(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "object", fmt.Sprintf("no object %q in the bucket", key))
		return
	}
	if err != nil {
		e.refuse(w, r, http.StatusBadGateway, "InternalError", "The origin could not be reached.", "origin", err.Error())
		return
	}
	if obj.Close != nil {
		defer obj.Close()
	}

	h := w.Header()
	for k, vs := range obj.Header {
		h[k] = vs
	}
	ct := obj.ContentType
	if ct == "" {
		ct = "binary/octet-stream" // S3's default for objects stored without one
	}
	h.Set("Content-Type", ct)
	if obj.ETag != "" {
		h.Set("ETag", obj.ETag)
	}
	h.Set("X-Cache", "Miss from cfsign-sandbox")
	switch ranges, ok := parseRanges(r.Header.Get("Range")); {
	case !ok || !ascending(ranges, obj.Size):
		r.Header.Del("Range") // the whole object, 200
	case len(ranges) == 1 && !ranges[0].satisfiable(obj.Size):
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", obj.Size))
		s3Refuse(w, r, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
		return
	}
	// ServeContent answers Range (206, 416 with Content-Range: bytes */size),
	// If-Range, If-None-Match, If-Modified-Since and HEAD.
	http.ServeContent(w, r, "", obj.LastModified, obj.Body)
}

// refuseHost answers the guard's refusals in CloudFront's format.
func (e *Edge) refuseHost(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	e.refuse(w, r, status, code, msg, "request", msg)
}

// byteRange is one range of a Range header: start-end, start- (end -1), or
// -suffix (start -1).
type byteRange struct{ start, end int64 }

// parseRanges reads "bytes=a-b,c-,-d"; ok is false for a header that is
// absent or not a valid byte-range list.
func parseRanges(h string) ([]byteRange, bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found {
		return nil, false
	}
	var out []byteRange
	for _, part := range strings.Split(spec, ",") {
		a, b, dash := strings.Cut(strings.TrimSpace(part), "-")
		if !dash || (a == "" && b == "") {
			return nil, false
		}
		r := byteRange{start: -1, end: -1}
		var err error
		if a != "" {
			if r.start, err = strconv.ParseInt(a, 10, 64); err != nil || r.start < 0 {
				return nil, false
			}
		}
		if b != "" {
			if r.end, err = strconv.ParseInt(b, 10, 64); err != nil || r.end < 0 || (a != "" && r.end < r.start) {
				return nil, false
			}
		}
		out = append(out, r)
	}
	return out, true
}

// bounds is r's first and last byte in an object of size (last < first when empty).
func (r byteRange) bounds(size int64) (first, last int64) {
	switch {
	case r.start < 0: // suffix
		return max(size-r.end, 0), size - 1
	case r.end < 0 || r.end >= size:
		return r.start, size - 1
	}
	return r.start, r.end
}

func (r byteRange) satisfiable(size int64) bool {
	if r.start < 0 {
		return r.end > 0 && size > 0
	}
	return r.start < size
}

// ascending reports whether a list of ranges is one CloudFront answers
// range by range: each satisfiable, in ascending order, none overlapping.
// A single range always is (its satisfiability is checked apart).
func ascending(rs []byteRange, size int64) bool {
	if len(rs) == 1 {
		return true
	}
	prev := int64(-1)
	for _, r := range rs {
		if !r.satisfiable(size) {
			return false
		}
		first, last := r.bounds(size)
		if first <= prev {
			return false
		}
		prev = last
	}
	return true
}

// dotSegment reports a "." or ".." path segment, whether it came literally,
// percent-encoded or separated by backslashes.
func dotSegment(r *http.Request) (string, bool) {
	paths := []string{r.URL.Path}
	if raw, err := url.PathUnescape(r.URL.EscapedPath()); err == nil {
		paths = append(paths, raw)
	}
	for _, p := range paths {
		for _, seg := range strings.FieldsFunc(p, func(c rune) bool { return c == '/' || c == '\\' }) {
			if seg == "." || seg == ".." {
				return seg, true
			}
		}
	}
	return "", false
}

// refuse answers with CloudFront's XML error body and logs which check failed.
func (e *Edge) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg, check, detail string) {
	id := requestID(w)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Cache", "Error from cfsign-sandbox")
	h.Set("Cache-Control", "no-store")
	var body strings.Builder
	body.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>`)
	xml.EscapeText(&body, []byte(code))
	body.WriteString(`</Code><Message>`)
	xml.EscapeText(&body, []byte(msg))
	body.WriteString(`</Message></Error>`)
	h.Set("Content-Length", fmt.Sprint(body.Len()))
	// Logged first: whoever got the answer can find its line at once.
	e.logf("edge: %d %s %s %q from %s: check %s failed: %s (%s %s)", status, code, r.Method,
		signedurl.RedactURL(r.URL.RequestURI()), r.RemoteAddr, check, redact(r, detail), signedurl.RequestIDHeader, id)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, body.String())
	}
}

// requestID gives the answer on w its ID, once, and returns it: 56
// characters of URL-safe base64, as CloudFront's look.
func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get(signedurl.RequestIDHeader); id != "" {
		return id
	}
	b := make([]byte, 40)
	rand.Read(b)
	id := base64.URLEncoding.EncodeToString(b)
	w.Header().Set(signedurl.RequestIDHeader, id)
	return id
}

func (e *Edge) logf(format string, args ...any) {
	line := e.now().UTC().Format(time.RFC3339) + " " + fmt.Sprintf(format, args...)
	e.logMu.Lock()
	defer e.logMu.Unlock()
	io.WriteString(e.log, line+"\n")
}

// redact removes any signature the request carries from s (a Verify
// detail could quote one) and makes it safe to print.
func redact(r *http.Request, s string) string {
	var secrets []string
	for name, vs := range r.URL.Query() {
		if strings.EqualFold(name, "Signature") {
			secrets = append(secrets, vs...)
		}
	}
	for _, c := range r.Cookies() {
		if strings.EqualFold(c.Name, "CloudFront-Signature") {
			secrets = append(secrets, c.Value)
		}
	}
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return sanitize(s)
}

// sanitize escapes control characters and invalid UTF-8, so that text
// taken from a request (a policy's Resource, say) cannot break the log into
// lines or drive the terminal it is shown on.
func sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
