package sandbox

// Checking an S3 request's body against its signature, as it streams to the
// S3 server. SigV4 signs the body one of three ways, named by
// x-amz-content-sha256:
//
//   - a hex SHA-256 of the body: the body is hashed as it is read, and at
//     its end a mismatch is XAmzContentSHA256Mismatch;
//   - UNSIGNED-PAYLOAD: nothing to check;
//   - STREAMING-...: the aws-chunked encoding. Each chunk of
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD carries a signature chained from
//     the request's, checked when the chunk ends; the -TRAILER forms end
//     with trailing headers (a checksum), signed too in the signed form.
//     The S3 server gets the decoded body, its length from
//     x-amz-decoded-content-length, and the trailers in r.Trailer.
//
// The reader returns the error where it would have returned io.EOF (or at
// the bad chunk), so the store, which commits only after EOF, keeps
// nothing of a body that fails.

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
)

const (
	unsignedPayload        = "UNSIGNED-PAYLOAD"
	streamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsigned      = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	emptySHA256            = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var (
	errSHA256Mismatch = s3server.ErrBodySignature("XAmzContentSHA256Mismatch",
		"The provided 'x-amz-content-sha256' header does not match what was computed.")
	errChunkSignature = s3server.ErrBodySignature("SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	errChunkFormat = s3server.ErrBodySignature("IncompleteBody",
		"The request body is not well-formed aws-chunked encoding.")
)

// checkPayload makes r's body check itself against s, the signature r
// passed with: see the top of this file. key is the request's signing key.
func checkPayload(r *http.Request, s *signed, key []byte) *authError {
	switch p := s.payloadHash; {
	case p == unsignedPayload || s.presigned:
		return nil
	case p == streamingSigned || p == streamingSignedTrailer || p == streamingUnsigned:
		n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return &authError{status: http.StatusLengthRequired, code: "MissingContentLength",
				message: "You must provide the Content-Length HTTP header (x-amz-decoded-content-length, for an aws-chunked body)."}
		}
		c := &chunkedReader{r: bufio.NewReaderSize(r.Body, 64<<10), body: r.Body, want: n, req: r,
			signed: p != streamingUnsigned, trailer: p != streamingSigned}
		if c.signed {
			c.key, c.prev = key, strings.ToLower(s.signature)
			c.prefix = s.amzDate.Format(amzDateFormat) + "\n" + s.date + "/" + s.region + "/" + s.service + "/aws4_request\n"
		}
		r.Trailer = http.Header{}
		r.Body = c
		r.ContentLength = n
		return nil
	case len(p) == 64 && isHex(p):
		if r.Body == nil || r.Body == http.NoBody {
			if p != emptySHA256 {
				return &authError{status: http.StatusBadRequest, code: "XAmzContentSHA256Mismatch", message: errSHA256Mismatch.Message}
			}
			return nil
		}
		want, _ := hex.DecodeString(p)
		r.Body = &hashReader{ReadCloser: r.Body, h: sha256.New(), want: want}
		return nil
	}
	return &authError{status: http.StatusBadRequest, code: "InvalidArgument",
		message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// hashReader checks a body against its SHA-256 at its end.
type hashReader struct {
	io.ReadCloser
	h    hash.Hash
	want []byte
	err  error
}

func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.ReadCloser.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF && !bytes.Equal(h.h.Sum(nil), h.want) {
		h.err = errSHA256Mismatch
		return n, h.err
	}
	return n, err
}

// maxChunkLine bounds a chunk header or trailer line.
const maxChunkLine = 4 << 10

// chunkedReader decodes an aws-chunked body, checking each chunk's
// signature (signed forms) and reading the trailers into req.Trailer.
type chunkedReader struct {
	r       *bufio.Reader
	body    io.Closer
	req     *http.Request
	want    int64 // decoded length
	n       int64 // decoded bytes so far
	signed  bool
	trailer bool

	key    []byte
	prefix string // "DATE\nSCOPE\n" of the strings to sign
	prev   string // the previous signature in the chain

	left    int64 // bytes left in the current chunk
	sig     string
	h       hash.Hash
	started bool
	err     error
}

func (c *chunkedReader) Close() error { return c.body.Close() }

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.left == 0 {
		if c.started {
			if err := c.endChunk(); err != nil {
				c.err = err
				return 0, err
			}
		}
		last, err := c.startChunk()
		if err != nil {
			c.err = err
			return 0, err
		}
		if last {
			c.err = c.finish()
			if c.err == nil {
				c.err = io.EOF
			}
			return 0, c.err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.n += int64(n)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	if c.n > c.want {
		c.err = errChunkFormat
		return 0, c.err
	}
	if err == io.EOF {
		err = errChunkFormat // the body ended inside a chunk
		c.err = err
	}
	return n, err
}

// line reads one CRLF-terminated line.
func (c *chunkedReader) line() (string, error) {
	var b []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxChunkLine {
			return "", errChunkFormat
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", errChunkFormat
		}
		break
	}
	s := string(b)
	if !strings.HasSuffix(s, "\r\n") {
		return "", errChunkFormat
	}
	return s[:len(s)-2], nil
}

// startChunk reads a chunk header: "SIZE-HEX[;chunk-signature=SIG]".
func (c *chunkedReader) startChunk() (last bool, err error) {
	line, err := c.line()
	if err != nil {
		return false, err
	}
	size, ext, _ := strings.Cut(line, ";")
	n, perr := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if perr != nil || n < 0 {
		return false, errChunkFormat
	}
	c.sig = ""
	if c.signed {
		sig, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
		if !ok || sig == "" {
			return false, errChunkSignature
		}
		c.sig = strings.ToLower(sig)
		c.h = sha256.New()
	}
	c.left, c.started = n, true
	if n == 0 {
		return true, c.checkSignature()
	}
	return false, nil
}

// endChunk reads the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	line, err := c.line()
	if err != nil || line != "" {
		return errChunkFormat
	}
	return c.checkSignature()
}

