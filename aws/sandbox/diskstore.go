package sandbox

// diskStore is the sandbox's on-disk store (the default mode): objects are
// plain files, their metadata a small bolt index. It replaces gofakes3's
// s3bolt, which kept every object's bytes inside one memory-mapped database
// file: the process's memory grew with the data stored, deleting freed
// nothing, and every write copied the object into the database.
//
// Layout of DATA/s3:
//
//	index.bolt           buckets, object records, uploads in progress
//	objects/XX/NAME      an object's bytes (NAME random, XX its first two
//	                     characters); a multipart object is its parts,
//	                     NAME.1, NAME.2, ... in order
//	uploads/ID/N-RAND    the parts of an upload in progress
//	tmp/                 files being written, renamed into place when whole
//
// File names never derive from keys (keys may hold any bytes). Every file is
// written to tmp/ while its MD5 is computed, synced, then renamed into
// place; the index commit that names it comes after, and the files a commit
// stops naming (an overwritten or deleted object, a replaced part) are
// removed after it. A reader that opened an object's files keeps reading
// them even when they are removed meanwhile. Complete renames the parts into
// objects/ as the object's segments: no copy, no hash of the whole object.
// As in S3 (and memStore) a multipart object's hash is the MD5 of its parts'
// MD5s, and the index keeps the "md5-N" ETag Complete answered, which
// listings show and object() patches into GET and HEAD answers.
//
// Uploads in progress are in the index and in uploads/, so they survive a
// restart. A crash may leave a file that no index record names (written but
// never committed); nothing reads it.

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
)

const (
	diskIndexFile  = "index.bolt"
	diskObjectsDir = "objects"
	diskUploadsDir = "uploads"
	diskTmpDir     = "tmp"
)

// Top-level buckets of the index.
var (
	idxBuckets = []byte("buckets") // S3 bucket name -> creation time (RFC 3339)
	idxObjects = []byte("objects") // one nested bucket per S3 bucket: key -> diskObject
	idxUploads = []byte("uploads") // one nested bucket per upload ID: uploadInfoKey -> diskUpload, part number -> diskPart
)

// uploadInfoKey holds an upload's record; part numbers are 4-byte keys.
var uploadInfoKey = []byte("u")

// diskObject is an object's index record.
type diskObject struct {
	Size     int64             `json:"size"`
	Hash     []byte            `json:"md5"`            // MD5 of the body, or of the parts' MD5s
	ETag     string            `json:"etag,omitempty"` // quoted "md5-N" of a multipart object
	Modified time.Time         `json:"modified"`
	Meta     map[string]string `json:"meta,omitempty"`
	Files    []diskSegment     `json:"files,omitempty"` // none for an empty object
}

// diskSegment is one file of an object, under objects/.
type diskSegment struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// diskUpload is a multipart upload in progress.
type diskUpload struct {
	Bucket    string            `json:"bucket"`
	Key       string            `json:"key"`
	Meta      map[string]string `json:"meta,omitempty"`
	Initiated time.Time         `json:"initiated"`
}

