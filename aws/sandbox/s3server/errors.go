package s3server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
)

// Error is an answer in S3's error format: the HTTP status, S3's error code
// and message, and any extra elements S3 adds for that code.
type Error struct {
	Status  int
	Code    string
	Message string
	// Extra are further elements of the error document, in order (S3 adds
	// BucketName, Key, ArgumentName and the like).
	Extra [][2]string
	// Header is set on the answer (Content-Range for InvalidRange, ...).
	Header http.Header
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// newError is an Error with a formatted message.
func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// with adds an element to the error document.
func (e *Error) with(name, value string) *Error {
	e.Extra = append(e.Extra, [2]string{name, value})
	return e
}

// The errors the server answers most, with S3's messages.
func errNoSuchBucket(bucket string) *Error {
	return newError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func errNoSuchKey(key string) *Error {
	return newError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func errNoSuchUpload(id string) *Error {
	return newError(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").with("UploadId", id)
}

func errInvalidArgument(name, value, format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "InvalidArgument", format, args...).with("ArgumentName", name).with("ArgumentValue", value)
}

func errInvalidRequest(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "InvalidRequest", format, args...)
}

func errMalformedXML() *Error {
	return newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

func errPreconditionFailed(condition string) *Error {
	return newError(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold").with("Condition", condition)
}

func errInvalidRange(size int64) *Error {
	e := newError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable").
		with("ActualObjectSize", strconv.FormatInt(size, 10))
	e.Header = http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(size, 10)}}
	return e
}

func errIncompleteBody() *Error {
	return newError(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
}

func errNotImplemented(what string) *Error {
	return newError(http.StatusNotImplemented, "NotImplemented",
		"%s is not implemented by the cfsign sandbox; nothing was changed.", what)
}

// errHeaderNotImplemented is S3's answer to a header value it does not take.
func errHeaderNotImplemented(header, detail string) *Error {
	return newError(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented").
		with("Header", header).with("additionalMessage", detail)
}

func errACLNotSupported() *Error {
	return newError(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
}

// ErrBodySignature is what a request body reader returns when the body does
// not match the signature it came with: S3's own answer.
func ErrBodySignature(code, msg string) *Error {
	status := http.StatusForbidden
	if code != "SignatureDoesNotMatch" {
		status = http.StatusBadRequest
	}
	return &Error{Status: status, Code: code, Message: msg}
}

// NewRequestID is a request ID in S3's form: 16 upper-case hex digits.
func NewRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// requestID is the ID the answer to r carries: the one already set on w,
// else a new one, set on w.
func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get("X-Amz-Request-Id"); id != "" {
		return id
	}
	id := NewRequestID()
	var b [24]byte
	rand.Read(b[:])
	w.Header().Set("X-Amz-Request-Id", id)
	w.Header().Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString(b[:]))
	return id
}

// WriteError writes e in S3's XML error format (headers only for HEAD).
func WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	id := requestID(w)
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>")
	xml.EscapeText(&b, []byte(e.Code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message>")
	for _, kv := range e.Extra {
		b.WriteString("<" + kv[0] + ">")
		xml.EscapeText(&b, []byte(kv[1]))
		b.WriteString("</" + kv[0] + ">")
	}
	b.WriteString("<Resource>")
	xml.EscapeText(&b, []byte(r.URL.Path))
	b.WriteString("</Resource><RequestId>" + id + "</RequestId></Error>")
	h := w.Header()
	// An error answer has no entity headers of the object it is about
	// (but those the error sets: a delete marker's Last-Modified).
	for _, k := range []string{"ETag", "Last-Modified", "Accept-Ranges"} {
		h.Del(k)
	}
	if e.Status == http.StatusMethodNotAllowed {
		h.Set("Allow", "GET, HEAD, PUT, POST, DELETE")
	}
	for k, v := range e.Header {
		h[k] = v
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		w.Write([]byte(b.String()))
	}
}

// asError turns any error from a store or a body into the S3 answer it
// means: an *Error as it is, a full disk as InsufficientStorage, anything
// else as InternalError. internal reports whether the cause is the
// server's own (worth a line in the log).
func asError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return newError(http.StatusInsufficientStorage, "InsufficientStorage",
			"The sandbox has no space left to store this: free disk space where it keeps its data and retry."), true
	}
	return newError(http.StatusInternalServerError, "InternalError",
		"We encountered an internal error. Please try again."), true
}
