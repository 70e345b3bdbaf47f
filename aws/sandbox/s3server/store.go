package s3server

// What the server needs of a store, and the rules both stores share.

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// objectInfo is what a store keeps of an object (or a delete marker)
// beside its bytes. In a store's answers VersionID is as told (see
// versionMeta.told).
type objectInfo struct {
	versionMeta
	Size     int64
	MD5      []byte // of the body; of the parts' MD5s for a multipart object
	ETag     string // quoted: "MD5" or, for a multipart object, "MD5-N"
	Modified time.Time
	// Meta holds the stored headers (storedHeaders, by canonical name) and
	// the user metadata as "x-amz-meta-" + its lower-case name.
	Meta     map[string]string
	Checksum *checksumValue // nil when the upload gave none
	Parts    []partSummary  // a multipart object's parts, in order
	UploadID string         // the multipart upload that made the object
}

// partSummary is a part of a multipart object.
type partSummary struct {
	Number   int            `json:"n"`
	Size     int64          `json:"size"`
	Checksum *checksumValue `json:"checksum,omitempty"`
}

// multipart reports whether the object was made by a multipart upload.
func (o *objectInfo) multipart() bool { return len(o.Parts) > 0 }

// objectBody reads an object's bytes; it was opened whole, so it reads the
// object it was opened on even if the key is overwritten meanwhile.
type objectBody interface {
	io.ReaderAt
	io.Closer
}

// bucketEntry is a bucket as ListBuckets shows it.
type bucketEntry struct {
	Name    string
	Created time.Time
}

// listQuery asks for one page of a bucket's keys.
type listQuery struct {
	Prefix    string
	Delimiter string // "" rolls nothing up
	Marker    string // keys after this one
	MaxKeys   int    // > 0
}

// listEntry is an object as a listing shows it.
type listEntry struct {
	Key      string
	Size     int64
	ETag     string
	Modified time.Time
}

// listPage is one page of a listing: objects and common prefixes in key
// order, and whether more follow (Next is then the last key or prefix).
type listPage struct {
	Objects   []listEntry
	Prefixes  []string
	Truncated bool
	Next      string
}

// uploadInfo is a multipart upload in progress.
type uploadInfo struct {
	ID        string
	Bucket    string
	Key       string
	Initiated time.Time
	// Object is what the object will be: its headers, and for checksums
	// only the algorithm and type asked for at creation.
	Object objectInfo
}

// partRecord is an uploaded part.
type partRecord struct {
	Number   int
	MD5      []byte
	Size     int64
	Modified time.Time
	Checksum *checksumValue
}

func (p partRecord) etag() string { return `"` + hex.EncodeToString(p.MD5) + `"` }

// completePart is a part as CompleteMultipartUpload names it.
type completePart struct {
	Number    int
	ETag      string
	Checksums map[string]string // algorithm -> value, as the request gave them
}

// precondition checks the key's current version a write would supersede
// (nil when there is none, or it is a delete marker) at the moment the
// write commits.
type precondition func(old *objectInfo) *Error

// store is where the server keeps buckets, objects and uploads: memStore
// (memory) or diskStore (files plus an index). Bucket and key conditions
// come back as *Error; anything else is the store's own failure.
type store interface {
	listBuckets() ([]bucketEntry, error)
	// createBucket answers BucketAlreadyOwnedByYou when name exists.
	createBucket(name string) error
	// deleteBucket refuses a bucket with objects, versions or delete
	// markers (BucketNotEmpty) and drops its uploads in progress.
	deleteBucket(name string) error
	bucketExists(name string) (bool, error)
	// versioning is the bucket's versioning status ("" never versioned,
	// versioningEnabled or versioningSuspended); setVersioning sets it.
	versioning(bucket string) (string, error)
	setVersioning(bucket, status string) error
	// list lists current objects (no delete markers).
	list(bucket string, q listQuery) (*listPage, error)
	// listVersions lists every version and delete marker.
	listVersions(bucket string, q versionQuery) (*versionPage, error)
	// stat and open read a version of key: "" the current one, "null", or
	// an ID (checked by versionParam). A delete marker is answered too,
	// with DeleteMarker set (and no body); no version is NoSuchKey (for
	// "") or NoSuchVersion.
	stat(bucket, key, version string) (*objectInfo, error)
	open(bucket, key, version string) (*objectInfo, objectBody, error)
	// put stores size bytes of body as key's new version with info's
	// headers (see addVersion), hashing them, once body reads to EOF
	// without error and check allows it (check sees the current version
	// when it is an object).
	put(bucket, key string, info *objectInfo, body io.Reader, size int64, check precondition) (*objectInfo, error)
	// remove deletes what each ref names (see removeOne), atomically.
	remove(bucket string, refs ...objectRef) ([]removed, error)

	createUpload(bucket, key string, object *objectInfo) (string, error)
	upload(bucket, key, id string) (*uploadInfo, []partRecord, error)
	// uploadMeta is upload without the parts.
	uploadMeta(bucket, key, id string) (*uploadInfo, error)
	uploadPart(bucket, key, id string, number int, body io.Reader, size int64) (partRecord, error)
	// completeUpload makes the object of the parts req names (see
	// planComplete) key's new version, atomically: after a crash the
	// upload is either complete or still there, whole. A Complete
	// repeated after success answers the version it made, while the key
	// still has it.
	// verify, when not nil, checks the object planned before it commits.
	completeUpload(bucket, key, id string, req []completePart, check precondition, verify func(*objectInfo) *Error) (*objectInfo, error)
	abortUpload(bucket, key, id string) error
	listUploads(bucket, prefix string) ([]uploadInfo, error)
	close() error
}

