package aws

// The sandbox's S3 server: gofakes3 behind a thin http.Handler that fixes the
// quirks users would otherwise see.
//
//   - ListMultipartUploads on a bucket that never had an upload answers
//     NoSuchUpload in gofakes3; S3 answers an empty ListMultipartUploadsResult,
//     and so do we.
//   - After CompleteMultipartUpload answered an "md5-N" ETag, gofakes3's HEAD,
//     GET and listings show the plain MD5 of the whole object. We remember the
//     ETag Complete returned, together with the MD5 it stands for, and show it
//     instead wherever the object still has that MD5. Any other write to the
//     key forgets it. With the bolt backend the remembered ETags live in the
//     same database file, so they survive restarts with the objects.
//
// gofakes3 does no authentication at all: any credentials (or none) are
// accepted. The sandbox still hands out fixed credentials so that clients that
// insist on signing have something to sign with.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	bolt "go.etcd.io/bbolt"
)

// fakeS3 is the in-process S3 server of the sandbox.
type fakeS3 struct {
	backend *fakeBackend
	handler http.Handler
	db      *bolt.DB // nil in memory mode
	locks   [64]sync.Mutex
}

// newFakeS3 opens the S3 server: objects in boltPath, or in memory when
// boltPath is "".
func newFakeS3(boltPath string) (*fakeS3, error) {
	f := &fakeS3{}
	var inner gofakes3.Backend
	if boltPath == "" {
		inner = s3mem.New()
		f.backend = &fakeBackend{Backend: inner, etags: &fakeETags{mem: map[string]fakeETag{}}}
	} else {
		db, err := bolt.Open(boltPath, 0o600, &bolt.Options{Timeout: time.Second})
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open sandbox database %s: in use by another running sandbox", boltPath)
		}
		if err != nil {
			return nil, fmt.Errorf("open sandbox database %s: %w", boltPath, err)
		}
		f.db = db
		inner = s3bolt.New(db)
		f.backend = &fakeBackend{Backend: inner, etags: &fakeETags{db: db}}
	}
	// The wrapper hides s3mem's optional versioning on purpose: memory mode
	// then behaves like the bolt backend the app uses.
	g := gofakes3.New(f.backend,
		gofakes3.WithAutoBucket(false),
		gofakes3.WithLogger(gofakes3.DiscardLog()),
	)
	f.handler = g.Server()
	return f, nil
}

// close releases the database.
func (f *fakeS3) close() error {
	if f.db == nil {
		return nil
	}
	return f.db.Close()
}

// ensureBucket creates bucket unless it exists.
func (f *fakeS3) ensureBucket(bucket string) error {
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

func (f *fakeS3) lock(bucket, key string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return &f.locks[h.Sum32()%uint32(len(f.locks))]
}

// ServeHTTP routes like gofakes3 (path-style: /bucket/key) and patches the
// answers that differ from S3.
func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	_, uploads := q["uploads"]
	uploadID := q.Get("uploadId")

	switch {
	case bucket != "" && key == "" && uploads && r.Method == http.MethodGet:
		f.listMultipartUploads(w, r, bucket)
	case bucket != "" && key != "" && uploadID != "" && r.Method == http.MethodPost:
		f.completeMultipartUpload(w, r, bucket, key)
	case bucket != "" && key != "" && uploadID == "" && !uploads &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPut):
		f.object(w, r, bucket, key)
	default:
		f.handler.ServeHTTP(w, r)
	}
}

