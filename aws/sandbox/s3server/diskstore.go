package s3server

// diskStore is the on-disk store (the sandbox's default mode): objects are
// plain files, their records a small bolt index. Memory use does not grow
// with the data stored, and deleting frees the space.
//
// Layout of its directory:
//
//	index.bolt           buckets, object and version records, uploads in
//	                     progress
//	objects/XX/NAME      an object's bytes (NAME random, XX its first two
//	                     characters); a multipart object is its parts,
//	                     NAME.1, NAME.2, ... in order
//	uploads/ID/N-RAND    the parts of an upload in progress
//	tmp/                 files being written, renamed into place when whole
//
// A key's current version, when it is an object, is its record in the
// objects index (where records written before the store knew versions
// are, as the null version); its other versions and its delete markers
// are in the versions index, newest first (see versionKey). A change to a
// key's versions (a new one, a delete marker, a deletion) is one index
// commit, like any other.
//
// File names never derive from keys (keys may hold any bytes). Every file is
// written to tmp/ while its MD5 is computed, synced, then renamed into
// place; the index commit that names it comes after, and the files a commit
// stops naming (an overwritten or deleted object, a replaced part) are
// removed after it. A reader that opened an object's files keeps reading
// them even when they are removed meanwhile.
//
// CompleteMultipartUpload hard-links the parts into objects/ as the
// object's segments (no copy, no hash of the whole object), syncs, then in
// one index commit records the object and drops the upload, and only then
// removes the upload's directory. A crash before that commit leaves the
// upload as it was, completable again; a crash after it leaves the object.
//
// Whatever a crash leaves that no record names (a file renamed into place
// but never committed, the links of a Complete cut short, a replaced file
// not yet removed) is reclaimed by the next start: the index notes while
// the store is open, and a start that finds the note of a run that never
// closed checks every file against the index.

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

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
	idxObjects = []byte("objects") // one nested bucket per S3 bucket: key -> diskObject, its current version when an object
	// idxVersions holds one nested bucket per S3 bucket: versionKey -> diskObject, the versions
	// that are not current objects. Its sequence numbers the versions.
	idxVersions   = []byte("versions")
	idxVersioning = []byte("versioning") // S3 bucket name -> its versioning status, once set
	idxUploads    = []byte("uploads")    // one nested bucket per upload ID: uploadInfoKey -> diskUpload, part number -> diskPart
	idxState      = []byte("state")      // the store's own notes (stateOpen, stateLayout)
)

var (
	// uploadInfoKey holds an upload's record; part numbers are 4-byte keys.
	uploadInfoKey = []byte("u")
	// stateOpen is set while a process has the store open: found at open,
	// it says the last one never closed it.
	stateOpen = []byte("open")
	// stateLayout names the layout whose files a start has checked once.
	stateLayout = []byte("layout")
	layout      = []byte("2")
)

// diskObject is a version's index record: an object, or a delete marker.
type diskObject struct {
	versionMeta
	Size     int64            `json:"size"`
	Hash     []byte           `json:"md5"`            // MD5 of the body, or of the parts' MD5s
	ETag     string           `json:"etag,omitempty"` // quoted "md5-N" of a multipart object
	Modified time.Time        `json:"modified"`
	Meta     map[string]exact `json:"meta,omitempty"`
	Checksum *checksumValue   `json:"checksum,omitempty"`
	Files    []diskSegment    `json:"files,omitempty"` // none for an empty object
	UploadID string           `json:"upload_id,omitempty"`
}

// diskSegment is one file of an object, under objects/: the whole object,
// or one part of a multipart object.
type diskSegment struct {
	Name     string         `json:"name"`
	Size     int64          `json:"size"`
	Part     int            `json:"part,omitempty"`
	Checksum *checksumValue `json:"checksum,omitempty"`
}

func (o *diskObject) meta() *versionMeta { return &o.versionMeta }

// told is the version as the server sees it.
func (o *diskObject) told(status string) *objectInfo {
	info := o.info()
	info.VersionID = o.versionMeta.told(status)
	return info
}

func (o *diskObject) info() *objectInfo {
	info := &objectInfo{versionMeta: o.versionMeta, Size: o.Size, MD5: o.Hash, ETag: o.ETag, Modified: o.Modified, Meta: plainMap(o.Meta),
		Checksum: o.Checksum, UploadID: o.UploadID}
	if o.ETag == "" {
		info.ETag = quotedHex(o.Hash)
		return info
	}
	for i, s := range o.Files {
		n := s.Part
		if n == 0 {
			n = i + 1
		}
		info.Parts = append(info.Parts, partSummary{Number: n, Size: s.Size, Checksum: s.Checksum})
	}
	return info
}

// diskUpload is a multipart upload in progress.
type diskUpload struct {
	Bucket    exact            `json:"bucket"`
	Key       exact            `json:"key"`
	Meta      map[string]exact `json:"meta,omitempty"`
	Checksum  *checksumValue   `json:"checksum,omitempty"` // algorithm and type asked for
	Initiated time.Time        `json:"initiated"`
}

