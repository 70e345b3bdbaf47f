package sandbox

// The sandbox's S3 server: gofakes3 behind a thin http.Handler that fixes the
// quirks users would otherwise see.
//
//   - Multipart uploads are ours (multipartUploads below in memory mode,
//     diskStore on disk), through gofakes3's MultipartBackend hook; gofakes3 still parses the requests and writes
//     the answers. Its own uploader read each part into a growing buffer and
//     hashed it under one global lock, and Complete copied the whole object
//     twice and hashed all of it again: most of an upload's server time.
//     Ours reads a part once into a buffer of its Content-Length, hashing it
//     as it arrives, in parallel with other parts. It also answers an empty
//     ListMultipartUploadsResult for a bucket that never had an upload, where
//     gofakes3 answers NoSuchUpload.
//   - Objects live in our own stores rather than s3mem or s3bolt: memStore
//     (memstore.go) in memory mode, diskStore (diskstore.go) on disk, plain
//     files plus a small index. Both keep a completed upload as its parts,
//     with no copy and no hash of the whole object, as S3 does. diskStore
//     also keeps uploads in progress, on disk.
//   - After CompleteMultipartUpload answered an "md5-N" ETag, gofakes3's HEAD,
//     GET and listings show the plain hash the backend keeps (the MD5 of the
//     parts' MD5s). The store remembers the ETag Complete returned, together
//     with that hash (objectStore.multipartETag), and we show it instead
//     wherever the object still has that hash. Any other write to the key
//     forgets it. diskStore keeps it in the object's index record.
//
// gofakes3 does no authentication at all; the guard in front of it (guard.go)
// checks every request's signature against the sandbox's credentials.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// errLocked is the store held by another process.
var errLocked = errors.New("in use by another running sandbox")

// s3Server is the in-process S3 server of the sandbox.
type s3Server struct {
	backend objectStore
	handler http.Handler
}

// objectStore is what the S3 server, the listing and the edge need of the
// store: store over memStore in memory mode, diskStore on disk.
type objectStore interface {
	gofakes3.Backend
	gofakes3.MultipartBackend
	// multipartETag is the "md5-N" ETag CompleteMultipartUpload answered for
	// key's object, with the plain hash gofakes3 shows for it; ok is false
	// when none is known.
	multipartETag(bucket, key string) (rec etagRecord, ok bool, err error)
	close() error
}

// newS3Server opens the S3 server: objects in dir (see diskStore), or in
// memory when dir is "".
func newS3Server(dir string) (*s3Server, error) {
	f := &s3Server{}
	if dir == "" {
		f.backend = newStore(newMemStore())
	} else {
		d, err := openDiskStore(dir)
		if err != nil {
			return nil, err
		}
		f.backend = d
	}
	// Neither store has versioning, as S3 buckets by default.
	g := gofakes3.New(f.backend,
		gofakes3.WithAutoBucket(false),
		gofakes3.WithLogger(gofakes3.DiscardLog()),
	)
	f.handler = g.Server()
	return f, nil
}

// close releases the store.
func (f *s3Server) close() error { return f.backend.close() }

