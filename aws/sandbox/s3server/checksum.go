package s3server

// Request bodies are checked as they stream into a store: the length, the
// Content-MD5 and the x-amz-checksum-* value (a header, or a trailer of an
// aws-chunked body), so a body that fails any of them is refused before it
// replaces anything. S3's flexible checksums are kept with the object and
// sent back only when a client asks (x-amz-checksum-mode: ENABLED) for the
// whole object.

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// checksumAlgorithms are S3's flexible checksums, by the name S3 gives them.
var checksumAlgorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"CRC64NVME": func() hash.Hash { return crc64.New(crc64NVME()) },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
}

// crc64NVME is CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), its
// tables built on first use rather than at every start of cfsign.
var crc64NVME = sync.OnceValue(func() *crc64.Table { return crc64.MakeTable(0x9a6c9329ac4bc9b5) })

// checksumHeader is the header that carries algorithm's value.
func checksumHeader(algorithm string) string {
	return "x-amz-checksum-" + strings.ToLower(algorithm)
}

// Checksum types.
const (
	fullObject = "FULL_OBJECT"
	composite  = "COMPOSITE"
)

// checksumValue is a stored checksum: the algorithm, its value in base64 as
// S3 writes it ("...-N" for a composite one over N parts), and its type.
type checksumValue struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
	Type      string `json:"type,omitempty"` // "" is FULL_OBJECT
}

func (c *checksumValue) typ() string {
	if c.Type == "" {
		return fullObject
	}
	return c.Type
}

// setHeader puts the checksum on an answer, as S3 does.
func (c *checksumValue) setHeader(h http.Header) {
	if c == nil {
		return
	}
	h.Set(checksumHeader(c.Algorithm), c.Value)
	h.Set("X-Amz-Checksum-Type", c.typ())
}

// requestChecksum reads which checksum a request body comes with: the
// algorithm, and its value when it is a header (a trailer's arrives after
// the body). An algorithm S3 does not know, or two checksum headers, is
// refused.
func requestChecksum(r *http.Request) (algorithm, value string, inTrailer bool, err *Error) {
	for name := range checksumAlgorithms {
		if v := r.Header.Get(checksumHeader(name)); v != "" {
			if algorithm != "" {
				return "", "", false, errInvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			algorithm, value = name, v
		}
	}
	for _, t := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
		name, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t)), "x-amz-checksum-")
		if !ok {
			continue
		}
		name = strings.ToUpper(name)
		if checksumAlgorithms[name] == nil {
			return "", "", false, errInvalidRequest("The value specified in the x-amz-trailer header is not supported")
		}
		if algorithm != "" && algorithm != name {
			return "", "", false, errInvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		algorithm, inTrailer = name, true
	}
	if a := strings.ToUpper(r.Header.Get("X-Amz-Sdk-Checksum-Algorithm")); a != "" {
		if checksumAlgorithms[a] == nil {
			return "", "", false, errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		if algorithm == "" {
			algorithm = a
		}
	}
	if value != "" {
		if raw, derr := base64.StdEncoding.DecodeString(value); derr != nil || len(raw) != checksumAlgorithms[algorithm]().Size() {
			return "", "", false, errInvalidRequest("Value for %s header is invalid.", checksumHeader(algorithm))
		}
	}
	return algorithm, value, inTrailer, nil
}

// body is a request body on its way into a store. It hashes what it reads
// and, where a plain reader would say io.EOF, first checks that exactly size
// bytes came and that they match the Content-MD5 and checksum the request
// gave, returning the S3 error instead when not.
type body struct {
	r        io.Reader
	req      *http.Request
	size     int64
	n        int64
	md5want  []byte
	md5      hash.Hash
	alg      string
	want     string // the checksum value, "" until a trailer brings it
	trailer  bool
	sum      hash.Hash
	verified bool
	result   *checksumValue
}