// listMultipartUploads answers an empty list where gofakes3 says NoSuchUpload.
func (f *fakeS3) listMultipartUploads(w http.ResponseWriter, r *http.Request, bucket string) {
	rec := newFakeRecorder()
	f.handler.ServeHTTP(rec, r)
	if rec.status != http.StatusNotFound || !bytes.Contains(rec.body.Bytes(), []byte("<Code>NoSuchUpload</Code>")) {
		rec.replay(w)
		return
	}
	q := r.URL.Query()
	maxUploads, err := strconv.ParseInt(q.Get("max-uploads"), 10, 64)
	if err != nil || maxUploads <= 0 || maxUploads > 1000 {
		maxUploads = 1000
	}
	out := gofakes3.ListMultipartUploadsResult{
		Bucket:     bucket,
		KeyMarker:  q.Get("key-marker"),
		MaxUploads: maxUploads,
		Delimiter:  q.Get("delimiter"),
		Prefix:     q.Get("prefix"),
	}
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		rec.replay(w)
		return
	}
	for k, v := range rec.header {
		if k != "Content-Length" && k != "Content-Type" {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// completeMultipartUpload remembers the ETag Complete answers, with the MD5
// of the object it was computed for. Writes to the key by other requests
// while Complete runs are counted: if any landed, which object HeadObject
// saw is unknown, and nothing is remembered (the plain MD5 shows). A write
// in the last instant leaves a record whose MD5 no longer matches the object,
// and such records are ignored.
func (f *fakeS3) completeMultipartUpload(w http.ResponseWriter, r *http.Request, bucket, key string) {
	// Completes of one key take turns, so one watch per key suffices.
	mu := f.lock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	f.backend.watch(bucket, key)
	defer f.backend.unwatch(bucket, key)

	rec := newFakeRecorder()
	f.handler.ServeHTTP(rec, r)
	if rec.status == http.StatusOK && f.backend.writesTo(bucket, key) == 1 {
		var res gofakes3.CompleteMultipartUploadResult
		if xml.Unmarshal(rec.body.Bytes(), &res) == nil && strings.Contains(res.ETag, "-") {
			obj, err := f.backend.Backend.HeadObject(bucket, key)
			if err == nil {
				obj.Contents.Close()
				if f.backend.writesTo(bucket, key) == 1 {
					// Best effort: if this fails the object keeps its MD5 ETag.
					_ = f.backend.etags.set(bucket, key, fakeETag{MD5: hex.EncodeToString(obj.Hash), ETag: res.ETag})
				}
			}
		}
	}
	rec.replay(w)
}

// object handles GET, HEAD and PUT of one object: the ETag of a multipart
// object is shown as Complete returned it, and conditional headers naming that
// ETag are understood.
func (f *fakeS3) object(w http.ResponseWriter, r *http.Request, bucket, key string) {
	rec, ok, err := f.backend.etags.get(bucket, key)
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
	ew := &fakeETagWriter{ResponseWriter: w, plain: plain, etag: rec.ETag}
	f.handler.ServeHTTP(ew, r)
	// A HEAD answer may never call WriteHeader or Write: its headers go out
	// after the handler returns, so they can still be patched here.
	ew.patch()
}

// fakeETagWriter replaces the plain MD5 ETag by the multipart one as the
// headers go out.
type fakeETagWriter struct {
	http.ResponseWriter
	plain, etag string
	done        bool
}

func (w *fakeETagWriter) patch() {
	if w.done {
		return
	}
	w.done = true
	if w.Header().Get("ETag") == w.plain {
		w.Header().Set("ETag", w.etag)
	}
}

func (w *fakeETagWriter) WriteHeader(code int) {
	w.patch()
	w.ResponseWriter.WriteHeader(code)
}

func (w *fakeETagWriter) Write(p []byte) (int, error) {
	w.patch()
	return w.ResponseWriter.Write(p)
}

// fakeBackend wraps a gofakes3 backend: every write to a key forgets its
// remembered multipart ETag, and listings show the remembered ones.
type fakeBackend struct {
	gofakes3.Backend
	etags *fakeETags

	mu     sync.Mutex
	writes map[string]int // writes to keys a Complete is watching
}

func (b *fakeBackend) watch(bucket, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.writes == nil {
		b.writes = map[string]int{}
	}
	b.writes[fakeETagKey(bucket, key)] = 0
}

func (b *fakeBackend) unwatch(bucket, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.writes, fakeETagKey(bucket, key))
}

func (b *fakeBackend) writesTo(bucket, key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes[fakeETagKey(bucket, key)]
}

// wrote counts a write to watched keys and forgets their multipart ETags.
func (b *fakeBackend) wrote(bucket string, keys ...string) error {
	b.mu.Lock()
	for _, key := range keys {
		if n, ok := b.writes[fakeETagKey(bucket, key)]; ok {
			b.writes[fakeETagKey(bucket, key)] = n + 1
		}
	}
	b.mu.Unlock()
	return b.etags.del(bucket, keys...)
}

func (b *fakeBackend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := b.Backend.ListBucket(name, prefix, page)
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

func (b *fakeBackend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	res, err := b.Backend.PutObject(bucket, key, meta, input, size, cond)
	if err == nil {
		err = b.wrote(bucket, key)
	}
	return res, err
}

func (b *fakeBackend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	res, err := b.Backend.CopyObject(srcBucket, srcKey, dstBucket, dstKey, meta)
	if err == nil {
		err = b.wrote(dstBucket, dstKey)
	}
	return res, err
}

func (b *fakeBackend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	res, err := b.Backend.DeleteObject(bucket, key)
	if err == nil {
		err = b.wrote(bucket, key)
	}
	return res, err
}

func (b *fakeBackend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	res, err := b.Backend.DeleteMulti(bucket, keys...)
	if err == nil {
		err = b.wrote(bucket, keys...)
	}
	return res, err
}

func (b *fakeBackend) ForceDeleteBucket(name string) error {
	if err := b.Backend.ForceDeleteBucket(name); err != nil {
		return err
	}
	return b.etags.dropBucket(name)
}

// fakeETag is a remembered multipart ETag and the MD5 of the object it names.
type fakeETag struct {
	MD5  string // hex, unquoted
	ETag string // quoted, "md5-N"
}

// fakeETags stores multipart ETags in memory or, with bolt, in a bucket nested
// inside s3bolt's "_meta" bucket: a top-level bolt bucket would show up as an
// S3 bucket in ListBuckets.
type fakeETags struct {
	db *bolt.DB

	mu  sync.Mutex
	mem map[string]fakeETag
}

var (
	fakeMetaBucket  = []byte("_meta")
	fakeETagsBucket = []byte("cfsign-multipart-etags")
)

func fakeETagKey(bucket, key string) string { return bucket + "\x00" + key }

func (s *fakeETags) get(bucket, key string) (fakeETag, bool, error) {
	k := fakeETagKey(bucket, key)
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		rec, ok := s.mem[k]
		return rec, ok, nil
	}
	var rec fakeETag
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		b := fakeETagBucket(tx)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(k))
		if v == nil {
			return nil
		}
		md5hex, etag, found := strings.Cut(string(v), " ")
		if found {
			rec, ok = fakeETag{MD5: md5hex, ETag: etag}, true
		}
		return nil
	})
	return rec, ok, err
}