// ensureBucket creates bucket unless it exists.
func (f *s3Server) ensureBucket(bucket string) error {
	ok, err := f.backend.BucketExists(bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	if ok {
		return nil
	}
	if err := f.backend.CreateBucket(bucket); err != nil && !gofakes3.IsAlreadyExists(err) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// ServeHTTP routes like gofakes3 (path-style: /bucket/key) and patches the
// answers that differ from S3.
func (f *s3Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	_, uploads := q["uploads"]
	uploadID := q.Get("uploadId")

	if key != "" && strings.Contains(r.Header.Get("Range"), ",") {
		// S3 serves one range at most: a list gets the whole object, 200.
		r.Header.Del("Range")
	}
	if bucket != "" && isListRequest(r, key) {
		f.list(w, r, bucket)
		return
	}
	if bucket != "" && key != "" && uploadID == "" && !uploads &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPut) {
		f.object(w, r, bucket, key)
		return
	}
	f.handler.ServeHTTP(w, r)
}

// object handles GET, HEAD and PUT of one object: the ETag of a multipart
// object is shown as Complete returned it, and conditional headers naming that
// ETag are understood.
func (f *s3Server) object(w http.ResponseWriter, r *http.Request, bucket, key string) {
	rec, ok, err := f.backend.multipartETag(bucket, key)
	if err != nil || !ok {
		f.handler.ServeHTTP(w, r)
		return
	}
	plain := `"` + rec.MD5 + `"`
	for _, h := range []string{"If-None-Match", "If-Match"} {
		if v := r.Header.Get(h); v != "" && strings.Trim(v, `"`) == strings.Trim(rec.ETag, `"`) {
			r.Header.Set(h, plain)
		}
	}
	if r.Method == http.MethodPut {
		f.handler.ServeHTTP(w, r)
		return
	}
	ew := &etagWriter{ResponseWriter: w, plain: plain, etag: rec.ETag}
	f.handler.ServeHTTP(ew, r)
	// A HEAD answer may never call WriteHeader or Write: its headers go out
	// after the handler returns, so they can still be patched here.
	ew.patch()
}

// etagWriter replaces the plain MD5 ETag by the multipart one as the
// headers go out.
type etagWriter struct {
	http.ResponseWriter
	plain, etag string
	done        bool
}

func (w *etagWriter) patch() {
	if w.done {
		return
	}
	w.done = true
	if w.Header().Get("ETag") == w.plain {
		w.Header().Set("ETag", w.etag)
	}
}

func (w *etagWriter) WriteHeader(code int) {
	w.patch()
	w.ResponseWriter.WriteHeader(code)
}

func (w *etagWriter) Write(p []byte) (int, error) {
	w.patch()
	return w.ResponseWriter.Write(p)
}

// store is memory mode's objectStore: memStore, plus multipart uploads.
// Every write to a key forgets its remembered multipart ETag, and listings
// show the remembered ones.
type store struct {
	*memStore
	etags   *etagStore
	uploads multipartUploads

	locks  [64]sync.Mutex // Completes of one key take turns
	mu     sync.Mutex
	writes map[string]int // writes to keys a Complete is watching
}

func newStore(mem *memStore) *store {
	return &store{memStore: mem, etags: &etagStore{mem: map[string]etagRecord{}}, uploads: newMultipartUploads()}
}

// multipartETag implements objectStore.
func (b *store) multipartETag(bucket, key string) (etagRecord, bool, error) {
	return b.etags.get(bucket, key)
}

func (b *store) close() error { return nil }

func (b *store) lock(bucket, key string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return &b.locks[h.Sum32()%uint32(len(b.locks))]
}

func (b *store) watch(bucket, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.writes == nil {
		b.writes = map[string]int{}
	}
	b.writes[etagKey(bucket, key)] = 0
}

func (b *store) unwatch(bucket, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.writes, etagKey(bucket, key))
}

func (b *store) writesTo(bucket, key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes[etagKey(bucket, key)]
}

// wrote counts a write to watched keys and forgets their multipart ETags.
func (b *store) wrote(bucket string, keys ...string) error {
	b.mu.Lock()
	for _, key := range keys {
		if n, ok := b.writes[etagKey(bucket, key)]; ok {
			b.writes[etagKey(bucket, key)] = n + 1
		}
	}
	b.mu.Unlock()
	return b.etags.del(bucket, keys...)
}

func (b *store) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := b.memStore.ListBucket(name, prefix, page)
	if err != nil || list == nil || !b.etags.any(name) {
		return list, err
	}
	for _, c := range list.Contents {
		rec, ok, err := b.etags.get(name, c.Key)
		if err == nil && ok && strings.Trim(c.ETag, `"`) == rec.MD5 {
			c.ETag = rec.ETag
		}
	}
	return list, nil
}