// diskPart is an uploaded part, in uploads/ID/.
type diskPart struct {
	MD5      []byte    `json:"md5"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	File     string    `json:"file"`
}

// diskStore implements gofakes3.Backend and gofakes3.MultipartBackend on disk.
type diskStore struct {
	dir string
	db  *bolt.DB
	seq atomic.Uint64 // upload IDs

	// Part commits, Complete and Abort of one upload take turns.
	locks [64]sync.Mutex
}

var (
	_ gofakes3.Backend          = (*diskStore)(nil)
	_ gofakes3.MultipartBackend = (*diskStore)(nil)
)

// openDiskStore opens (creating) the store in dir. A store another process
// has open fails with errLocked.
func openDiskStore(dir string) (*diskStore, error) {
	for _, sub := range []string{"", diskObjectsDir, diskUploadsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("create sandbox store: %w", err)
		}
	}
	path := filepath.Join(dir, diskIndexFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open sandbox store %s: %w", path, errLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open sandbox store %s: %w", path, err)
	}
	d := &diskStore{dir: dir, db: db}
	d.seq.Store(uint64(time.Now().UnixNano()))
	if err := d.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sandbox store %s: %w", dir, err)
	}
	return d, nil
}

// init creates the index's buckets and, holding the index's lock, clears
// what a crash may have left: half-written files, parts of uploads the
// index no longer knows.
func (d *diskStore) init() error {
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{idxBuckets, idxObjects, idxUploads} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	tmp := filepath.Join(d.dir, diskTmpDir)
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	ents, err := os.ReadDir(filepath.Join(d.dir, diskUploadsDir))
	if err != nil {
		return err
	}
	return d.db.View(func(tx *bolt.Tx) error {
		ups := tx.Bucket(idxUploads)
		for _, e := range ents {
			if ups.Bucket([]byte(e.Name())) == nil {
				os.RemoveAll(filepath.Join(d.dir, diskUploadsDir, e.Name()))
			}
		}
		return nil
	})
}

func (d *diskStore) close() error { return d.db.Close() }

func (d *diskStore) lock(id gofakes3.UploadID) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id))
	return &d.locks[h.Sum32()%uint32(len(d.locks))]
}

// objectPath is where the segment file name lives.
func (d *diskStore) objectPath(name string) string {
	return filepath.Join(d.dir, diskObjectsDir, name[:2], name)
}

func (d *diskStore) uploadDir(id gofakes3.UploadID) string {
	return filepath.Join(d.dir, diskUploadsDir, string(id))
}

// randomName is a fresh file name.
func randomName() (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(r[:]), nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// writeFile writes exactly size bytes of r to a new file at dst (0600),
// hashing them: in tmp/, synced, then renamed. It reads r on to EOF, where
// gofakes3's reader reports a Content-MD5 mismatch; a body shorter or longer
// than size is gofakes3.ErrIncompleteBody. size 0 writes no file.
func (d *diskStore) writeFile(dst string, r io.Reader, size int64) (sum [md5.Size]byte, err error) {
	h := md5.New()
	var f *os.File
	if size > 0 {
		f, err = os.CreateTemp(filepath.Join(d.dir, diskTmpDir), "w-")
		if err != nil {
			return sum, err
		}
		defer func() {
			if f != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}()
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for n := int64(0); n < size; {
		m, rerr := io.ReadFull(r, buf[:min(int64(len(buf)), size-n)])
		h.Write(buf[:m])
		if _, err := f.Write(buf[:m]); err != nil {
			return sum, err
		}
		n += int64(m)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return sum, gofakes3.ErrIncompleteBody
		}
		if rerr != nil {
			return sum, rerr
		}
	}
	var extra [1]byte
	if m, err := io.ReadFull(r, extra[:]); m > 0 {
		return sum, gofakes3.ErrIncompleteBody
	} else if err != io.EOF {
		return sum, err
	}
	h.Sum(sum[:0])
	if f == nil {
		return sum, nil
	}
	if err := f.Sync(); err != nil {
		return sum, err
	}
	if err := f.Close(); err != nil {
		return sum, err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return sum, err
		}
		// A shard directory is made on its first use.
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return sum, err
		}
		if err := os.Rename(f.Name(), dst); err != nil {
			return sum, err
		}
	}
	f = nil
	return sum, syncDir(filepath.Dir(dst))
}

// syncDir makes the renames into dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// removeFiles removes the segment files of an object no record names any more.
func (d *diskStore) removeFiles(files []diskSegment) {
	for _, s := range files {
		os.Remove(d.objectPath(s.Name))
	}
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("sandbox store record %q is damaged: %v", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// objects is the index bucket of an S3 bucket's objects, nil when the bucket
// does not exist.
func objectsOf(tx *bolt.Tx, bucket string) *bolt.Bucket {
	return tx.Bucket(idxObjects).Bucket([]byte(bucket))
}

// ListBuckets implements gofakes3.Backend.
func (d *diskStore) ListBuckets() ([]gofakes3.BucketInfo, error) {
	var out []gofakes3.BucketInfo
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(idxBuckets).ForEach(func(k, v []byte) error {
			created, _ := time.Parse(time.RFC3339Nano, string(v))
			out = append(out, gofakes3.BucketInfo{Name: string(k), CreationDate: gofakes3.NewContentTime(created)})
			return nil
		})
	})
	return out, err
}

// CreateBucket implements gofakes3.Backend.
func (d *diskStore) CreateBucket(name string) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		bs := tx.Bucket(idxBuckets)
		if bs.Get([]byte(name)) != nil {
			return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
		}
		if err := bs.Put([]byte(name), []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		_, err := tx.Bucket(idxObjects).CreateBucketIfNotExists([]byte(name))
		return err
	})
}

// BucketExists implements gofakes3.Backend.
func (d *diskStore) BucketExists(name string) (bool, error) {
	var ok bool
	err := d.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(idxBuckets).Get([]byte(name)) != nil
		return nil
	})
	return ok, err
}

// DeleteBucket implements gofakes3.Backend.
func (d *diskStore) DeleteBucket(name string) error {
	return d.deleteBucket(name, false)
}

// ForceDeleteBucket implements gofakes3.Backend.
func (d *diskStore) ForceDeleteBucket(name string) error {
	return d.deleteBucket(name, true)
}

func (d *diskStore) deleteBucket(name string, force bool) error {
	var files []diskSegment
	var uploads []gofakes3.UploadID
	err := d.db.Update(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, name)
		if objs == nil {
			return gofakes3.ErrNoSuchBucket
		}
		if k, _ := objs.Cursor().First(); k != nil {
			if !force {
				return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
			}
			if err := objs.ForEach(func(k, v []byte) error {
				var o diskObject
				if err := json.Unmarshal(v, &o); err == nil {
					files = append(files, o.Files...)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		ups := tx.Bucket(idxUploads)
		if err := ups.ForEach(func(id, _ []byte) error {
			var up diskUpload
			if ok, _ := getJSON(ups.Bucket(id), uploadInfoKey, &up); ok && up.Bucket == name {
				uploads = append(uploads, gofakes3.UploadID(id))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range uploads {
			if err := ups.DeleteBucket([]byte(id)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(idxObjects).DeleteBucket([]byte(name)); err != nil {
			return err
		}
		return tx.Bucket(idxBuckets).Delete([]byte(name))
	})
	if err != nil {
		return err
	}
	d.removeFiles(files)
	for _, id := range uploads {
		os.RemoveAll(d.uploadDir(id))
	}
	return nil
}

// lookup reads key's record.
func (d *diskStore) lookup(bucket, key string) (*diskObject, error) {
	var o diskObject
	err := d.db.View(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		ok, err := getJSON(objs, []byte(key), &o)
		if err == nil && !ok {
			err = gofakes3.KeyNotFound(key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// multipartETag implements objectStore.
func (d *diskStore) multipartETag(bucket, key string) (etagRecord, bool, error) {
	o, err := d.lookup(bucket, key)
	if err != nil || o.ETag == "" {
		return etagRecord{}, false, nil
	}
	return etagRecord{MD5: hex.EncodeToString(o.Hash), ETag: o.ETag}, true, nil
}

// GetObject implements gofakes3.Backend.
func (d *diskStore) GetObject(bucket, key string, rangeRequest *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	for attempt := 0; ; attempt++ {
		o, err := d.lookup(bucket, key)
		if err != nil {
			return nil, err
		}
		rng, err := rangeRequest.Range(o.Size)
		if err != nil {
			return nil, err
		}
		start, length := int64(0), o.Size
		if rng != nil {
			start, length = rng.Start, rng.Length
		}
		body, err := d.open(o.Files, start, length)
		if errors.Is(err, fs.ErrNotExist) && attempt < 5 {
			continue // replaced between the lookup and the open: look again
		}
		if err != nil {
			return nil, fmt.Errorf("read %s/%s: %w", bucket, key, err)
		}
		return &gofakes3.Object{
			Name:     key,
			Hash:     o.Hash,
			Metadata: o.Meta,
			Size:     o.Size,
			Range:    rng,
			Contents: body,
		}, nil
	}
}

// HeadObject implements gofakes3.Backend.
func (d *diskStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	o, err := d.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	return &gofakes3.Object{
		Name:     key,
		Hash:     o.Hash,
		Metadata: o.Meta,
		Size:     o.Size,
		Contents: io.NopCloser(strings.NewReader("")),
	}, nil
}

// open opens the segments holding length bytes from start, all at once: a
// later removal of the files does not reach a reader that opened them.
func (d *diskStore) open(files []diskSegment, start, length int64) (*segmentReader, error) {
	r := &segmentReader{}
	var off int64
	for _, s := range files {
		lo, hi := max(start, off), min(start+length, off+s.Size)
		if lo < hi {
			f, err := os.Open(d.objectPath(s.Name))
			if err != nil {
				r.Close()
				return nil, err
			}
			r.segs = append(r.segs, io.NewSectionReader(f, lo-off, hi-lo))
			r.files = append(r.files, f)
		}
		off += s.Size
	}
	return r, nil
}

// segmentReader reads an object's segments in turn.
type segmentReader struct {
	segs  []*io.SectionReader
	files []*os.File
}

func (r *segmentReader) Read(p []byte) (int, error) {
	for len(r.segs) > 0 {
		n, err := r.segs[0].Read(p)
		if err == io.EOF {
			r.segs = r.segs[1:]
			err = nil
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.EOF
}

func (r *segmentReader) Close() error {
	for _, f := range r.files {
		f.Close()
	}
	r.segs, r.files = nil, nil
	return nil
}

// PutObject implements gofakes3.Backend like memStore: metadata not given is
// carried over from the object replaced, the ETag is the body's MD5.
func (d *diskStore) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	o, err := d.writeObject(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	o.Meta = meta
	return gofakes3.PutObjectResult{}, d.commit(bucket, key, o, cond)
}

// writeObject writes a single-part object's file.
func (d *diskStore) writeObject(input io.Reader, size int64) (*diskObject, error) {
	name, err := randomName()
	if err != nil {
		return nil, err
	}
	sum, err := d.writeFile(d.objectPath(name), input, size)
	if err != nil {
		return nil, err
	}
	o := &diskObject{Size: size, Hash: sum[:]}
	if size > 0 {
		o.Files = []diskSegment{{Name: name, Size: size}}
	}
	return o, nil
}

// mergeMeta is the metadata of an object replacing one with old: what is
// given, and what is not given carried over (as gofakes3.MergeMetadata does
// for the memory store).
func mergeMeta(old, given map[string]string) map[string]string {
	meta := make(map[string]string, len(old)+len(given))
	maps.Copy(meta, old)
	maps.Copy(meta, given)
	return meta
}

// commit records o as key's object, then removes the files of the object
// it replaced; when it fails, it removes o's files instead.
func (d *diskStore) commit(bucket, key string, o *diskObject, cond *gofakes3.PutConditions) error {
	var old diskObject
	err := d.db.Update(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		exists, err := getJSON(objs, []byte(key), &old)
		if err != nil {
			return err
		}
		if cond != nil {
			if err := gofakes3.CheckPutConditions(cond, &gofakes3.ConditionalObjectInfo{Exists: exists, Hash: old.Hash}); err != nil {
				return err
			}
		}
		o.Meta = mergeMeta(old.Meta, o.Meta)
		if o.Modified.IsZero() {
			o.Modified = time.Now()
		}
		return putJSON(objs, []byte(key), o)
	})
	if err != nil {
		d.removeFiles(o.Files)
		return err
	}
	d.removeFiles(old.Files)
	return nil
}

// CopyObject implements gofakes3.Backend as store.CopyObject does: the ETag
// answered is the MD5 of the bytes copied, which the copy shows.
func (d *diskStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	src, err := d.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	defer src.Contents.Close()
	o, err := d.writeObject(src.Contents, src.Size)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	o.Meta = meta
	if err := d.commit(dstBucket, dstKey, o, nil); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: gofakes3.FormatETag(o.Hash), LastModified: gofakes3.NewContentTime(o.Modified)}, nil
}

// DeleteObject implements gofakes3.Backend; deleting a missing key is no
// error, as in S3.
func (d *diskStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	_, err := d.delete(bucket, key)
	return gofakes3.ObjectDeleteResult{}, err
}

// DeleteMulti implements gofakes3.Backend.
func (d *diskStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	return d.delete(bucket, keys...)
}

func (d *diskStore) delete(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var out gofakes3.MultiDeleteResult
	var files []diskSegment
	err := d.db.Update(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		for _, key := range keys {
			var o diskObject
			if ok, _ := getJSON(objs, []byte(key), &o); ok {
				if err := objs.Delete([]byte(key)); err != nil {
					return err
				}
				files = append(files, o.Files...)
			}
			out.Deleted = append(out.Deleted, gofakes3.ObjectID{Key: key})
		}
		return nil
	})
	if err != nil {
		return gofakes3.MultiDeleteResult{}, err
	}
	d.removeFiles(files)
	return out, nil
}

// listEntry is what a listing reads of a record.
type listEntry struct {
	Size     int64     `json:"size"`
	Hash     []byte    `json:"md5"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
}

