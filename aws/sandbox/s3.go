package sandbox

// The sandbox's S3 server: gofakes3 behind a thin http.Handler that fixes the
// quirks users would otherwise see.
//
//   - Multipart uploads are ours (multipartUploads, below), through gofakes3's
//     MultipartBackend hook; gofakes3 still parses the requests and writes
//     the answers. Its own uploader read each part into a growing buffer and
//     hashed it under one global lock, and Complete copied the whole object
//     twice and hashed all of it again: most of an upload's server time.
//     Ours reads a part once into a buffer of its Content-Length, hashing it
//     as it arrives, in parallel with other parts. It also answers an empty
//     ListMultipartUploadsResult for a bucket that never had an upload, where
//     gofakes3 answers NoSuchUpload.
//   - In memory mode objects live in memStore (below) rather than s3mem: it
//     keeps a completed upload as its parts, with no copy and no hash of the
//     whole object, as S3 does. The bolt backend is still s3bolt, which
//     copies and hashes a completed upload once.
//   - After CompleteMultipartUpload answered an "md5-N" ETag, gofakes3's HEAD,
//     GET and listings show the plain hash the backend keeps (s3bolt: the MD5
//     of the whole object; memStore: the MD5 of the parts' MD5s). We remember
//     the ETag Complete returned, together with that hash, and show it
//     instead wherever the object still has that hash. Any other write to the
//     key forgets it. With the bolt backend the remembered ETags live in the
//     same database file, so they survive restarts with the objects.
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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	bolt "go.etcd.io/bbolt"
	"gopkg.in/mgo.v2/bson"
)

// errLocked is the store held by another process.
var errLocked = errors.New("in use by another running sandbox")

// s3Server is the in-process S3 server of the sandbox.
type s3Server struct {
	backend *store
	handler http.Handler
	db      *bolt.DB // nil in memory mode
}

// mmapSize is the address space bolt maps up front (address space only:
// the file stays its size), so the map rarely moves; boltStore.GetObject is
// what keeps reads safe when it does.
const mmapSize = (strconv.IntSize / 64) * 64 << 30

// boltStore is s3bolt with reads that copy. s3bolt decodes an object straight
// from bolt's memory map and hands out slices of it after the read
// transaction ends; a later write may then reuse those pages (or grow and
// remap the file), so a GET still streaming served other bytes or faulted.
type boltStore struct {
	*s3bolt.Backend
	db *bolt.DB
}

// boltObject mirrors s3bolt's object record (its schema.go).
type boltObject struct {
	Name         string
	Metadata     map[string]string
	LastModified time.Time
	Size         int64
	Contents     []byte
	Hash         []byte
}

// GetObject reads the object out of bolt inside the transaction.
func (f boltStore) GetObject(bucket, key string, rangeRequest *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	var o boltObject
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return gofakes3.KeyNotFound(key)
		}
		// bson keeps slices of its input: decode a copy, not the map.
		if err := bson.Unmarshal(bytes.Clone(v), &o); err != nil {
			return fmt.Errorf("sandbox: object %s/%s is damaged: %v", bucket, key, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rng, err := rangeRequest.Range(o.Size)
	if err != nil {
		return nil, err
	}
	data := o.Contents
	if rng != nil {
		data = data[rng.Start : rng.Start+rng.Length]
	}
	return &gofakes3.Object{
		Name:     key,
		Metadata: o.Metadata,
		Size:     o.Size,
		Contents: io.NopCloser(bytes.NewReader(data)),
		Range:    rng,
		Hash:     o.Hash,
	}, nil
}

// HeadObject reads the object's record without its body.
func (f boltStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	var o struct {
		Metadata map[string]string
		Size     int64
		Hash     []byte
	}
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return gofakes3.KeyNotFound(key)
		}
		if err := bson.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("sandbox: object %s/%s is damaged: %v", bucket, key, err)
		}
		o.Hash = bytes.Clone(o.Hash) // out of the map before the transaction ends
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &gofakes3.Object{Name: key, Metadata: o.Metadata, Size: o.Size, Hash: o.Hash,
		Contents: io.NopCloser(bytes.NewReader(nil))}, nil
}

// newS3Server opens the S3 server: objects in boltPath, or in memory when
// boltPath is "".
func newS3Server(boltPath string) (*s3Server, error) {
	f := &s3Server{}
	var inner gofakes3.Backend
	if boltPath == "" {
		inner = newMemStore()
		f.backend = newStore(inner, &etagStore{mem: map[string]etagRecord{}})
	} else {
		db, err := bolt.Open(boltPath, 0o600, &bolt.Options{Timeout: time.Second, InitialMmapSize: mmapSize})
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open sandbox database %s: %w", boltPath, errLocked)
		}
		if err != nil {
			return nil, fmt.Errorf("open sandbox database %s: %w", boltPath, err)
		}
		f.db = db
		inner = boltStore{Backend: s3bolt.New(db), db: db}
		f.backend = newStore(inner, &etagStore{db: db})
	}
	// memStore, like the wrapper around s3bolt, has no versioning: memory
	// mode behaves like the bolt backend the app uses.
	g := gofakes3.New(f.backend,
		gofakes3.WithAutoBucket(false),
		gofakes3.WithLogger(gofakes3.DiscardLog()),
	)
	f.handler = g.Server()
	return f, nil
}