func (b *store) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	res, err := b.memStore.PutObject(bucket, key, meta, input, size, cond)
	if err == nil {
		err = b.wrote(bucket, key)
	}
	return res, err
}

// CopyObject copies like gofakes3's CopyObject helper, except for the ETag
// it answers: the MD5 of the bytes copied, which is what the new object
// shows. The source's hash is not, when the source is a multipart upload.
func (b *store) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	src, err := b.memStore.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	defer src.Contents.Close()
	h := md5.New()
	if _, err := b.memStore.PutObject(dstBucket, dstKey, meta, io.TeeReader(src.Contents, h), src.Size, nil); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	if err := b.wrote(dstBucket, dstKey); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: gofakes3.FormatETag(h.Sum(nil)), LastModified: gofakes3.NewContentTime(time.Now())}, nil
}

func (b *store) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	res, err := b.memStore.DeleteObject(bucket, key)
	if err == nil {
		err = b.wrote(bucket, key)
	}
	return res, err
}

func (b *store) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	res, err := b.memStore.DeleteMulti(bucket, keys...)
	if err == nil {
		err = b.wrote(bucket, keys...)
	}
	return res, err
}

func (b *store) ForceDeleteBucket(name string) error {
	if err := b.memStore.ForceDeleteBucket(name); err != nil {
		return err
	}
	return b.etags.dropBucket(name)
}

// etagRecord is a remembered multipart ETag and the MD5 of the object it names.
type etagRecord struct {
	MD5  string // hex, unquoted
	ETag string // quoted, "md5-N"
}

// etagStore remembers multipart ETags in memory.
type etagStore struct {
	mu  sync.Mutex
	mem map[string]etagRecord
}

func etagKey(bucket, key string) string { return bucket + "\x00" + key }

func (s *etagStore) get(bucket, key string) (etagRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.mem[etagKey(bucket, key)]
	return rec, ok, nil
}