// ListBucket implements gofakes3.Backend with memStore's rules (S3's: see
// group). A page costs a seek plus its entries, however many keys the
// bucket holds: it starts at the marker or the prefix, reads only keys with
// the prefix, and skips a common prefix's keys in one seek.
func (d *diskStore) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	out := gofakes3.NewObjectList()
	err := d.db.View(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, name)
		if objs == nil {
			return gofakes3.BucketNotFound(name)
		}
		c := objs.Cursor()
		k, v := c.Seek([]byte(max(prefix.Prefix, page.Marker)))
		if k != nil && page.Marker != "" && string(k) == page.Marker {
			k, v = c.Next()
		}
		var n int64
		for k != nil && strings.HasPrefix(string(k), prefix.Prefix) {
			key := string(k)
			if g, ok := group(key, *prefix); ok {
				out.AddPrefix(g)
				// Every later key under g rolls up into it too.
				k, v = nil, nil
				if end := prefixEnd(g); end != "" {
					k, v = c.Seek([]byte(end))
				}
			} else {
				var e listEntry
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("sandbox store record %q is damaged: %v", key, err)
				}
				etag := e.ETag
				if etag == "" {
					etag = gofakes3.FormatETag(e.Hash)
				}
				out.Add(&gofakes3.Content{
					Key:          key,
					LastModified: gofakes3.NewContentTime(e.Modified),
					ETag:         etag,
					Size:         e.Size,
				})
				k, v = c.Next()
			}
			n++
			if page.MaxKeys > 0 && n >= page.MaxKeys {
				out.NextMarker = key
				out.IsTruncated = k != nil && strings.HasPrefix(string(k), prefix.Prefix)
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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

// Multipart uploads.

// CreateMultipartUpload implements gofakes3.MultipartBackend.
func (d *diskStore) CreateMultipartUpload(bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	id, err := newUploadID(d.seq.Add(1))
	if err != nil {
		return "", err
	}
	if err := os.Mkdir(d.uploadDir(id), 0o700); err != nil {
		return "", err
	}
	err = d.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(idxUploads).CreateBucket([]byte(id))
		if err != nil {
			return err
		}
		return putJSON(b, uploadInfoKey, diskUpload{Bucket: bucket, Key: key, Meta: meta, Initiated: time.Now()})
	})
	if err != nil {
		os.RemoveAll(d.uploadDir(id))
		return "", err
	}
	return id, nil
}