// newBody prepares r's body, size bytes long (-1: unknown), for a store.
func newBody(r *http.Request, size int64) (*body, *Error) {
	b := &body{r: r.Body, req: r, size: size}
	if v := r.Header.Get("Content-Md5"); v != "" {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != md5.Size {
			return nil, newError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		b.md5want, b.md5 = raw, md5.New()
	}
	alg, value, trailer, err := requestChecksum(r)
	if err != nil {
		return nil, err
	}
	if alg != "" {
		b.alg, b.want, b.trailer, b.sum = alg, value, trailer, checksumAlgorithms[alg]()
	}
	return b, nil
}

func (b *body) Read(p []byte) (int, error) {
	if b.verified {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if b.size >= 0 && int64(n) > b.size-b.n {
		return 0, errIncompleteBody().with("Detail", "the body is longer than its Content-Length")
	}
	b.n += int64(n)
	if b.md5 != nil {
		b.md5.Write(p[:n])
	}
	if b.sum != nil {
		b.sum.Write(p[:n])
	}
	if err == io.EOF {
		if verr := b.verify(); verr != nil {
			return n, verr
		}
		b.verified = true
	}
	return n, err
}

// verify runs the checks due at the end of the body.
func (b *body) verify() *Error {
	if b.size >= 0 && b.n != b.size {
		return errIncompleteBody()
	}
	if b.md5 != nil && !bytes.Equal(b.md5.Sum(nil), b.md5want) {
		return newError(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	}
	if b.sum == nil {
		return nil
	}
	got := base64.StdEncoding.EncodeToString(b.sum.Sum(nil))
	want := b.want
	if b.trailer && want == "" {
		want = b.req.Trailer.Get(checksumHeader(b.alg))
		if want == "" {
			return errInvalidRequest("The x-amz-trailer header named %s, which the body's trailer did not carry.", checksumHeader(b.alg))
		}
	}
	if want != "" && want != got {
		return newError(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", b.alg)
	}
	b.result = &checksumValue{Algorithm: b.alg, Value: got}
	return nil
}

// checksum is the body's checksum, once it was read whole; nil when the
// request asked for none.
func (b *body) checksum() *checksumValue { return b.result }

// checksummed is a body that knows its checksum once read (see body).
type checksummed interface {
	checksum() *checksumValue
}

// bodyChecksum is r's checksum, when r is a checksummed body read whole.
func bodyChecksum(r io.Reader) *checksumValue {
	if c, ok := r.(checksummed); ok {
		return c.checksum()
	}
	return nil
}

// compositeChecksum is S3's checksum of a multipart object whose parts
// all carry one of algorithm: the checksum of the parts' checksums,
// "-N" appended. It is nil when a part has none.
func compositeChecksum(algorithm string, parts []*checksumValue) *checksumValue {
	if algorithm == "" || len(parts) == 0 {
		return nil
	}
	h := checksumAlgorithms[algorithm]()
	for _, p := range parts {
		if p == nil || p.Algorithm != algorithm {
			return nil
		}
		raw, err := base64.StdEncoding.DecodeString(p.Value)
		if err != nil {
			return nil
		}
		h.Write(raw)
	}
	return &checksumValue{Algorithm: algorithm, Type: composite,
		Value: base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))}
}

// crcPolys are the reflected polynomials of the CRCs a full-object checksum
// of a multipart upload can use, with their widths.
var crcPolys = map[string]struct {
	poly  uint64
	width uint
}{
	"CRC32":     {0xedb88320, 32},
	"CRC32C":    {0x82f63b78, 32},
	"CRC64NVME": {0x9a6c9329ac4bc9b5, 64},
}

// crcCombine is the CRC of A then B from the CRCs of A and B and B's length
// (zlib's crc32_combine, for any reflected CRC with all-ones initial value
// and final XOR): how S3 makes the full-object checksum of a multipart
// upload from its parts' without reading the object again.
func crcCombine(poly uint64, width uint, crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	mul := func(mat []uint64, vec uint64) uint64 {
		var sum uint64
		for i := 0; vec != 0; i, vec = i+1, vec>>1 {
			if vec&1 != 0 {
				sum ^= mat[i]
			}
		}
		return sum
	}
	square := func(sq, mat []uint64) {
		for i := range mat {
			sq[i] = mul(mat, mat[i])
		}
	}
	odd, even := make([]uint64, width), make([]uint64, width)
	odd[0] = poly // the operator for one zero bit
	for i, row := uint(1), uint64(1); i < width; i, row = i+1, row<<1 {
		odd[i] = row
	}
	square(even, odd) // two zero bits
	square(odd, even) // four zero bits
	for {
		square(even, odd) // apply len2 zeros to crcA, a byte at a time
		if lenB&1 != 0 {
			crcA = mul(even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		square(odd, even)
		if lenB&1 != 0 {
			crcA = mul(odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

// fullObjectChecksum is the full-object CRC of a multipart object from its
// parts' CRCs; nil when the algorithm is not a CRC or a part has none.
func fullObjectChecksum(algorithm string, parts []partSummary) *checksumValue {
	p, ok := crcPolys[algorithm]
	if !ok || len(parts) == 0 {
		return nil
	}
	var crc uint64
	for i, part := range parts {
		if part.Checksum == nil || part.Checksum.Algorithm != algorithm {
			return nil
		}
		raw, err := base64.StdEncoding.DecodeString(part.Checksum.Value)
		if err != nil || len(raw) != int(p.width/8) {
			return nil
		}
		var v uint64
		for _, c := range raw {
			v = v<<8 | uint64(c)
		}
		if i == 0 {
			crc = v
			continue
		}
		crc = crcCombine(p.poly, p.width, crc, v, part.Size)
	}
	out := make([]byte, p.width/8)
	for i := range out {
		out[len(out)-1-i] = byte(crc >> (8 * i))
	}
	return &checksumValue{Algorithm: algorithm, Type: fullObject, Value: base64.StdEncoding.EncodeToString(out)}
}