// any reports whether bucket may hold remembered ETags; it saves a lookup per
// listed object in the common case.
func (s *etagStore) any(bucket string) bool {
	prefix := bucket + "\x00"
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.mem {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func (s *etagStore) set(bucket, key string, rec etagRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem[etagKey(bucket, key)] = rec
	return nil
}

func (s *etagStore) del(bucket string, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range keys {
		delete(s.mem, etagKey(bucket, key))
	}
	return nil
}

func (s *etagStore) dropBucket(bucket string) error {
	prefix := bucket + "\x00"
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.mem {
		if strings.HasPrefix(k, prefix) {
			delete(s.mem, k)
		}
	}
	return nil
}

// bucketSource is one bucket of a s3Server as the edge's ObjectSource: it reads
// the backend directly, with the ETags users see through the S3 API.
type bucketSource struct {
	f      *s3Server
	bucket string
}

// Open implements ObjectSource.
func (s bucketSource) Open(ctx context.Context, key string) (*Object, error) {
	obj, err := s.f.backend.GetObject(s.bucket, key, nil)
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return nil, fmt.Errorf("%s/%s: %w", s.bucket, key, ErrNoSuchObject)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", s.bucket, key, err)
	}
	etag := `"` + hex.EncodeToString(obj.Hash) + `"`
	if rec, ok, err := s.f.backend.multipartETag(s.bucket, key); err == nil && ok && rec.MD5 == hex.EncodeToString(obj.Hash) {
		etag = rec.ETag
	}
	out := &Object{
		Size:   obj.Size,
		ETag:   etag,
		Header: http.Header{},
	}
	for k, v := range obj.Metadata {
		switch ck := http.CanonicalHeaderKey(k); {
		case ck == "Content-Type":
			out.ContentType = v
		case ck == "Last-Modified":
			out.LastModified, _ = http.ParseTime(v)
		case strings.HasPrefix(ck, "X-Amz-Meta-"), ck == "Content-Disposition", ck == "Content-Encoding",
			ck == "Content-Language", ck == "Cache-Control", ck == "Expires":
			out.Header.Set(ck, v)
		}
	}
	rs := &objectSeeker{
		size: obj.Size,
		hash: obj.Hash,
		rc:   obj.Contents,
		reopen: func(off int64) (*gofakes3.Object, error) {
			return s.f.backend.GetObject(s.bucket, key, &gofakes3.ObjectRangeRequest{Start: off, End: gofakes3.RangeNoEnd})
		},
	}
	out.Body = rs
	out.Close = rs.Close
	return out, nil
}

// objectSeeker makes a backend object's sequential reader seekable: seeking
// forward skips, seeking back reopens at the offset with a range request (and
// fails if the object changed meanwhile).
type objectSeeker struct {
	size   int64
	hash   []byte
	pos    int64 // where the next Read reads
	rcPos  int64 // where rc is
	rc     io.ReadCloser
	reopen func(off int64) (*gofakes3.Object, error)
}

func (s *objectSeeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += s.pos
	case io.SeekEnd:
		off += s.size
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if off < 0 {
		return 0, errors.New("seek: negative position")
	}
	s.pos = off
	return off, nil
}

func (s *objectSeeker) Read(p []byte) (int, error) {
	if s.pos >= s.size {
		return 0, io.EOF
	}
	if s.rc == nil || s.pos < s.rcPos {
		if s.rc != nil {
			s.rc.Close()
			s.rc = nil
		}
		obj, err := s.reopen(s.pos)
		if err != nil {
			return 0, fmt.Errorf("reopen object at %d: %w", s.pos, err)
		}
		if !bytes.Equal(obj.Hash, s.hash) {
			obj.Contents.Close()
			return 0, errors.New("object changed while it was being read")
		}
		s.rc, s.rcPos = obj.Contents, s.pos
	}
	if s.pos > s.rcPos {
		n, err := io.CopyN(io.Discard, s.rc, s.pos-s.rcPos)
		s.rcPos += n
		if err != nil {
			return 0, err
		}
	}
	n, err := s.rc.Read(p)
	s.rcPos += int64(n)
	s.pos = s.rcPos
	return n, err
}

// Close releases the reader.
func (s *objectSeeker) Close() error {
	if s.rc == nil {
		return nil
	}
	err := s.rc.Close()
	s.rc = nil
	return err
}

// Multipart uploads of the memory-mode sandbox, through gofakes3's
// MultipartBackend hook: gofakes3 parses the requests, checks part numbers
// and Content-MD5, and writes the answers; store keeps the uploads, in
// memory. (On disk, diskStore keeps them.)
//
// An upload's cost is dominated by hashing: S3 names each part by its MD5.
// Parts are read straight into a buffer of their Content-Length and hashed as
// they arrive, each in its own request goroutine (no global lock), so parts
// sent at once hash in parallel. Complete hands the parts to memStore as they
// are. The "md5-N"
// ETag it answers is the MD5 of the parts' MD5s, as S3 computes it.

var _ gofakes3.MultipartBackend = (*store)(nil)

// multipartUploads is the set of multipart uploads in progress.
type multipartUploads struct {
	mu   sync.Mutex
	seq  uint64
	byID map[gofakes3.UploadID]*multipartUpload
}

func newMultipartUploads() multipartUploads {
	// See newUploadID.
	return multipartUploads{seq: uint64(time.Now().UnixNano()), byID: map[gofakes3.UploadID]*multipartUpload{}}
}

// multipartUpload is one multipart upload. Its fields above mu never change.
type multipartUpload struct {
	id          gofakes3.UploadID
	bucket, key string
	meta        map[string]string
	initiated   time.Time

	mu    sync.Mutex
	parts map[int]*uploadPart
	done  bool // completed or aborted: no more parts
}

// uploadPart is one uploaded part.
type uploadPart struct {
	md5      [md5.Size]byte
	body     []byte
	modified time.Time
}

func (p *uploadPart) etag() string { return `"` + hex.EncodeToString(p.md5[:]) + `"` }

// partReadChunk is how much of a part is read before it is hashed: small
// enough to hash while still in the CPU cache.
const partReadChunk = 256 << 10

// upload finds an upload in progress, which must be for bucket and key.
func (b *store) upload(bucket, key string, id gofakes3.UploadID) (*multipartUpload, error) {
	b.uploads.mu.Lock()
	defer b.uploads.mu.Unlock()
	up := b.uploads.byID[id]
	if up == nil || up.bucket != bucket || up.key != key {
		return nil, gofakes3.ErrNoSuchUpload
	}
	return up, nil
}

// forget removes a finished upload; the caller holds up.mu.
func (b *store) forget(up *multipartUpload) {
	up.done = true
	up.parts = nil
	b.uploads.mu.Lock()
	delete(b.uploads.byID, up.id)
	b.uploads.mu.Unlock()
}

// CreateMultipartUpload implements gofakes3.MultipartBackend.
func (b *store) CreateMultipartUpload(bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	b.uploads.mu.Lock()
	defer b.uploads.mu.Unlock()
	b.uploads.seq++
	id, err := newUploadID(b.uploads.seq)
	if err != nil {
		return "", err
	}
	up := &multipartUpload{
		id:        id,
		bucket:    bucket,
		key:       key,
		meta:      meta,
		initiated: time.Now(),
		parts:     map[int]*uploadPart{},
	}
	b.uploads.byID[up.id] = up
	return up.id, nil
}

// UploadPart implements gofakes3.MultipartBackend. gofakes3 has checked the
// part number and that Content-Length is positive; input verifies
// Content-MD5, when the client sent one, at EOF.
func (b *store) UploadPart(bucket, key string, id gofakes3.UploadID, partNumber int, contentLength int64, input io.Reader) (string, error) {
	up, err := b.upload(bucket, key, id)
	if err != nil {
		return "", err
	}
	if contentLength > maxPartSize {
		return "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument, "part of %d bytes is above the 5 GiB maximum", contentLength)
	}
	body := make([]byte, contentLength)
	h := md5.New()
	for n := 0; n < len(body); {
		m, err := io.ReadFull(input, body[n:min(n+partReadChunk, len(body))])
		h.Write(body[n : n+m])
		n += m
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return "", gofakes3.ErrIncompleteBody
		}
		if err != nil {
			return "", err
		}
	}
	// Read on to EOF: that is where a Content-MD5 mismatch shows, and a
	// body longer than announced is refused.
	var extra [1]byte
	if m, err := io.ReadFull(input, extra[:]); m > 0 {
		return "", gofakes3.ErrIncompleteBody
	} else if err != io.EOF {
		return "", err
	}
	part := &uploadPart{body: body, modified: time.Now()}
	h.Sum(part.md5[:0])

	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return "", gofakes3.ErrNoSuchUpload
	}
	up.parts[partNumber] = part
	return part.etag(), nil
}