// upload reads an upload in progress, which must be for bucket and key; it
// returns its index bucket for the transaction's life.
func uploadOf(tx *bolt.Tx, bucket, key string, id gofakes3.UploadID) (*bolt.Bucket, *diskUpload, error) {
	b := tx.Bucket(idxUploads).Bucket([]byte(id))
	if b == nil {
		return nil, nil, gofakes3.ErrNoSuchUpload
	}
	var up diskUpload
	ok, err := getJSON(b, uploadInfoKey, &up)
	if err != nil {
		return nil, nil, err
	}
	if !ok || up.Bucket != bucket || up.Key != key {
		return nil, nil, gofakes3.ErrNoSuchUpload
	}
	return b, &up, nil
}

func partKey(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// UploadPart implements gofakes3.MultipartBackend: the part is written and
// synced before the index records it, so an ETag answered is a part kept.
func (d *diskStore) UploadPart(bucket, key string, id gofakes3.UploadID, partNumber int, contentLength int64, input io.Reader) (string, error) {
	err := d.db.View(func(tx *bolt.Tx) error {
		_, _, err := uploadOf(tx, bucket, key, id)
		return err
	})
	if err != nil {
		return "", err
	}
	if contentLength > maxPartSize {
		return "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument, "part of %d bytes is above the 5 GiB maximum", contentLength)
	}
	rnd, err := randomName()
	if err != nil {
		return "", err
	}
	file := strconv.Itoa(partNumber) + "-" + rnd[:16]
	path := filepath.Join(d.uploadDir(id), file)
	sum, err := d.writeFile(path, input, contentLength)
	if errors.Is(err, fs.ErrNotExist) {
		return "", gofakes3.ErrNoSuchUpload // completed or aborted meanwhile
	}
	if err != nil {
		return "", err
	}

	mu := d.lock(id)
	mu.Lock()
	defer mu.Unlock()
	var old diskPart
	err = d.db.Update(func(tx *bolt.Tx) error {
		b, _, err := uploadOf(tx, bucket, key, id)
		if err != nil {
			return err
		}
		if _, err := getJSON(b, partKey(partNumber), &old); err != nil {
			return err
		}
		return putJSON(b, partKey(partNumber), diskPart{MD5: sum[:], Size: contentLength, Modified: time.Now(), File: file})
	})
	if err != nil {
		os.Remove(path)
		if errors.Is(err, gofakes3.ErrNoSuchUpload) {
			// Aborted while this part was written: its directory, which
			// the abort could not remove while this file was in it, goes
			// too (only if no other part is still being written there).
			os.Remove(d.uploadDir(id))
		}
		return "", err
	}
	if old.File != "" {
		os.Remove(filepath.Join(d.uploadDir(id), old.File))
	}
	return gofakes3.FormatETag(sum[:]), nil
}

// parts reads an upload's parts, by part number.
func readParts(b *bolt.Bucket) (map[int]diskPart, error) {
	parts := map[int]diskPart{}
	err := b.ForEach(func(k, v []byte) error {
		if len(k) != 4 {
			return nil
		}
		var p diskPart
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("sandbox store part record is damaged: %v", err)
		}
		parts[int(binary.BigEndian.Uint32(k))] = p
		return nil
	})
	return parts, err
}