func (u *diskUpload) info(id string) *uploadInfo {
	return &uploadInfo{ID: id, Bucket: string(u.Bucket), Key: string(u.Key), Initiated: u.Initiated,
		Object: objectInfo{Meta: plainMap(u.Meta), Checksum: u.Checksum}}
}

// diskPart is an uploaded part, in uploads/ID/.
type diskPart struct {
	MD5      []byte         `json:"md5"`
	Size     int64          `json:"size"`
	Modified time.Time      `json:"modified"`
	File     string         `json:"file"`
	Checksum *checksumValue `json:"checksum,omitempty"`
}

// diskStore is a store in a directory.
type diskStore struct {
	dir string
	db  *bolt.DB
	seq atomic.Uint64 // upload IDs

	// Part commits, Complete and Abort of one upload take turns.
	locks [64]sync.Mutex

	reclaimed int // files a start removed (see reclaim)
}

var _ store = (*diskStore)(nil)

// openDiskStore opens (creating) the store in dir. A store another process
// has open fails with an error wrapping ErrLocked.
func openDiskStore(dir string) (*diskStore, error) {
	for _, sub := range []string{"", diskObjectsDir, diskUploadsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("create sandbox store: %w", err)
		}
	}
	path := filepath.Join(dir, diskIndexFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open sandbox store %s: %w", path, ErrLocked)
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
// what a crash may have left: half-written files always, and every file no
// record names when the last run did not close the store (or this layout's
// files were never checked).
func (d *diskStore) init() error {
	check := false
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{idxBuckets, idxObjects, idxVersions, idxVersioning, idxUploads, idxState} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		st := tx.Bucket(idxState)
		check = st.Get(stateOpen) != nil || !bytes.Equal(st.Get(stateLayout), layout)
		return st.Put(stateOpen, []byte(time.Now().UTC().Format(time.RFC3339)))
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
	if check {
		if err := d.reclaim(); err != nil {
			return fmt.Errorf("check the store after an unclean stop: %w", err)
		}
		return d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(idxState).Put(stateLayout, layout) })
	}
	// Uploads the index no longer knows (aborted or completed just before
	// a crash) are cheap to find, so they are cleared on every start.
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

// reclaim removes every object and part file no index record names.
func (d *diskStore) reclaim() error {
	segments := map[string]bool{}
	parts := map[string]map[string]bool{} // upload ID -> its part files
	err := d.db.View(func(tx *bolt.Tx) error {
		for _, idx := range [][]byte{idxObjects, idxVersions} {
			all := tx.Bucket(idx)
			err := all.ForEach(func(name, _ []byte) error {
				return all.Bucket(name).ForEach(func(_, v []byte) error {
					var o struct {
						Files []diskSegment `json:"files"`
					}
					if err := json.Unmarshal(v, &o); err != nil {
						return fmt.Errorf("a record of bucket %q is damaged: %v", name, err)
					}
					for _, s := range o.Files {
						segments[s.Name] = true
					}
					return nil
				})
			})
			if err != nil {
				return err
			}
		}
		ups := tx.Bucket(idxUploads)
		return ups.ForEach(func(id, _ []byte) error {
			files := map[string]bool{}
			err := ups.Bucket(id).ForEach(func(k, v []byte) error {
				if len(k) != 4 {
					return nil
				}
				var p diskPart
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("a part record of upload %s is damaged: %v", id, err)
				}
				files[p.File] = true
				return nil
			})
			parts[string(id)] = files
			return err
		})
	})
	if err != nil {
		return err
	}
	objects := filepath.Join(d.dir, diskObjectsDir)
	shards, err := os.ReadDir(objects)
	if err != nil {
		return err
	}
	for _, sh := range shards {
		files, err := os.ReadDir(filepath.Join(objects, sh.Name()))
		if err != nil {
			return err
		}
		for _, f := range files {
			if !segments[f.Name()] {
				if os.Remove(filepath.Join(objects, sh.Name(), f.Name())) == nil {
					d.reclaimed++
				}
			}
		}
	}
	uploads := filepath.Join(d.dir, diskUploadsDir)
	ups, err := os.ReadDir(uploads)
	if err != nil {
		return err
	}
	for _, up := range ups {
		named, ok := parts[up.Name()]
		files, _ := os.ReadDir(filepath.Join(uploads, up.Name()))
		for _, f := range files {
			if !ok || !named[f.Name()] {
				if os.Remove(filepath.Join(uploads, up.Name(), f.Name())) == nil {
					d.reclaimed++
				}
			}
		}
		if !ok {
			os.Remove(filepath.Join(uploads, up.Name()))
		}
	}
	return nil
}

// close notes that the store was closed cleanly, then releases it.
func (d *diskStore) close() error {
	err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(idxState).Delete(stateOpen) })
	if cerr := d.db.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *diskStore) lock(id string) *sync.Mutex {
	var h uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return &d.locks[h%uint32(len(d.locks))]
}