// maxPartSize is S3's largest part.
const maxPartSize = 5 << 30

// CompleteMultipartUpload implements gofakes3.MultipartBackend: it checks the
// list of parts as S3 does (ascending part numbers, each uploaded with that
// ETag), stores the object and remembers its "md5-N" ETag.
func (b *store) CompleteMultipartUpload(bucket, key string, id gofakes3.UploadID, input *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	up, err := b.upload(bucket, key, id)
	if err != nil {
		return "", "", err
	}
	// Parts arriving for this upload wait until it is done, then fail.
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return "", "", gofakes3.ErrNoSuchUpload
	}
	if len(input.Parts) == 0 {
		return "", "", gofakes3.ErrorMessage(gofakes3.ErrMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: a multipart upload needs at least one part")
	}
	var size int64
	parts := make([][]byte, 0, len(input.Parts))
	all := md5.New()
	for i, in := range input.Parts {
		if i > 0 && in.PartNumber <= input.Parts[i-1].PartNumber {
			return "", "", gofakes3.ErrInvalidPartOrder
		}
		p := up.parts[in.PartNumber]
		if p == nil || strings.Trim(in.ETag, `"`) != hex.EncodeToString(p.md5[:]) {
			return "", "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidPart,
				"One or more of the specified parts could not be found: part %d with ETag %s", in.PartNumber, in.ETag)
		}
		size += int64(len(p.body))
		parts = append(parts, p.body)
		all.Write(p.md5[:])
	}
	sum := all.Sum(nil)
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sum), len(input.Parts))

	if err := b.putMultipart(bucket, key, up.meta, parts, size, sum, etag); err != nil {
		return "", "", err
	}
	b.forget(up)
	return "", etag, nil
}