// CompleteMultipartUpload implements gofakes3.MultipartBackend with the
// rules store's has (ascending part numbers, each uploaded with that ETag).
// The parts named become the object's segments by a rename.
func (d *diskStore) CompleteMultipartUpload(bucket, key string, id gofakes3.UploadID, input *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	mu := d.lock(id)
	mu.Lock()
	defer mu.Unlock()
	var up *diskUpload
	var parts map[int]diskPart
	err := d.db.View(func(tx *bolt.Tx) error {
		b, u, err := uploadOf(tx, bucket, key, id)
		if err != nil {
			return err
		}
		up = u
		parts, err = readParts(b)
		return err
	})
	if err != nil {
		return "", "", err
	}
	if len(input.Parts) == 0 {
		return "", "", gofakes3.ErrorMessage(gofakes3.ErrMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: a multipart upload needs at least one part")
	}
	name, err := randomName()
	if err != nil {
		return "", "", err
	}
	o := &diskObject{Meta: up.Meta}
	all := md5.New()
	var from []string
	for i, in := range input.Parts {
		if i > 0 && in.PartNumber <= input.Parts[i-1].PartNumber {
			return "", "", gofakes3.ErrInvalidPartOrder
		}
		p, ok := parts[in.PartNumber]
		if !ok || strings.Trim(in.ETag, `"`) != hex.EncodeToString(p.MD5) {
			return "", "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidPart,
				"One or more of the specified parts could not be found: part %d with ETag %s", in.PartNumber, in.ETag)
		}
		o.Size += p.Size
		all.Write(p.MD5)
		o.Files = append(o.Files, diskSegment{Name: name + "." + strconv.Itoa(i+1), Size: p.Size})
		from = append(from, filepath.Join(d.uploadDir(id), p.File))
	}
	o.Hash = all.Sum(nil)
	o.ETag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(o.Hash), len(input.Parts))

	shard := filepath.Dir(d.objectPath(name))
	if err := os.MkdirAll(shard, 0o700); err != nil {
		return "", "", err
	}
	moved := 0
	undo := func() {
		for i := range moved {
			os.Rename(d.objectPath(o.Files[i].Name), from[i])
		}
	}
	for i, s := range o.Files {
		if err := os.Rename(from[i], d.objectPath(s.Name)); err != nil {
			undo()
			return "", "", err
		}
		moved++
	}
	if err := syncDir(shard); err != nil {
		undo()
		return "", "", err
	}
	var old diskObject
	err = d.db.Update(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		if _, err := getJSON(objs, []byte(key), &old); err != nil {
			return err
		}
		o.Meta, o.Modified = mergeMeta(old.Meta, o.Meta), time.Now()
		if err := putJSON(objs, []byte(key), o); err != nil {
			return err
		}
		return tx.Bucket(idxUploads).DeleteBucket([]byte(id))
	})
	if err != nil {
		undo()
		return "", "", err
	}
	d.removeFiles(old.Files)
	os.RemoveAll(d.uploadDir(id)) // parts not named
	return "", o.ETag, nil
}