// close releases the database.
func (f *s3Server) close() error {
	if f.db == nil {
		return nil
	}
	return f.db.Close()
}

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

// store wraps a gofakes3 backend: every write to a key forgets its
// remembered multipart ETag, and listings show the remembered ones.
type store struct {
	gofakes3.Backend
	etags   *etagStore
	uploads multipartUploads

	locks  [64]sync.Mutex // Completes of one key take turns
	mu     sync.Mutex
	writes map[string]int // writes to keys a Complete is watching
}

func newStore(inner gofakes3.Backend, etags *etagStore) *store {
	return &store{Backend: inner, etags: etags, uploads: newMultipartUploads()}
}

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

func (b *store) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	res, err := b.Backend.PutObject(bucket, key, meta, input, size, cond)
	if err == nil {
		err = b.wrote(bucket, key)
	}
	return res, err
}

// CopyObject copies like gofakes3's CopyObject helper (which s3bolt and
// memStore use), with two differences. The ETag it answers is the MD5 of the
// bytes copied, which is what the new object shows: the source's hash is not,
// when the source is a multipart upload. And it reads no hash after the
// write: s3bolt's points into the database's memory map, which the write may
// move, and reading it afterwards crashed the sandbox.
func (b *store) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	src, err := b.Backend.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	defer src.Contents.Close()
	h := md5.New()
	if _, err := b.Backend.PutObject(dstBucket, dstKey, meta, io.TeeReader(src.Contents, h), src.Size, nil); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	if err := b.wrote(dstBucket, dstKey); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: gofakes3.FormatETag(h.Sum(nil)), LastModified: gofakes3.NewContentTime(time.Now())}, nil
}

func (b *store) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	res, err := b.Backend.DeleteObject(bucket, key)
	if err == nil {
		err = b.wrote(bucket, key)
	}
	return res, err
}

func (b *store) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	res, err := b.Backend.DeleteMulti(bucket, keys...)
	if err == nil {
		err = b.wrote(bucket, keys...)
	}
	return res, err
}

func (b *store) ForceDeleteBucket(name string) error {
	if err := b.Backend.ForceDeleteBucket(name); err != nil {
		return err
	}
	return b.etags.dropBucket(name)
}

// etagRecord is a remembered multipart ETag and the MD5 of the object it names.
type etagRecord struct {
	MD5  string // hex, unquoted
	ETag string // quoted, "md5-N"
}

// etagStore stores multipart ETags in memory or, with bolt, in a bucket nested
// inside s3bolt's "_meta" bucket: a top-level bolt bucket would show up as an
// S3 bucket in ListBuckets.
type etagStore struct {
	db *bolt.DB

	mu  sync.Mutex
	mem map[string]etagRecord
}

var (
	metaBoltBucket  = []byte("_meta")
	etagsBoltBucket = []byte("cfsign-multipart-etags")
)

func etagKey(bucket, key string) string { return bucket + "\x00" + key }

func (s *etagStore) get(bucket, key string) (etagRecord, bool, error) {
	k := etagKey(bucket, key)
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		rec, ok := s.mem[k]
		return rec, ok, nil
	}
	var rec etagRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		b := etagBucket(tx)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(k))
		if v == nil {
			return nil
		}
		md5hex, etag, found := strings.Cut(string(v), " ")
		if found {
			rec, ok = etagRecord{MD5: md5hex, ETag: etag}, true
		}
		return nil
	})
	return rec, ok, err
}

// any reports whether bucket may hold remembered ETags; it saves a lookup per
// listed object in the common case.
func (s *etagStore) any(bucket string) bool {
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
		if b := etagBucket(tx); b != nil {
			k, _ := b.Cursor().Seek([]byte(prefix))
			found = k != nil && bytes.HasPrefix(k, []byte(prefix))
		}
		return nil
	})
	return found
}

func (s *etagStore) set(bucket, key string, rec etagRecord) error {
	k := etagKey(bucket, key)
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.mem[k] = rec
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(metaBoltBucket)
		if err != nil {
			return err
		}
		b, err := meta.CreateBucketIfNotExists(etagsBoltBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(k), []byte(rec.MD5+" "+rec.ETag))
	})
}