// putMultipart stores a completed upload as its parts and remembers its
// ETag, with the hash memStore keeps for the object (sum, the MD5 of the
// parts' MD5s). Writes to the key by other requests meanwhile are counted: if
// any landed, which object the hash belongs to is unknown, and nothing is
// remembered (the plain hash shows). A write in the last instant leaves a
// record whose hash no longer matches the object, and such records are
// ignored.
func (b *store) putMultipart(bucket, key string, meta map[string]string, parts [][]byte, size int64, sum []byte, etag string) error {
	mu := b.lock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	b.watch(bucket, key)
	defer b.unwatch(bucket, key)
	// The backend merges the old object's metadata into the map: give it
	// its own.
	m := make(map[string]string, len(meta))
	for k, v := range meta {
		m[k] = v
	}
	if err := b.memStore.putParts(bucket, key, m, parts, size, sum); err != nil {
		return err
	}
	if err := b.wrote(bucket, key); err != nil {
		return err
	}
	if b.writesTo(bucket, key) == 1 {
		_ = b.etags.set(bucket, key, etagRecord{MD5: hex.EncodeToString(sum), ETag: etag})
	}
	return nil
}

// AbortMultipartUpload implements gofakes3.MultipartBackend.
func (b *store) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	up, err := b.upload(bucket, key, id)
	if err != nil {
		return err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return gofakes3.ErrNoSuchUpload
	}
	b.forget(up)
	return nil
}

// ListParts implements gofakes3.MultipartBackend.
func (b *store) ListParts(bucket, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	up, err := b.upload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return nil, gofakes3.ErrNoSuchUpload
	}
	parts := make([]partSummary, 0, len(up.parts))
	for n, p := range up.parts {
		parts = append(parts, partSummary{number: n, md5: p.md5[:], size: int64(len(p.body)), modified: p.modified})
	}
	return pageParts(bucket, key, id, parts, marker, limit), nil
}

// partSummary is what ListParts shows of a part.
type partSummary struct {
	number   int
	md5      []byte
	size     int64
	modified time.Time
}

// pageParts is ListParts' answer: parts after marker, in order, at most
// limit of them.
func pageParts(bucket, key string, id gofakes3.UploadID, parts []partSummary, marker int, limit int64) *gofakes3.ListMultipartUploadPartsResult {
	slices.SortFunc(parts, func(x, y partSummary) int { return x.number - y.number })
	out := &gofakes3.ListMultipartUploadPartsResult{
		Bucket:           bucket,
		Key:              key,
		UploadID:         id,
		StorageClass:     "STANDARD",
		PartNumberMarker: marker,
		MaxParts:         limit,
	}
	for _, p := range parts {
		if p.number <= marker {
			continue
		}
		if int64(len(out.Parts)) >= limit {
			out.IsTruncated = true
			break
		}
		out.Parts = append(out.Parts, gofakes3.ListMultipartUploadPartItem{
			PartNumber:   p.number,
			LastModified: gofakes3.NewContentTime(p.modified),
			ETag:         gofakes3.FormatETag(p.md5),
			Size:         p.size,
		})
		out.NextPartNumberMarker = p.number
	}
	return out
}