// objectPath is where the segment file name lives.
func (d *diskStore) objectPath(name string) string {
	return filepath.Join(d.dir, diskObjectsDir, name[:2], name)
}

func (d *diskStore) uploadDir(id string) string {
	return filepath.Join(d.dir, diskUploadsDir, id)
}

// randomName is a fresh file name.
func randomName() (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(r[:]), nil
}

// fileWrite writes to a file being stored; tests make it fail as a full
// disk does.
var fileWrite = (*os.File).Write

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// writeFile writes size bytes of r (size < 0: all of r) to a new file at
// dst (0600), hashing them: in tmp/, synced, then renamed. It reads r on to
// EOF, where a checked body reports a mismatch; a body shorter or longer
// than size is IncompleteBody. An empty body writes no file.
func (d *diskStore) writeFile(dst string, r io.Reader, size int64) (sum [md5.Size]byte, n int64, err error) {
	h := md5.New()
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for size < 0 || n < size {
		want := int64(len(buf))
		if size >= 0 {
			want = min(want, size-n)
		}
		m, rerr := io.ReadFull(r, buf[:want])
		if m > 0 {
			if f == nil {
				if f, err = os.CreateTemp(filepath.Join(d.dir, diskTmpDir), "w-"); err != nil {
					return sum, n, err
				}
			}
			h.Write(buf[:m])
			if _, err := fileWrite(f, buf[:m]); err != nil {
				return sum, n, err
			}
			n += int64(m)
		}
		if size < 0 && n > maxPartSize {
			return sum, n, errTooLarge(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			if size < 0 {
				break // the body's end, checked by the body itself
			}
			return sum, n, errIncompleteBody()
		}
		if rerr != nil {
			return sum, n, rerr
		}
	}
	if size >= 0 {
		if err := readEOF(r); err != nil {
			return sum, n, err
		}
	}
	h.Sum(sum[:0])
	if f == nil {
		return sum, n, nil
	}
	if err := f.Sync(); err != nil {
		return sum, n, err
	}
	if err := f.Close(); err != nil {
		return sum, n, err
	}
	if err := renameInto(f.Name(), dst); err != nil {
		return sum, n, err
	}
	f = nil
	return sum, n, syncDir(filepath.Dir(dst))
}

// renameInto renames from to dst, making dst's directory (a shard) on its
// first use.
func renameInto(from, dst string) error {
	err := os.Rename(from, dst)
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := mkdirDurable(filepath.Dir(dst)); err != nil {
		return err
	}
	return os.Rename(from, dst)
}

// mkdirDurable makes dir (its parent exists) and syncs the parent, so that
// after a power loss the index never names files in a directory that is
// gone.
func mkdirDurable(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir makes the renames and links into dir durable.
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

// objectsOf is the index bucket of an S3 bucket's objects, nil when the
// bucket does not exist.
func objectsOf(tx *bolt.Tx, bucket string) *bolt.Bucket {
	return tx.Bucket(idxObjects).Bucket([]byte(bucket))
}

func (d *diskStore) listBuckets() ([]bucketEntry, error) {
	var out []bucketEntry
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(idxBuckets).ForEach(func(k, v []byte) error {
			created, _ := time.Parse(time.RFC3339Nano, string(v))
			out = append(out, bucketEntry{Name: string(k), Created: created})
			return nil
		})
	})
	return out, err
}

func (d *diskStore) createBucket(name string) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		bs := tx.Bucket(idxBuckets)
		if bs.Get([]byte(name)) != nil {
			return errBucketOwned(name)
		}
		if err := bs.Put([]byte(name), []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		if err := tx.Bucket(idxVersioning).Delete([]byte(name)); err != nil {
			return err
		}
		_, err := tx.Bucket(idxObjects).CreateBucketIfNotExists([]byte(name))
		return err
	})
}

func (d *diskStore) bucketExists(name string) (bool, error) {
	var ok bool
	err := d.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(idxBuckets).Get([]byte(name)) != nil
		return nil
	})
	return ok, err
}