// AbortMultipartUpload implements gofakes3.MultipartBackend.
func (d *diskStore) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	mu := d.lock(id)
	mu.Lock()
	defer mu.Unlock()
	err := d.db.Update(func(tx *bolt.Tx) error {
		if _, _, err := uploadOf(tx, bucket, key, id); err != nil {
			return err
		}
		return tx.Bucket(idxUploads).DeleteBucket([]byte(id))
	})
	if err != nil {
		return err
	}
	// The upload is aborted: answer so. A part still being written keeps
	// its directory from going ("directory not empty"); that part finds the
	// upload gone and removes both.
	os.RemoveAll(d.uploadDir(id))
	return nil
}

// ListParts implements gofakes3.MultipartBackend.
func (d *diskStore) ListParts(bucket, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	var parts map[int]diskPart
	err := d.db.View(func(tx *bolt.Tx) error {
		b, _, err := uploadOf(tx, bucket, key, id)
		if err != nil {
			return err
		}
		parts, err = readParts(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	list := make([]partSummary, 0, len(parts))
	for n, p := range parts {
		list = append(list, partSummary{number: n, md5: p.MD5, size: p.Size, modified: p.Modified})
	}
	return pageParts(bucket, key, id, list, marker, limit), nil
}

// ListMultipartUploads implements gofakes3.MultipartBackend.
func (d *diskStore) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	var ups []uploadSummary
	err := d.db.View(func(tx *bolt.Tx) error {
		all := tx.Bucket(idxUploads)
		return all.ForEach(func(id, _ []byte) error {
			var up diskUpload
			ok, err := getJSON(all.Bucket(id), uploadInfoKey, &up)
			if err != nil {
				return err
			}
			if ok && up.Bucket == bucket && strings.HasPrefix(up.Key, prefix.Prefix) {
				ups = append(ups, uploadSummary{key: up.Key, id: gofakes3.UploadID(bytes.Clone(id)), initiated: up.Initiated})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return pageUploads(bucket, ups, marker, prefix, limit), nil
}