// S3's limits.
const (
	maxPartSize   = 5 << 30 // the largest part, and the largest single PUT or copy
	minPartSize   = 5 << 20 // the smallest part but the last
	maxPartNumber = 10000
	maxKeyLen     = 1024 // bytes
	maxListKeys   = 1000
	maxDeleteKeys = 1000
)

// completion is what planComplete works out for a Complete.
type completion struct {
	parts []partRecord // the parts named, in order
	info  objectInfo   // the object, but for its headers
}

// planComplete checks a Complete's list of parts against the upload's, as
// S3 does: at least one, ascending part numbers, each uploaded with that
// ETag, every part but the last at least 5 MiB. The object's hash is the MD5
// of the parts' MD5s, its ETag that hash and the number of parts.
func planComplete(up *uploadInfo, req []completePart, have []partRecord) (*completion, *Error) {
	if len(req) == 0 {
		return nil, errMalformedXML()
	}
	byNumber := make(map[int]partRecord, len(have))
	for _, p := range have {
		byNumber[p.Number] = p
	}
	c := &completion{info: up.Object}
	c.info.Meta = up.Object.Meta
	all := md5.New()
	var sums []*checksumValue
	for i, in := range req {
		if i > 0 && in.Number <= req[i-1].Number {
			return nil, newError(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
		}
		p, ok := byNumber[in.Number]
		if !ok || strings.Trim(in.ETag, `"`) != hex.EncodeToString(p.MD5) {
			return nil, newError(http.StatusBadRequest, "InvalidPart",
				"One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
				with("UploadId", up.ID).with("PartNumber", strconv.Itoa(in.Number)).with("ETag", in.ETag)
		}
		for alg, v := range in.Checksums {
			if p.Checksum != nil && p.Checksum.Algorithm == alg && p.Checksum.Value != v {
				return nil, newError(http.StatusBadRequest, "InvalidPart",
					"One or more of the specified parts could not be found. The part's %s does not match the one it was uploaded with.", alg).
					with("UploadId", up.ID).with("PartNumber", strconv.Itoa(in.Number))
			}
		}
		if i < len(req)-1 && p.Size < minPartSize {
			return nil, newError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.").
				with("ProposedSize", strconv.FormatInt(p.Size, 10)).with("MinSizeAllowed", strconv.Itoa(minPartSize)).
				with("PartNumber", strconv.Itoa(in.Number)).with("ETag", p.etag())
		}
		c.parts = append(c.parts, p)
		c.info.Size += p.Size
		c.info.Parts = append(c.info.Parts, partSummary{Number: p.Number, Size: p.Size, Checksum: p.Checksum})
		all.Write(p.MD5)
		sums = append(sums, p.Checksum)
	}
	c.info.MD5 = all.Sum(nil)
	c.info.ETag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(c.info.MD5), len(req))
	c.info.Checksum = nil
	if ck := up.Object.Checksum; ck != nil {
		if ck.typ() == composite {
			c.info.Checksum = compositeChecksum(ck.Algorithm, sums)
		} else {
			c.info.Checksum = fullObjectChecksum(ck.Algorithm, c.info.Parts)
		}
	}
	c.info.UploadID = up.ID
	return c, nil
}

// newUploadID is a new upload's ID: seq, which starts from the clock, then
// random bytes. IDs sort in the order uploads began, and an ID from an
// earlier run of the sandbox never names a new upload.
func newUploadID(seq uint64) (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%016x%s", seq, hex.EncodeToString(r[:])), nil
}

// group is the common prefix key rolls up into under a delimited listing,
// if it does. S3's rule, which the stores list by: a key whose rest after
// the prefix holds the delimiter rolls up into the prefix plus that rest up
// to and including its first delimiter, even when that is the whole key (a
// folder marker such as "dir/new/" listed under "dir/").
func group(key, prefix, delimiter string) (string, bool) {
	if delimiter == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	rest := key[len(prefix):]
	i := strings.Index(rest, delimiter)
	if i < 0 {
		return "", false
	}
	return prefix + rest[:i+len(delimiter)], true
}

// prefixEnd is the first string after every string starting with p, "" for
// none.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// pastGroup turns a marker inside a rolled-up prefix into one after every
// key under it, so a page that ended on a common prefix does not list it
// again: S3 continues after the whole prefix.
func pastGroup(marker, prefix, delimiter string) string {
	g, ok := group(marker, prefix, delimiter)
	if !ok {
		return marker
	}
	// Every key of at most maxKeyLen bytes that starts with g sorts before this.
	return g + strings.Repeat("\xff", max(maxKeyLen+1-len(g), 1))
}

// sortParts orders parts by number.
func sortParts(parts []partRecord) {
	slices.SortFunc(parts, func(x, y partRecord) int { return x.Number - y.Number })
}

// exact is a string that survives JSON unchanged: valid UTF-8 is a JSON
// string, anything else (keys and metadata may hold any bytes) an object
// {"base64": "..."}. Records written as plain strings read back as they are.
type exact string

func (s exact) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	return json.Marshal(map[string]string{"base64": base64.StdEncoding.EncodeToString([]byte(s))})
}

func (s *exact) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var m struct {
			B64 string `json:"base64"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(m.B64)
		if err != nil {
			return err
		}
		*s = exact(raw)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	*s = exact(str)
	return nil
}

// exactMap and plainMap convert metadata for JSON records.
func exactMap(m map[string]string) map[string]exact {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]exact, len(m))
	for k, v := range m {
		out[k] = exact(v)
	}
	return out
}

func plainMap(m map[string]exact) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return normalizeMeta(out)
}