func (d *diskStore) deleteBucket(name string) error {
	var uploads []string
	err := d.db.Update(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, name)
		if objs == nil {
			return errNoSuchBucket(name)
		}
		vers := versionsOf(tx, name)
		if k, _ := objs.Cursor().First(); k != nil {
			return errBucketNotEmpty(name, versioningOf(tx, name))
		}
		if vers != nil {
			if k, _ := vers.Cursor().First(); k != nil {
				return errBucketNotEmpty(name, versioningOf(tx, name))
			}
			if err := tx.Bucket(idxVersions).DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(idxVersioning).Delete([]byte(name)); err != nil {
			return err
		}
		ups := tx.Bucket(idxUploads)
		if err := ups.ForEach(func(id, _ []byte) error {
			var up diskUpload
			if ok, _ := getJSON(ups.Bucket(id), uploadInfoKey, &up); ok && string(up.Bucket) == name {
				uploads = append(uploads, string(id))
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
	for _, id := range uploads {
		os.RemoveAll(d.uploadDir(id))
	}
	return nil
}

// lookup reads the record of a version of key (see findVersion), and the
// bucket's versioning status.
func (d *diskStore) lookup(bucket, key, version string) (*diskObject, string, error) {
	var o *diskObject
	var status string
	err := d.db.View(func(tx *bolt.Tx) error {
		k, err := keyOf(tx, bucket, key, nil)
		if err != nil {
			return err
		}
		status = versioningOf(tx, bucket)
		v, _, found, err := findVersion(k, version)
		switch {
		case err != nil:
			return err
		case found:
			o = v
		case version == "":
			return errNoSuchKey(key)
		default:
			return errNoSuchVersion(key, version)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return o, status, nil
}

func (d *diskStore) stat(bucket, key, version string) (*objectInfo, error) {
	o, status, err := d.lookup(bucket, key, version)
	if err != nil {
		return nil, err
	}
	return o.told(status), nil
}

func (d *diskStore) open(bucket, key, version string) (*objectInfo, objectBody, error) {
	for attempt := 0; ; attempt++ {
		o, status, err := d.lookup(bucket, key, version)
		if err != nil {
			return nil, nil, err
		}
		if o.DeleteMarker {
			return o.told(status), nil, nil
		}
		body, err := d.openFiles(o.Files)
		if errors.Is(err, fs.ErrNotExist) && attempt < 5 {
			continue // replaced between the lookup and the open: look again
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s/%s: %w", bucket, key, err)
		}
		return o.told(status), body, nil
	}
}

// openFiles opens an object's segments, all at once: a later removal of the
// files does not reach a reader that opened them.
func (d *diskStore) openFiles(files []diskSegment) (*segmentReader, error) {
	r := &segmentReader{}
	var off int64
	for _, s := range files {
		f, err := os.Open(d.objectPath(s.Name))
		if err != nil {
			r.Close()
			return nil, err
		}
		r.files = append(r.files, f)
		r.starts = append(r.starts, off)
		r.sizes = append(r.sizes, s.Size)
		off += s.Size
	}
	return r, nil
}

// segmentReader reads an object kept in segments.
type segmentReader struct {
	files  []*os.File
	starts []int64
	sizes  []int64
}

// ReadAt implements io.ReaderAt.
func (r *segmentReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for i, f := range r.files {
		if n == len(p) {
			break
		}
		end := r.starts[i] + r.sizes[i]
		if off >= end {
			continue
		}
		want := min(int64(len(p)-n), end-off)
		k, err := f.ReadAt(p[n:n+int(want)], off-r.starts[i])
		n += k
		off += int64(k)
		if err != nil && !(err == io.EOF && int64(k) == want) {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the file is shorter than its record
			}
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *segmentReader) Close() error {
	for _, f := range r.files {
		f.Close()
	}
	r.files = nil
	return nil
}

func (d *diskStore) put(bucket, key string, info *objectInfo, body io.Reader, size int64, check precondition) (*objectInfo, error) {
	if ok, err := d.bucketExists(bucket); err != nil || !ok {
		if err == nil {
			err = errNoSuchBucket(bucket)
		}
		return nil, err
	}
	if size > maxPartSize {
		return nil, errTooLarge(size)
	}
	name, err := randomName()
	if err != nil {
		return nil, err
	}
	sum, n, err := d.writeFile(d.objectPath(name), body, size)
	if err != nil {
		return nil, err
	}
	o := &diskObject{Size: n, Hash: sum[:], Meta: exactMap(info.Meta), Checksum: bodyChecksum(body)}
	if o.Checksum == nil {
		o.Checksum = info.Checksum
	}
	if n > 0 {
		o.Files = []diskSegment{{Name: name, Size: n}}
	}
	return d.commit(bucket, key, o, check, "")
}

// commit makes o key's new version if check allows it (see addVersion),
// dropping upload id in the same transaction when one is given; then it
// removes the files of the version it replaced, if any. When it fails, it
// removes o's files instead.
func (d *diskStore) commit(bucket, key string, o *diskObject, check precondition, upload string) (*objectInfo, error) {
	var freed []diskSegment
	var status string
	err := d.db.Update(func(tx *bolt.Tx) error {
		k, err := keyOf(tx, bucket, key, &freed)
		if err != nil {
			return err
		}
		status = versioningOf(tx, bucket)
		if check != nil {
			cur, ok, err := k.current()
			if err != nil {
				return err
			}
			var prev *objectInfo
			if ok {
				prev = cur.info()
			}
			if e := check(prev); e != nil {
				return e
			}
		}
		o.Modified = time.Now().UTC()
		if err := addVersion(k, status, o); err != nil {
			return err
		}
		if upload != "" {
			if tx.Bucket(idxUploads).Bucket([]byte(upload)) == nil {
				return errNoSuchUpload(upload)
			}
			return tx.Bucket(idxUploads).DeleteBucket([]byte(upload))
		}
		return nil
	})
	if err != nil {
		d.removeFiles(o.Files)
		return nil, err
	}
	d.removeFiles(freed)
	return o.told(status), nil
}

func (d *diskStore) remove(bucket string, refs ...objectRef) ([]removed, error) {
	var freed []diskSegment
	var out []removed
	err := d.db.Update(func(tx *bolt.Tx) error {
		out = make([]removed, len(refs))
		status := versioningOf(tx, bucket)
		for i, ref := range refs {
			k, err := keyOf(tx, bucket, ref.Key, &freed)
			if err != nil {
				return err
			}
			if out[i], err = removeOne(k, status, ref); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.removeFiles(freed)
	return out, nil
}

func (d *diskStore) versioning(bucket string) (string, error) {
	var status string
	err := d.db.View(func(tx *bolt.Tx) error {
		if objectsOf(tx, bucket) == nil {
			return errNoSuchBucket(bucket)
		}
		status = versioningOf(tx, bucket)
		return nil
	})
	return status, err
}

func (d *diskStore) setVersioning(bucket, status string) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		if objectsOf(tx, bucket) == nil {
			return errNoSuchBucket(bucket)
		}
		return tx.Bucket(idxVersioning).Put([]byte(bucket), []byte(status))
	})
}

// versioningOf is an S3 bucket's versioning status.
func versioningOf(tx *bolt.Tx, bucket string) string {
	return string(tx.Bucket(idxVersioning).Get([]byte(bucket)))
}

// versionsOf is the index bucket of an S3 bucket's other versions, nil
// until the bucket has had one.
func versionsOf(tx *bolt.Tx, bucket string) *bolt.Bucket {
	return tx.Bucket(idxVersions).Bucket([]byte(bucket))
}

// versionKey is a version's key in the versions index: the S3 key with
// each 0x00 written 0x00 0xff, then 0x00 0x01, then the version's sequence
// number inverted. So a key's versions are together, newest first, and
// keys sort as S3 sorts them, whatever bytes they hold.
func versionKey(key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(versionPrefix(key), ^seq)
}

// versionPrefix is what every versionKey of key starts with.
func versionPrefix(key string) []byte {
	b := make([]byte, 0, len(key)+10)
	for i := 0; i < len(key); i++ {
		b = append(b, key[i])
		if key[i] == 0 {
			b = append(b, 0xff)
		}
	}
	return append(b, 0, 1)
}

// parseVersionKey reads a versionKey.
func parseVersionKey(b []byte) (key string, seq uint64, ok bool) {
	k := make([]byte, 0, len(b))
	for i := 0; i+1 < len(b); i++ {
		if b[i] != 0 {
			k = append(k, b[i])
			continue
		}
		switch b[i+1] {
		case 0xff:
			k = append(k, 0)
			i++
		case 1:
			if len(b) != i+10 {
				return "", 0, false
			}
			return string(k), ^binary.BigEndian.Uint64(b[i+2:]), true
		default:
			return "", 0, false
		}
	}
	return "", 0, false
}

// diskKey is one key's versions in the index, within a transaction, for
// the versioning rules.
type diskKey struct {
	tx     *bolt.Tx
	objs   *bolt.Bucket
	bucket string
	key    string
	// freed collects the files of versions no record names any more,
	// removed once the change is committed (nil in a read).
	freed *[]diskSegment
}

var _ keyVersions[*diskObject] = (*diskKey)(nil)

// keyOf is key's versions in bucket.
func keyOf(tx *bolt.Tx, bucket, key string, freed *[]diskSegment) (*diskKey, error) {
	objs := objectsOf(tx, bucket)
	if objs == nil {
		return nil, errNoSuchBucket(bucket)
	}
	return &diskKey{tx: tx, objs: objs, bucket: bucket, key: key, freed: freed}, nil
}

func (k *diskKey) current() (*diskObject, bool, error) {
	var o diskObject
	ok, err := getJSON(k.objs, []byte(k.key), &o)
	if err != nil || !ok {
		return nil, false, err
	}
	return &o, true, nil
}

func (k *diskKey) setCurrent(o *diskObject) error { return putJSON(k.objs, []byte(k.key), o) }

func (k *diskKey) clearCurrent() error { return k.objs.Delete([]byte(k.key)) }

func (k *diskKey) others(yield func(*diskObject) bool) error {
	vers := versionsOf(k.tx, k.bucket)
	if vers == nil {
		return nil
	}
	p := versionPrefix(k.key)
	c := vers.Cursor()
	for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Next() {
		var o diskObject
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("sandbox store version record of %q is damaged: %v", k.key, err)
		}
		if !yield(&o) {
			break
		}
	}
	return nil
}

func (k *diskKey) other(seq uint64) (*diskObject, bool, error) {
	vers := versionsOf(k.tx, k.bucket)
	if vers == nil {
		return nil, false, nil
	}
	var o diskObject
	ok, err := getJSON(vers, versionKey(k.key, seq), &o)
	if err != nil || !ok {
		return nil, false, err
	}
	return &o, true, nil
}

func (k *diskKey) addOther(o *diskObject) error {
	vers, err := k.tx.Bucket(idxVersions).CreateBucketIfNotExists([]byte(k.bucket))
	if err != nil {
		return err
	}
	return putJSON(vers, versionKey(k.key, o.Seq), o)
}

func (k *diskKey) dropOther(o *diskObject) error {
	return versionsOf(k.tx, k.bucket).Delete(versionKey(k.key, o.Seq))
}

func (k *diskKey) free(o *diskObject) {
	if k.freed != nil {
		*k.freed = append(*k.freed, o.Files...)
	}
}

func (k *diskKey) marker(m versionMeta) *diskObject {
	return &diskObject{versionMeta: m, Modified: time.Now().UTC()}
}

func (k *diskKey) nextSeq() (uint64, error) { return k.tx.Bucket(idxVersions).NextSequence() }

// diskListEntry is what a listing reads of a record.
type diskListEntry struct {
	versionMeta
	Size     int64     `json:"size"`
	Hash     []byte    `json:"md5"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
}

// list answers with memStore's rules (S3's: see group). A page costs a seek
// plus its entries, however many keys the bucket holds: it starts at the
// marker or the prefix, reads only keys with the prefix, and skips a common
// prefix's keys in one seek.
func (d *diskStore) list(bucket string, q listQuery) (*listPage, error) {
	out := &listPage{}
	err := d.db.View(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return errNoSuchBucket(bucket)
		}
		c := objs.Cursor()
		k, v := c.Seek([]byte(max(q.Prefix, q.Marker)))
		if k != nil && q.Marker != "" && string(k) == q.Marker {
			k, v = c.Next()
		}
		n := 0
		for k != nil && strings.HasPrefix(string(k), q.Prefix) {
			key := string(k)
			if g, ok := group(key, q.Prefix, q.Delimiter); ok {
				out.Prefixes = append(out.Prefixes, g)
				out.Next = g
				// Every later key under g rolls up into it too.
				k, v = nil, nil
				if end := prefixEnd(g); end != "" {
					k, v = c.Seek([]byte(end))
				}
			} else {
				var e diskListEntry
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("sandbox store record %q is damaged: %v", key, err)
				}
				etag := e.ETag
				if etag == "" {
					etag = quotedHex(e.Hash)
				}
				out.Objects = append(out.Objects, listEntry{Key: key, Size: e.Size, ETag: etag, Modified: e.Modified})
				out.Next = key
				k, v = c.Next()
			}
			n++
			if n >= q.MaxKeys {
				out.Truncated = k != nil && strings.HasPrefix(string(k), q.Prefix)
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !out.Truncated {
		out.Next = ""
	}
	return out, nil
}

// listVersions pages through the versions of a bucket's keys (see
// pageVersions), reading only the page's records and a seek per cursor.
func (d *diskStore) listVersions(bucket string, q versionQuery) (*versionPage, error) {
	var out *versionPage
	err := d.db.View(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return errNoSuchBucket(bucket)
		}
		others := &diskCursor{}
		if vers := versionsOf(tx, bucket); vers != nil {
			others.c, others.versions = vers.Cursor(), true
		}
		c := &mergedVersions{current: &diskCursor{c: objs.Cursor()}, others: others}
		var err error
		out, err = pageVersions(c, q, versioningOf(tx, bucket))
		return err
	})
	return out, err
}

// diskCursor walks an index of current objects or, with versions, of
// other versions (see versionCursor).
type diskCursor struct {
	c        *bolt.Cursor // nil: no records
	versions bool
	k, v     []byte // the next record
}

func (c *diskCursor) seek(key string) (versionEntry, bool, error) {
	if c.c == nil {
		return versionEntry{}, false, nil
	}
	if c.versions {
		c.k, c.v = c.c.Seek(versionPrefix(key))
	} else {
		c.k, c.v = c.c.Seek([]byte(key))
	}
	return c.take()
}

func (c *diskCursor) next() (versionEntry, bool, error) {
	if c.c == nil || c.k == nil {
		return versionEntry{}, false, nil
	}
	return c.take()
}

// take answers the record at the cursor and moves past it.
func (c *diskCursor) take() (versionEntry, bool, error) {
	if c.k == nil {
		return versionEntry{}, false, nil
	}
	key := string(c.k)
	if c.versions {
		var ok bool
		if key, _, ok = parseVersionKey(c.k); !ok {
			return versionEntry{}, false, fmt.Errorf("sandbox store version key %q is damaged", c.k)
		}
	}
	var e diskListEntry
	if err := json.Unmarshal(c.v, &e); err != nil {
		return versionEntry{}, false, fmt.Errorf("sandbox store record %q is damaged: %v", key, err)
	}
	etag := e.ETag
	if etag == "" && !e.DeleteMarker {
		etag = quotedHex(e.Hash)
	}
	c.k, c.v = c.c.Next()
	return versionEntry{Key: key, versionMeta: e.versionMeta, Size: e.Size, ETag: etag, Modified: e.Modified}, true, nil
}

// Multipart uploads.

func (d *diskStore) createUpload(bucket, key string, object *objectInfo) (string, error) {
	id, err := newUploadID(d.seq.Add(1))
	if err != nil {
		return "", err
	}
	if err := mkdirDurable(d.uploadDir(id)); err != nil {
		return "", err
	}
	err = d.db.Update(func(tx *bolt.Tx) error {
		if objectsOf(tx, bucket) == nil {
			return errNoSuchBucket(bucket)
		}
		b, err := tx.Bucket(idxUploads).CreateBucket([]byte(id))
		if err != nil {
			return err
		}
		return putJSON(b, uploadInfoKey, diskUpload{Bucket: exact(bucket), Key: exact(key), Meta: exactMap(object.Meta),
			Checksum: object.Checksum, Initiated: time.Now().UTC()})
	})
	if err != nil {
		os.RemoveAll(d.uploadDir(id))
		return "", err
	}
	return id, nil
}

// uploadOf reads an upload in progress, which must be for bucket and key; it
// returns its index bucket for the transaction's life.
func uploadOf(tx *bolt.Tx, bucket, key, id string) (*bolt.Bucket, *diskUpload, error) {
	if objectsOf(tx, bucket) == nil {
		return nil, nil, errNoSuchBucket(bucket)
	}
	b := tx.Bucket(idxUploads).Bucket([]byte(id))
	if b == nil {
		return nil, nil, errNoSuchUpload(id)
	}
	var up diskUpload
	ok, err := getJSON(b, uploadInfoKey, &up)
	if err != nil {
		return nil, nil, err
	}
	if !ok || string(up.Bucket) != bucket || string(up.Key) != key {
		return nil, nil, errNoSuchUpload(id)
	}
	return b, &up, nil
}

func partKey(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// readParts reads an upload's parts, by part number.
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

func partRecords(parts map[int]diskPart) []partRecord {
	out := make([]partRecord, 0, len(parts))
	for n, p := range parts {
		out = append(out, partRecord{Number: n, MD5: p.MD5, Size: p.Size, Modified: p.Modified, Checksum: p.Checksum})
	}
	sortParts(out)
	return out
}

func (d *diskStore) upload(bucket, key, id string) (*uploadInfo, []partRecord, error) {
	up, parts, err := d.readUpload(bucket, key, id)
	if err != nil {
		return nil, nil, err
	}
	return up.info(id), partRecords(parts), nil
}

// readUpload reads an upload's record and its parts in one transaction.
func (d *diskStore) readUpload(bucket, key, id string) (up *diskUpload, parts map[int]diskPart, err error) {
	err = d.db.View(func(tx *bolt.Tx) error {
		b, u, err := uploadOf(tx, bucket, key, id)
		if err != nil {
			return err
		}
		up = u
		parts, err = readParts(b)
		return err
	})
	return up, parts, err
}

func (d *diskStore) uploadMeta(bucket, key, id string) (*uploadInfo, error) {
	var up *diskUpload
	err := d.db.View(func(tx *bolt.Tx) error {
		_, u, err := uploadOf(tx, bucket, key, id)
		up = u
		return err
	})
	if err != nil {
		return nil, err
	}
	return up.info(id), nil
}

// uploadPart writes and syncs the part before the index records it, so an
// ETag answered is a part kept.
func (d *diskStore) uploadPart(bucket, key, id string, number int, body io.Reader, size int64) (partRecord, error) {
	err := d.db.View(func(tx *bolt.Tx) error {
		_, _, err := uploadOf(tx, bucket, key, id)
		return err
	})
	if err != nil {
		return partRecord{}, err
	}
	if size > maxPartSize {
		return partRecord{}, errTooLarge(size)
	}
	rnd, err := randomName()
	if err != nil {
		return partRecord{}, err
	}
	file := strconv.Itoa(number) + "-" + rnd[:16]
	path := filepath.Join(d.uploadDir(id), file)
	sum, size, err := d.writeFile(path, body, size)
	if errors.Is(err, fs.ErrNotExist) {
		return partRecord{}, errNoSuchUpload(id) // completed or aborted meanwhile
	}
	if err != nil {
		return partRecord{}, err
	}
	if size == 0 {
		// An empty part has no file of its own: an empty one is made, so
		// every part record names a file.
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			return partRecord{}, err
		}
	}
	rec := diskPart{MD5: sum[:], Size: size, Modified: time.Now().UTC(), File: file, Checksum: bodyChecksum(body)}

	mu := d.lock(id)
	mu.Lock()
	defer mu.Unlock()
	var old diskPart
	err = d.db.Update(func(tx *bolt.Tx) error {
		b, _, err := uploadOf(tx, bucket, key, id)
		if err != nil {
			return err
		}
		if _, err := getJSON(b, partKey(number), &old); err != nil {
			return err
		}
		return putJSON(b, partKey(number), rec)
	})
	if err != nil {
		os.Remove(path)
		var e *Error
		if errors.As(err, &e) && e.Code == "NoSuchUpload" {
			// Aborted while this part was written: its directory, which
			// the abort could not remove while this file was in it, goes
			// too (only if no other part is still being written there).
			os.Remove(d.uploadDir(id))
		}
		return partRecord{}, err
	}
	if old.File != "" {
		os.Remove(filepath.Join(d.uploadDir(id), old.File))
	}
	return partRecord{Number: number, MD5: rec.MD5, Size: size, Modified: rec.Modified, Checksum: rec.Checksum}, nil
}

// completeUpload links the parts named into objects/ as the object's
// segments, then commits the object and drops the upload in one index
// transaction (see the top of this file).
func (d *diskStore) completeUpload(bucket, key, id string, req []completePart, check precondition, verify func(*objectInfo) *Error) (*objectInfo, error) {
	mu := d.lock(id)
	mu.Lock()
	defer mu.Unlock()
	up, parts, err := d.readUpload(bucket, key, id)
	var e *Error
	if errors.As(err, &e) && e.Code == "NoSuchUpload" {
		return d.completed(bucket, key, id, err)
	}
	if err != nil {
		return nil, err
	}
	plan, perr := planComplete(up.info(id), req, partRecords(parts))
	if perr == nil && verify != nil {
		perr = verify(&plan.info)
	}
	if perr != nil {
		return nil, perr
	}
	name, err := randomName()
	if err != nil {
		return nil, err
	}
	o := &diskObject{Size: plan.info.Size, Hash: plan.info.MD5, ETag: plan.info.ETag, Meta: up.Meta,
		Checksum: plan.info.Checksum, UploadID: id}
	for i, p := range plan.parts {
		seg := diskSegment{Name: name + "." + strconv.Itoa(i+1), Size: p.Size, Part: p.Number, Checksum: p.Checksum}
		from := filepath.Join(d.uploadDir(id), parts[p.Number].File)
		if err := linkInto(from, d.objectPath(seg.Name)); err != nil {
			d.removeFiles(o.Files)
			return nil, err
		}
		o.Files = append(o.Files, seg)
	}
	if err := syncDir(filepath.Dir(d.objectPath(name))); err != nil {
		d.removeFiles(o.Files)
		return nil, err
	}
	if testHookLinked != nil {
		testHookLinked()
	}
	info, err := d.commit(bucket, key, o, check, id)
	if err != nil {
		return nil, err
	}
	os.RemoveAll(d.uploadDir(id)) // its parts, now the object's or unused
	return info, nil
}

// testHookLinked, when set (by tests), runs in completeUpload between the
// links and the commit: where a crash leaves files no record names.
var testHookLinked func()

// linkInto makes dst a second name of the file from (on a file system
// without hard links, a copy).
func linkInto(from, dst string) error {
	err := os.Link(from, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = mkdirDurable(filepath.Dir(dst)); err == nil {
			err = os.Link(from, dst)
		}
	}
	if err == nil || !(errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EMLINK)) {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".link-")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), dst)
}

// completed answers a Complete of an upload no longer in progress: the
// version it made while the key still has it, else notFound.
func (d *diskStore) completed(bucket, key, id string, notFound error) (*objectInfo, error) {
	var info *objectInfo
	d.db.View(func(tx *bolt.Tx) error {
		k, err := keyOf(tx, bucket, key, nil)
		if err != nil {
			return err
		}
		o, found, err := findAny(k, func(o *diskObject) bool { return o.UploadID == id })
		if found {
			info = o.told(versioningOf(tx, bucket))
		}
		return err
	})
	if info == nil {
		return nil, notFound
	}
	return info, nil
}

func (d *diskStore) abortUpload(bucket, key, id string) error {
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

func (d *diskStore) listUploads(bucket, prefix string) ([]uploadInfo, error) {
	var out []uploadInfo
	err := d.db.View(func(tx *bolt.Tx) error {
		if objectsOf(tx, bucket) == nil {
			return errNoSuchBucket(bucket)
		}
		all := tx.Bucket(idxUploads)
		return all.ForEach(func(id, _ []byte) error {
			var up diskUpload
			ok, err := getJSON(all.Bucket(id), uploadInfoKey, &up)
			if err != nil {
				return err
			}
			if ok && string(up.Bucket) == bucket && strings.HasPrefix(string(up.Key), prefix) {
				out = append(out, *up.info(string(id)))
			}
			return nil
		})
	})
	return out, err
}