// ListMultipartUploads implements gofakes3.MultipartBackend. gofakes3 has
// checked that the bucket exists.
func (b *store) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	b.uploads.mu.Lock()
	var ups []uploadSummary
	for _, up := range b.uploads.byID {
		if up.bucket == bucket && strings.HasPrefix(up.key, prefix.Prefix) {
			ups = append(ups, uploadSummary{key: up.key, id: up.id, initiated: up.initiated})
		}
	}
	b.uploads.mu.Unlock()
	return pageUploads(bucket, ups, marker, prefix, limit), nil
}

// uploadSummary is what ListMultipartUploads shows of an upload.
type uploadSummary struct {
	key       string
	id        gofakes3.UploadID
	initiated time.Time
}

// newUploadID is a new upload's ID: seq, which starts from the clock, then
// random bytes. IDs sort in the order uploads began, and an ID from an
// earlier run of the sandbox never names a new upload.
func newUploadID(seq uint64) (gofakes3.UploadID, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return gofakes3.UploadID(fmt.Sprintf("%016x%s", seq, hex.EncodeToString(r[:]))), nil
}

// pageUploads is ListMultipartUploads' answer, with S3's rules: uploads
// sorted by key, then by when they began; with a delimiter, keys below the
// prefix that hold it roll up into common prefixes, which count towards
// limit like uploads. ups are the bucket's uploads under the prefix.
func pageUploads(bucket string, ups []uploadSummary, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) *gofakes3.ListMultipartUploadsResult {
	// IDs sort in the order uploads began.
	slices.SortFunc(ups, func(x, y uploadSummary) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return strings.Compare(string(x.id), string(y.id))
	})

	out := &gofakes3.ListMultipartUploadsResult{
		Bucket:     bucket,
		MaxUploads: limit,
		Prefix:     prefix.Prefix,
		Delimiter:  prefix.Delimiter,
	}
	if marker != nil {
		out.KeyMarker, out.UploadIDMarker = marker.Object, marker.UploadID
	}
	seen := map[string]bool{}
	for _, up := range ups {
		if marker != nil {
			switch {
			case up.key < marker.Object:
				continue
			case up.key == marker.Object && (marker.UploadID == "" || up.id <= marker.UploadID):
				continue
			case marker.UploadID == "" && prefix.Delimiter != "" &&
				strings.HasSuffix(marker.Object, prefix.Delimiter) && strings.HasPrefix(up.key, marker.Object):
				// The marker is a common prefix a page ended on.
				continue
			}
		}
		common := ""
		if prefix.Delimiter != "" {
			rest := up.key[len(prefix.Prefix):]
			if i := strings.Index(rest, prefix.Delimiter); i >= 0 {
				common = prefix.Prefix + rest[:i+len(prefix.Delimiter)]
			}
		}
		if common != "" && seen[common] {
			continue
		}
		if int64(len(out.Uploads)+len(out.CommonPrefixes)) >= limit {
			out.IsTruncated = true
			break
		}
		if common != "" {
			seen[common] = true
			out.CommonPrefixes = append(out.CommonPrefixes, gofakes3.CommonPrefix{Prefix: common})
			out.NextKeyMarker, out.NextUploadIDMarker = common, ""
			continue
		}
		out.Uploads = append(out.Uploads, gofakes3.ListMultipartUploadItem{
			Key:          up.key,
			UploadID:     up.id,
			StorageClass: "STANDARD",
			Initiated:    gofakes3.NewContentTime(up.initiated),
		})
		out.NextKeyMarker, out.NextUploadIDMarker = up.key, up.id
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return out
}