// any reports whether bucket may hold remembered ETags; it saves a lookup per
// listed object in the common case.
func (s *fakeETags) any(bucket string) bool {
	prefix := bucket + "\x00"
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for k := range s.mem {
			if strings.HasPrefix(k, prefix) {
				return true
			}
		}
		return false
	}
	found := false
	s.db.View(func(tx *bolt.Tx) error {
		if b := fakeETagBucket(tx); b != nil {
			k, _ := b.Cursor().Seek([]byte(prefix))
			found = k != nil && bytes.HasPrefix(k, []byte(prefix))
		}
		return nil
	})
	return found
}

func (s *fakeETags) set(bucket, key string, rec fakeETag) error {
	k := fakeETagKey(bucket, key)
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.mem[k] = rec
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(fakeMetaBucket)
		if err != nil {
			return err
		}
		b, err := meta.CreateBucketIfNotExists(fakeETagsBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(k), []byte(rec.MD5+" "+rec.ETag))
	})
}

func (s *fakeETags) del(bucket string, keys ...string) error {
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, key := range keys {
			delete(s.mem, fakeETagKey(bucket, key))
		}
		return nil
	}
	// Reading first keeps ordinary puts (no remembered ETag) free of a write
	// transaction.
	need := false
	s.db.View(func(tx *bolt.Tx) error {
		if b := fakeETagBucket(tx); b != nil {
			for _, key := range keys {
				if b.Get([]byte(fakeETagKey(bucket, key))) != nil {
					need = true
					break
				}
			}
		}
		return nil
	})
	if !need {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := fakeETagBucket(tx)
		if b == nil {
			return nil
		}
		for _, key := range keys {
			if err := b.Delete([]byte(fakeETagKey(bucket, key))); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *fakeETags) dropBucket(bucket string) error {
	prefix := bucket + "\x00"
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for k := range s.mem {
			if strings.HasPrefix(k, prefix) {
				delete(s.mem, k)
			}
		}
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := fakeETagBucket(tx)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Seek([]byte(prefix)) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func fakeETagBucket(tx *bolt.Tx) *bolt.Bucket {
	meta := tx.Bucket(fakeMetaBucket)
	if meta == nil {
		return nil
	}
	return meta.Bucket(fakeETagsBucket)
}

// fakeRecorder buffers a small response (XML answers) so it can be inspected
// before it is sent.
type fakeRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newFakeRecorder() *fakeRecorder { return &fakeRecorder{header: http.Header{}} }

func (r *fakeRecorder) Header() http.Header { return r.header }

func (r *fakeRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *fakeRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

func (r *fakeRecorder) replay(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	w.Write(r.body.Bytes())
}

// fakeSource is one bucket of a fakeS3 as the edge's ObjectSource: it reads
// the backend directly, with the ETags users see through the S3 API.
type fakeSource struct {
	f      *fakeS3
	bucket string
}

// Open implements ObjectSource.
func (s fakeSource) Open(ctx context.Context, key string) (*EdgeObject, error) {
	obj, err := s.f.backend.GetObject(s.bucket, key, nil)
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return nil, fmt.Errorf("%s/%s: %w", s.bucket, key, ErrNoSuchObject)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", s.bucket, key, err)
	}
	etag := `"` + hex.EncodeToString(obj.Hash) + `"`
	if rec, ok, err := s.f.backend.etags.get(s.bucket, key); err == nil && ok && rec.MD5 == hex.EncodeToString(obj.Hash) {
		etag = rec.ETag
	}
	out := &EdgeObject{
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
	rs := &fakeSeeker{
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

// fakeSeeker makes a backend object's sequential reader seekable: seeking
// forward skips, seeking back reopens at the offset with a range request (and
// fails if the object changed meanwhile).
type fakeSeeker struct {
	size   int64
	hash   []byte
	pos    int64 // where the next Read reads
	rcPos  int64 // where rc is
	rc     io.ReadCloser
	reopen func(off int64) (*gofakes3.Object, error)
}

func (s *fakeSeeker) Seek(off int64, whence int) (int64, error) {
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

func (s *fakeSeeker) Read(p []byte) (int, error) {
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
func (s *fakeSeeker) Close() error {
	if s.rc == nil {
		return nil
	}
	err := s.rc.Close()
	s.rc = nil
	return err
}
