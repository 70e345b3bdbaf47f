package s3server

// Objects: PUT, GET, HEAD, DELETE, CopyObject and GetObjectAttributes.

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// storedHeaders are the request headers S3 keeps with an object and sends
// back with it.
var storedHeaders = []string{"Content-Type", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"}

// defaultContentType is what S3 says of an object stored without one.
const defaultContentType = "binary/octet-stream"

// maxUserMeta is S3's limit on the user metadata of an object, in bytes of
// names and values.
const maxUserMeta = 2 << 10

// objectMeta is the headers and user metadata of an object uploaded by r:
// stored headers as sent, aws-chunked taken out of Content-Encoding (it
// describes the request, not the object), user metadata under lower-case
// names.
func objectMeta(r *http.Request) (map[string]string, *Error) {
	meta := map[string]string{}
	for _, h := range storedHeaders {
		if v := r.Header.Get(h); v != "" {
			meta[h] = v
		}
	}
	if ce, ok := meta["Content-Encoding"]; ok {
		var keep []string
		for _, c := range strings.Split(ce, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			delete(meta, "Content-Encoding")
		} else {
			meta["Content-Encoding"] = strings.Join(keep, ", ")
		}
	}
	if meta["Content-Type"] == "" {
		meta["Content-Type"] = defaultContentType
	}
	size := 0
	for name, vals := range r.Header {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-meta-") {
			continue
		}
		v := strings.Join(vals, ",")
		// A value sent RFC 2047-encoded (as S3 sends non-ASCII ones back)
		// is kept decoded, as S3 keeps it.
		if dec, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
			v = dec
		}
		meta[lower] = v
		size += len(lower) - len("x-amz-meta-") + len(v)
	}
	if size > maxUserMeta {
		return nil, newError(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.").
			with("Size", strconv.Itoa(size)).with("MaxSizeAllowed", strconv.Itoa(maxUserMeta))
	}
	return meta, nil
}

// normalizeMeta reads metadata kept by any version of the store: user
// metadata under lower-case names, stored headers by canonical name,
// anything else (request headers an older version kept) dropped.
func normalizeMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		lower := strings.ToLower(k)
		if strings.HasPrefix(lower, "x-amz-meta-") {
			out[lower] = v
			continue
		}
		ck := http.CanonicalHeaderKey(k)
		for _, h := range storedHeaders {
			if ck == h {
				out[h] = v
			}
		}
	}
	if ce, ok := out["Content-Encoding"]; ok {
		r := &http.Request{Header: http.Header{"Content-Encoding": {ce}}}
		m, _ := objectMeta(r)
		if v, ok := m["Content-Encoding"]; ok {
			out["Content-Encoding"] = v
		} else {
			delete(out, "Content-Encoding")
		}
	}
	return out
}

// setHeaders puts the object's stored headers, user metadata, ETag and
// Last-Modified on an answer.
func (o *objectInfo) setHeaders(h http.Header) {
	for k, v := range o.Meta {
		if strings.HasPrefix(k, "x-amz-meta-") {
			h[k] = []string{mailSafe(v)} // sent with the name as stored (lower case)
			continue
		}
		h.Set(k, v)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", defaultContentType)
	}
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
}

// mailSafe is a metadata value as S3 sends it back: as it is when it is
// US-ASCII, else RFC 2047-encoded (base64 of its UTF-8).
func mailSafe(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 || (v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f {
			return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
		}
	}
	return v
}