func (s *etagStore) del(bucket string, keys ...string) error {
	if s.db == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, key := range keys {
			delete(s.mem, etagKey(bucket, key))
		}
		return nil
	}
	// Reading first keeps ordinary puts (no remembered ETag) free of a write
	// transaction.
	need := false
	s.db.View(func(tx *bolt.Tx) error {
		if b := etagBucket(tx); b != nil {
			for _, key := range keys {
				if b.Get([]byte(etagKey(bucket, key))) != nil {
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
		b := etagBucket(tx)
		if b == nil {
			return nil
		}
		for _, key := range keys {
			if err := b.Delete([]byte(etagKey(bucket, key))); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *etagStore) dropBucket(bucket string) error {
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
		b := etagBucket(tx)
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

func etagBucket(tx *bolt.Tx) *bolt.Bucket {
	meta := tx.Bucket(metaBoltBucket)
	if meta == nil {
		return nil
	}
	return meta.Bucket(etagsBoltBucket)
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
	if rec, ok, err := s.f.backend.etags.get(s.bucket, key); err == nil && ok && rec.MD5 == hex.EncodeToString(obj.Hash) {
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

// Multipart uploads of the sandbox, through gofakes3's MultipartBackend hook:
// gofakes3 parses the requests, checks part numbers and Content-MD5, and
// writes the answers; store keeps the uploads. Uploads in progress live
// in memory, as with gofakes3's own uploader.
//
// An upload's cost is dominated by hashing: S3 names each part by its MD5.
// Parts are read straight into a buffer of their Content-Length and hashed as
// they arrive, each in its own request goroutine (no global lock), so parts
// sent at once hash in parallel. Complete hands the parts to memStore as they
// are, or to s3bolt as one reader without joining them first. The "md5-N"
// ETag it answers is the MD5 of the parts' MD5s, as S3 computes it.

var _ gofakes3.MultipartBackend = (*store)(nil)

// multipartUploads is the set of multipart uploads in progress.
type multipartUploads struct {
	mu   sync.Mutex
	seq  uint64
	byID map[gofakes3.UploadID]*multipartUpload
}

func newMultipartUploads() multipartUploads {
	// IDs start from the clock, so an ID from an earlier run of the sandbox
	// never names a new upload, and sort in the order uploads began.
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
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	b.uploads.mu.Lock()
	defer b.uploads.mu.Unlock()
	b.uploads.seq++
	up := &multipartUpload{
		id:        gofakes3.UploadID(fmt.Sprintf("%016x%s", b.uploads.seq, hex.EncodeToString(r[:]))),
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

// putMultipart stores a completed upload and remembers its ETag, with the
// hash the backend keeps for the object (memStore keeps sum, the MD5 of the
// parts' MD5s; s3bolt hashes the whole object). Writes to the key by other
// requests meanwhile are counted: if any landed, which object the hash
// belongs to is unknown, and nothing is remembered (the plain hash shows). A
// write in the last instant leaves a record whose hash no longer matches the
// object, and such records are ignored.
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
	hash := sum
	if mem, ok := b.Backend.(*memStore); ok {
		if err := mem.putParts(bucket, key, m, parts, size, sum); err != nil {
			return err
		}
		if err := b.wrote(bucket, key); err != nil {
			return err
		}
	} else {
		readers := make([]io.Reader, len(parts))
		for i, p := range parts {
			readers[i] = bytes.NewReader(p)
		}
		if _, err := b.PutObject(bucket, key, m, io.MultiReader(readers...), size, nil); err != nil {
			return err
		}
		if b.writesTo(bucket, key) != 1 {
			return nil
		}
		obj, err := b.Backend.HeadObject(bucket, key)
		if err != nil {
			return nil
		}
		obj.Contents.Close()
		hash = obj.Hash
	}
	if b.writesTo(bucket, key) == 1 {
		// Best effort: if this fails the object keeps its plain ETag.
		_ = b.etags.set(bucket, key, etagRecord{MD5: hex.EncodeToString(hash), ETag: etag})
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

// ListParts implements gofakes3.MultipartBackend: parts after marker, in
// order, at most limit of them.
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
	nums := make([]int, 0, len(up.parts))
	for n := range up.parts {
		if n > marker {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	out := &gofakes3.ListMultipartUploadPartsResult{
		Bucket:           bucket,
		Key:              key,
		UploadID:         id,
		StorageClass:     "STANDARD",
		PartNumberMarker: marker,
		MaxParts:         limit,
	}
	for _, n := range nums {
		if int64(len(out.Parts)) >= limit {
			out.IsTruncated = true
			break
		}
		p := up.parts[n]
		out.Parts = append(out.Parts, gofakes3.ListMultipartUploadPartItem{
			PartNumber:   n,
			LastModified: gofakes3.NewContentTime(p.modified),
			ETag:         p.etag(),
			Size:         int64(len(p.body)),
		})
		out.NextPartNumberMarker = n
	}
	return out, nil
}

// ListMultipartUploads implements gofakes3.MultipartBackend with S3's rules:
// uploads sorted by key, then by when they began; with a delimiter, keys
// below the prefix that hold it roll up into common prefixes, which count
// towards limit like uploads. gofakes3 has checked that the bucket exists.
func (b *store) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	b.uploads.mu.Lock()
	var ups []*multipartUpload
	for _, up := range b.uploads.byID {
		if up.bucket == bucket && strings.HasPrefix(up.key, prefix.Prefix) {
			ups = append(ups, up)
		}
	}
	b.uploads.mu.Unlock()
	// IDs sort in the order uploads began.
	slices.SortFunc(ups, func(x, y *multipartUpload) int {
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
	return out, nil
}