// checkSignature checks the current chunk's signature and moves the chain on.
func (c *chunkedReader) checkSignature() error {
	if !c.signed {
		return nil
	}
	toSign := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.prefix + c.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(c.h.Sum(nil))
	want := hex.EncodeToString(hmacSHA256(c.key, toSign))
	if !hmac.Equal([]byte(want), []byte(c.sig)) {
		return errChunkSignature
	}
	c.prev = c.sig
	return nil
}

// finish reads the trailers after the last chunk (checking their signature
// in the signed form), then checks the decoded length.
func (c *chunkedReader) finish() error {
	var canonical strings.Builder
	trailerSig := ""
	for {
		line, err := c.line()
		if err != nil {
			if !c.trailer && errors.Is(err, errChunkFormat) && c.n == c.want {
				// Some clients end the signed form right after the last
				// chunk's line.
				break
			}
			return err
		}
		if line == "" {
			break
		}
		if !c.trailer {
			return errChunkFormat
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return errChunkFormat
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			trailerSig = strings.ToLower(value)
			continue
		}
		canonical.WriteString(name + ":" + value + "\n")
		c.req.Trailer.Set(name, value)
	}
	if c.signed && c.trailer {
		sum := sha256.Sum256([]byte(canonical.String()))
		toSign := "AWS4-HMAC-SHA256-TRAILER\n" + c.prefix + c.prev + "\n" + hex.EncodeToString(sum[:])
		want := hex.EncodeToString(hmacSHA256(c.key, toSign))
		if trailerSig == "" || !hmac.Equal([]byte(want), []byte(trailerSig)) {
			return errChunkSignature
		}
	}
	if c.n != c.want {
		return s3server.ErrBodySignature("IncompleteBody", "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.")
	}
	return nil
}