func quotedHex(b []byte) string { return `"` + hex.EncodeToString(b) + `"` }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// contentLength is the length of r's body (for an aws-chunked body, the
// decoded length the guard set), or -1 for a body sent with chunked
// transfer coding, which is read to its end.
func contentLength(r *http.Request) (int64, *Error) {
	if r.ContentLength < 0 && !slices.Contains(r.TransferEncoding, "chunked") {
		return 0, newError(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	return r.ContentLength, nil
}

// checkUploadHeaders refuses what a PUT, copy or CreateMultipartUpload asks
// for that a bucket with ACLs disabled refuses, or that the server does
// not implement.
func checkUploadHeaders(r *http.Request) *Error {
	if e := checkCannedACL(r.Header.Get("X-Amz-Acl")); e != nil {
		return e
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			return errACLNotSupported()
		}
	}
	switch v := r.Header.Get("X-Amz-Server-Side-Encryption"); v {
	case "", "AES256":
		// S3 encrypts every object with SSE-S3 by default: asking for it
		// changes nothing.
	default:
		return errNotImplemented("Server-side encryption " + strconv.Quote(v))
	}
	for _, h := range []string{"X-Amz-Server-Side-Encryption-Customer-Algorithm", "X-Amz-Tagging", "X-Amz-Object-Lock-Mode",
		"X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold", "X-Amz-Website-Redirect-Location"} {
		if r.Header.Get(h) != "" {
			return errNotImplemented("The " + h + " header")
		}
	}
	switch sc := r.Header.Get("X-Amz-Storage-Class"); sc {
	case "", "STANDARD":
	default:
		return errNotImplemented("Storage class " + strconv.Quote(sc))
	}
	return nil
}

// checkCannedACL accepts the canned ACLs a bucket with ACLs disabled takes
// (none, private, bucket-owner-full-control): they grant the owner what
// it has.
func checkCannedACL(acl string) *Error {
	switch acl {
	case "", "private", "bucket-owner-full-control":
		return nil
	case "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "log-delivery-write":
		return errACLNotSupported()
	}
	return errInvalidArgument("x-amz-acl", acl, "")
}

// writeConditions are a PUT's, a copy's or a Complete's If-Match or
// If-None-Match (S3's conditional writes), checked against the key's
// current version as the write commits. S3 takes If-None-Match only as
// "*", If-Match only as ETags, and one of them at a time; it answers
// anything else 501.
func writeConditions(r *http.Request, key string) (precondition, *Error) {
	ifMatch, ifNone := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	switch {
	case ifMatch == "" && ifNone == "":
		return nil, nil
	case ifMatch != "" && ifNone != "":
		return nil, errHeaderNotImplemented("If-Match,If-None-Match", "Multiple conditional request headers present in the request")
	case ifNone != "" && ifNone != "*":
		return nil, errHeaderNotImplemented("If-None-Match", "We don't accept the provided value of If-None-Match header for this API")
	case strings.TrimSpace(ifMatch) == "*":
		return nil, errHeaderNotImplemented("If-Match", "We don't accept the provided value of If-Match header for this API")
	}
	return func(old *objectInfo) *Error {
		if ifNone == "*" && old != nil {
			return errPreconditionFailed("If-None-Match")
		}
		if ifMatch != "" {
			if old == nil {
				return errNoSuchKey(key)
			}
			if !etagMatches(ifMatch, old.ETag) {
				return errPreconditionFailed("If-Match")
			}
		}
		return nil
	}, nil
}

// etagMatches reports whether the list of entity tags in header (as
// If-Match and If-None-Match carry them) names etag; "*" names any.
func etagMatches(header, etag string) bool {
	want := strings.Trim(etag, `"`)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}

// readConditions applies a GET's or HEAD's conditional headers with S3's
// precedence: If-Match before If-Unmodified-Since, If-None-Match before
// If-Modified-Since. It answers 0 to serve the object, 304 or 412.
func readConditions(h http.Header, info *objectInfo) int {
	modified := info.Modified.Truncate(time.Second)
	if v := h.Get("If-Match"); v != "" {
		if !etagMatches(v, info.ETag) {
			return http.StatusPreconditionFailed
		}
	} else if t, err := http.ParseTime(h.Get("If-Unmodified-Since")); err == nil && modified.After(t) {
		return http.StatusPreconditionFailed
	}
	if v := h.Get("If-None-Match"); v != "" {
		if etagMatches(v, info.ETag) {
			return http.StatusNotModified
		}
	} else if t, err := http.ParseTime(h.Get("If-Modified-Since")); err == nil && !modified.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// copySourceConditions applies a copy's x-amz-copy-source-if-* headers to
// the source, with S3's rules: if-match true wins over if-unmodified-since
// false, and if-none-match false fails whatever if-modified-since says.
func copySourceConditions(h http.Header, info *objectInfo) *Error {
	modified := info.Modified.Truncate(time.Second)
	match := h.Get("X-Amz-Copy-Source-If-Match")
	if match != "" && !etagMatches(match, info.ETag) {
		return errPreconditionFailed("x-amz-copy-source-If-Match")
	}
	if t, err := http.ParseTime(h.Get("X-Amz-Copy-Source-If-Unmodified-Since")); err == nil && match == "" && modified.After(t) {
		return errPreconditionFailed("x-amz-copy-source-If-Unmodified-Since")
	}
	none := h.Get("X-Amz-Copy-Source-If-None-Match")
	if none != "" && etagMatches(none, info.ETag) {
		return errPreconditionFailed("x-amz-copy-source-If-None-Match")
	}
	if t, err := http.ParseTime(h.Get("X-Amz-Copy-Source-If-Modified-Since")); err == nil && none == "" && !modified.After(t) {
		return errPreconditionFailed("x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

// parseRange reads a Range header for an object of size bytes: ok is false
// to serve the whole object (no header, a malformed one, or several ranges,
// which S3 answers with the whole object), err when the range starts past
// the end.
func parseRange(v string, size int64) (off, n int64, ok bool, err *Error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	if first == "" {
		k, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || k < 0 {
			return 0, 0, false, nil
		}
		if k == 0 || size == 0 {
			return 0, 0, false, errInvalidRange(size)
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return 0, 0, false, nil
	}
	b := size - 1
	if last != "" {
		if b, perr = strconv.ParseInt(last, 10, 64); perr != nil || b < a {
			return 0, 0, false, nil
		}
	}
	if a >= size {
		return 0, 0, false, errInvalidRange(size)
	}
	b = min(b, size-1)
	return a, b - a + 1, true, nil
}

// responseOverrides are the query parameters a signed GET may use to set
// headers of the answer.
var responseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-language": "Content-Language",
	"response-expires": "Expires", "response-cache-control": "Cache-Control",
	"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
}

// getObject answers GET and HEAD of an object: a range or a part of it,
// after the conditional headers, with the checksum only when asked for and
// only for the whole object.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, bucket, key, version string) {
	q := r.URL.Query()
	partNumber := q.Get("partNumber")
	if partNumber != "" && r.Header.Get("Range") != "" {
		WriteError(w, r, errInvalidRequest("Cannot specify both Range header and partNumber query parameter"))
		return
	}
	info, body, ok := s.object(w, r, bucket, key, version, r.Method == http.MethodHead)
	if !ok {
		return
	}
	if body != nil {
		defer body.Close()
	}
	h := w.Header()
	if info.VersionID != "" {
		h.Set("X-Amz-Version-Id", info.VersionID)
	}
	switch readConditions(r.Header, info) {
	case http.StatusNotModified:
		h.Set("ETag", info.ETag)
		h.Set("Last-Modified", info.Modified.UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusNotModified)
		return
	case http.StatusPreconditionFailed:
		WriteError(w, r, errPreconditionFailed("If-Match"))
		return
	}
	off, n, status := int64(0), info.Size, http.StatusOK
	switch {
	case partNumber != "":
		pn, perr := strconv.Atoi(partNumber)
		if perr != nil || pn < 1 || pn > maxPartNumber {
			WriteError(w, r, errInvalidArgument("partNumber", partNumber, "Part number must be an integer between 1 and 10000, inclusive"))
			return
		}
		if !info.multipart() {
			if pn != 1 {
				WriteError(w, r, newError(http.StatusBadRequest, "InvalidPart", "The requested partnumber is not satisfiable"))
				return
			}
			break
		}
		if pn > len(info.Parts) {
			WriteError(w, r, newError(http.StatusBadRequest, "InvalidPart", "The requested partnumber is not satisfiable"))
			return
		}
		for _, p := range info.Parts[:pn-1] {
			off += p.Size
		}
		n, status = info.Parts[pn-1].Size, http.StatusPartialContent
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(len(info.Parts)))
	case r.Header.Get("Range") != "":
		o, k, ok, rerr := parseRange(r.Header.Get("Range"), info.Size)
		if rerr != nil {
			WriteError(w, r, rerr)
			return
		}
		if ok {
			off, n, status = o, k, http.StatusPartialContent
		}
	}
	info.setHeaders(h)
	for param, header := range responseOverrides {
		if v := q.Get(param); v != "" {
			h.Set(header, v)
		}
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Amz-Server-Side-Encryption", "AES256")
	if status == http.StatusPartialContent {
		h.Set("Content-Range", "bytes "+itoa64(off)+"-"+itoa64(off+n-1)+"/"+itoa64(info.Size))
	}
	if strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && status == http.StatusOK {
		info.Checksum.setHeader(h)
	}
	h.Set("Content-Length", itoa64(n))
	w.WriteHeader(status)
	if r.Method == http.MethodHead || n == 0 {
		return
	}
	src := &readErr{r: io.NewSectionReader(body, off, n)}
	if _, err := io.Copy(w, src); err != nil && src.err != nil {
		// Reading the store failed after the status went out: all that is
		// left is to cut the answer short, which the client sees as a body
		// shorter than Content-Length. (A client that went away is no
		// failure of the sandbox's.)
		s.logf("sandbox: S3 GET %s: %v", r.URL.Path, src.err)
	}
}

// readErr remembers a read error of r, to tell it from a write error in a copy.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// putObject answers PutObject: the body is checked against its length,
// Content-MD5 and checksum as it streams into the store, and replaces the
// object only when all of them hold (and the conditional headers allow).
func (s *Server) putObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	if e := checkUploadHeaders(r); e != nil {
		WriteError(w, r, e)
		return
	}
	size, e := contentLength(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	if size > maxPartSize {
		WriteError(w, r, errTooLarge(size))
		return
	}
	meta, e := objectMeta(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	check, e := writeConditions(r, key)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	b, e := newBody(r, size)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	info, err := s.st.put(bucket, key, &objectInfo{Meta: meta}, b, size, check)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("ETag", info.ETag)
	h.Set("X-Amz-Server-Side-Encryption", "AES256")
	setWrittenVersion(h, info)
	if b.alg != "" {
		info.Checksum.setHeader(h)
	}
	w.WriteHeader(http.StatusOK)
}

// setWrittenVersion tells the version a PUT, a form upload or a Complete
// made, as S3 does: its ID, and nothing for the null version (S3 tells
// "null" after a copy, and on reads).
func setWrittenVersion(h http.Header, info *objectInfo) {
	if info.VersionID != "" && info.VersionID != "null" {
		h.Set("X-Amz-Version-Id", info.VersionID)
	}
}

// deleteObject answers DeleteObject: 204 whether or not the key (or the
// version) existed, saying which delete marker it made or removed.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, bucket, key, version string) {
	res, err := s.st.remove(bucket, objectRef{Key: key, VersionID: version})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res[0].DeleteMarker {
		w.Header().Set("X-Amz-Delete-Marker", "true")
	}
	if res[0].VersionID != "" {
		w.Header().Set("X-Amz-Version-Id", res[0].VersionID)
	}
	w.WriteHeader(http.StatusNoContent)
}

// copySource reads x-amz-copy-source: "bucket/key" or "/bucket/key",
// percent-encoded, with an optional ?versionId.
func copySource(r *http.Request) (bucket, key, version string, e *Error) {
	raw := r.Header.Get("X-Amz-Copy-Source")
	path, query, _ := strings.Cut(raw, "?")
	if query != "" {
		v, err := url.ParseQuery(query)
		if err != nil {
			return "", "", "", errInvalidArgument("x-amz-copy-source", raw, "Invalid version id specified")
		}
		if vs, ok := v["versionId"]; ok {
			if version, e = checkVersionID("x-amz-copy-source", vs[0]); e != nil {
				return "", "", "", e
			}
		}
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return "", "", "", errInvalidArgument("x-amz-copy-source", raw, "Invalid copy source encoding.")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(dec, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", "", errInvalidArgument("x-amz-copy-source", raw, "Invalid copy source object key")
	}
	return bucket, key, version, nil
}

// openSource opens a copy's source version. A delete marker is no source:
// the current version being one is NoSuchKey, and naming one by its ID is
// InvalidRequest, as in S3.
func (s *Server) openSource(w http.ResponseWriter, r *http.Request, bucket, key, version string) (*objectInfo, objectBody, bool) {
	info, body, err := s.st.open(bucket, key, version)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	if info.DeleteMarker {
		e := errNoSuchKey(key)
		if version != "" {
			e = errInvalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		WriteError(w, r, e)
		return nil, nil, false
	}
	return info, body, true
}

// setSourceVersion tells the version a copy read, unless it is the null
// version, as S3 does.
func setSourceVersion(h http.Header, src *objectInfo) {
	if src.VersionID != "" && src.VersionID != "null" {
		h.Set("X-Amz-Copy-Source-Version-Id", src.VersionID)
	}
}

// copyResult is CopyObject's answer.
type copyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	ETag         string
	LastModified string
	ChecksumType string `xml:",omitempty"`
	checksumXML
}

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3Time is a timestamp as S3's XML writes it.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// checksumXML is the checksum elements of an answer (and of a Complete's
// parts): one of them is set, by the object's or part's algorithm.
type checksumXML struct {
	CRC32     string `xml:"ChecksumCRC32,omitempty"`
	CRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	CRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	SHA1      string `xml:"ChecksumSHA1,omitempty"`
	SHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// set fills the element of c's algorithm and returns c's checksum type ("" for
// none).
func (x *checksumXML) set(c *checksumValue) string {
	if c == nil {
		return ""
	}
	switch c.Algorithm {
	case "CRC32":
		x.CRC32 = c.Value
	case "CRC32C":
		x.CRC32C = c.Value
	case "CRC64NVME":
		x.CRC64NVME = c.Value
	case "SHA1":
		x.SHA1 = c.Value
	case "SHA256":
		x.SHA256 = c.Value
	}
	return c.typ()
}

// copyObject answers CopyObject. The copy is a single-part object whatever
// the source was: its ETag is the MD5 of its bytes. With the COPY
// directive (the default) it keeps the source's headers and metadata; with
// REPLACE it takes the request's. A copy onto itself must change
// something, as in S3.
func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	srcBucket, srcKey, srcVersion, e := copySource(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	if e := checkUploadHeaders(r); e != nil {
		WriteError(w, r, e)
		return
	}
	directive := strings.ToUpper(r.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		WriteError(w, r, errInvalidArgument("x-amz-metadata-directive", directive, "Unknown metadata directive."))
		return
	}
	alg := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Algorithm"))
	if alg != "" && checksumAlgorithms[alg] == nil {
		WriteError(w, r, errInvalidRequest("Checksum algorithm provided is unsupported."))
		return
	}
	if ok, err := s.st.bucketExists(bucket); err != nil || !ok {
		s.fail(w, r, orNoSuchBucket(err, bucket))
		return
	}
	src, rd, ok := s.openSource(w, r, srcBucket, srcKey, srcVersion)
	if !ok {
		return
	}
	defer rd.Close()
	if e := copySourceConditions(r.Header, src); e != nil {
		WriteError(w, r, e)
		return
	}
	if src.Size > maxPartSize {
		WriteError(w, r, errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", maxPartSize))
		return
	}
	if srcBucket == bucket && srcKey == key && srcVersion == "" && directive != "REPLACE" && alg == "" &&
		r.Header.Get("X-Amz-Storage-Class") == "" && r.Header.Get("X-Amz-Server-Side-Encryption") == "" {
		WriteError(w, r, errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."))
		return
	}
	info := &objectInfo{Meta: src.Meta}
	if directive == "REPLACE" {
		meta, e := objectMeta(r)
		if e != nil {
			WriteError(w, r, e)
			return
		}
		info.Meta = meta
	}
	check, e := writeConditions(r, key)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	// The copy keeps the source's checksum algorithm (computed afresh on
	// the bytes copied) unless the request names another.
	if alg == "" && src.Checksum != nil {
		alg = src.Checksum.Algorithm
	}
	in := io.Reader(io.NewSectionReader(rd, 0, src.Size))
	var cb *body
	if alg != "" {
		cb = &body{r: in, size: src.Size, alg: alg, sum: checksumAlgorithms[alg]()}
		in = cb
	}
	out, err := s.st.put(bucket, key, info, in, src.Size, check)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := copyResult{Xmlns: xmlns, ETag: out.ETag, LastModified: s3Time(out.Modified)}
	if cb != nil {
		res.ChecksumType = res.set(out.Checksum)
	}
	h := w.Header()
	h.Set("X-Amz-Server-Side-Encryption", "AES256")
	setSourceVersion(h, src)
	if out.VersionID != "" {
		h.Set("X-Amz-Version-Id", out.VersionID)
	}
	writeXML(w, http.StatusOK, res)
}

// orNoSuchBucket is err, or NoSuchBucket when there was no error (the
// bucket simply is not there).
func orNoSuchBucket(err error, bucket string) error {
	if err != nil {
		return err
	}
	return errNoSuchBucket(bucket)
}

// attributesResult is GetObjectAttributes' answer.
type attributesResult struct {
	XMLName  xml.Name `xml:"GetObjectAttributesResponse"`
	Xmlns    string   `xml:"xmlns,attr"`
	ETag     string   `xml:",omitempty"`
	Checksum *struct {
		ChecksumType string `xml:",omitempty"`
		checksumXML
	} `xml:",omitempty"`
	ObjectParts *struct {
		PartsCount           int
		PartNumberMarker     int
		NextPartNumberMarker int
		MaxParts             int
		IsTruncated          bool
		Parts                []attributePart `xml:"Part"`
	} `xml:",omitempty"`
	StorageClass string `xml:",omitempty"`
	ObjectSize   *int64 `xml:",omitempty"`
}

type attributePart struct {
	PartNumber int
	Size       int64
	checksumXML
}

// getAttributes answers GetObjectAttributes with the attributes asked for
// in x-amz-object-attributes.
func (s *Server) getAttributes(w http.ResponseWriter, r *http.Request, bucket, key, version string) {
	want := map[string]bool{}
	for _, v := range r.Header.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			want[strings.TrimSpace(a)] = true
		}
	}
	if len(want) == 0 {
		WriteError(w, r, errInvalidArgument("x-amz-object-attributes", "", "Invalid attribute name specified."))
		return
	}
	info, _, ok := s.object(w, r, bucket, key, version, true)
	if !ok {
		return
	}
	res := attributesResult{Xmlns: xmlns}
	if want["ETag"] {
		res.ETag = strings.Trim(info.ETag, `"`)
	}
	if want["StorageClass"] {
		res.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		res.ObjectSize = &info.Size
	}
	if want["Checksum"] && info.Checksum != nil {
		res.Checksum = &struct {
			ChecksumType string `xml:",omitempty"`
			checksumXML
		}{}
		c := res.Checksum
		c.ChecksumType = c.set(info.Checksum)
	}
	if want["ObjectParts"] && info.multipart() {
		marker, _ := strconv.Atoi(r.Header.Get("X-Amz-Part-Number-Marker"))
		maxParts := 1000
		if v := r.Header.Get("X-Amz-Max-Parts"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				maxParts = min(n, 1000)
			}
		}
		res.ObjectParts = &struct {
			PartsCount           int
			PartNumberMarker     int
			NextPartNumberMarker int
			MaxParts             int
			IsTruncated          bool
			Parts                []attributePart `xml:"Part"`
		}{PartsCount: len(info.Parts), PartNumberMarker: marker, MaxParts: maxParts}
		op := res.ObjectParts
		for _, p := range info.Parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) >= maxParts {
				op.IsTruncated = true
				break
			}
			ap := attributePart{PartNumber: p.Number, Size: p.Size}
			ap.set(p.Checksum)
			op.Parts = append(op.Parts, ap)
			op.NextPartNumberMarker = p.Number
		}
	}
	w.Header().Set("Last-Modified", info.Modified.UTC().Format(http.TimeFormat))
	if info.VersionID != "" {
		w.Header().Set("X-Amz-Version-Id", info.VersionID)
	}
	writeXML(w, http.StatusOK, res)
}
