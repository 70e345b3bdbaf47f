package sandbox

import (
	"crypto/md5"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// memStore is the sandbox's in-memory object store (memory mode), in place of
// gofakes3's s3mem, which stores a completed multipart upload only after
// copying it into one buffer and hashing all of it: S3 itself never hashes a
// whole multipart object (that is why its ETag is the MD5 of the parts'
// MD5s). memStore keeps a completed upload's parts as they arrived. Single
// PUTs are stored and hashed as s3mem does; listings page through a sorted
// index of keys, kept up to date lazily, with gofakes3's prefix rules. It has
// no versioning: the wrapper never offered it.
type memStore struct {
	mu      sync.RWMutex
	buckets map[string]*memBucket
}

type memBucket struct {
	created time.Time
	objects map[string]*memObject

	// keys is sorted; added holds keys put since it was sorted, and stale
	// says deleted keys may still be in keys. index() brings keys up to date.
	keys  []string
	added []string
	stale bool
}

// memObject is one stored object. Nothing in it changes once stored.
type memObject struct {
	body     *partsBody // one chunk, or a multipart upload's parts
	size     int64
	hash     []byte // MD5 of the body, or of the parts' MD5s for a multipart upload
	meta     map[string]string
	modified time.Time
}

var _ gofakes3.Backend = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{buckets: map[string]*memBucket{}} }

// index sorts the keys put since the last listing into keys and drops
// deleted ones; the caller holds the write lock.
func (b *memBucket) index() {
	if len(b.added) == 0 && !b.stale {
		return
	}
	slices.Sort(b.added)
	merged := make([]string, 0, len(b.objects))
	i, j := 0, 0
	for i < len(b.keys) || j < len(b.added) {
		var k string
		if j == len(b.added) || (i < len(b.keys) && b.keys[i] <= b.added[j]) {
			k, i = b.keys[i], i+1
		} else {
			k, j = b.added[j], j+1
		}
		if _, ok := b.objects[k]; ok && (len(merged) == 0 || merged[len(merged)-1] != k) {
			merged = append(merged, k)
		}
	}
	b.keys, b.added, b.stale = merged, nil, false
}

func (b *memBucket) put(key string, obj *memObject) {
	if _, ok := b.objects[key]; !ok {
		b.added = append(b.added, key)
	}
	b.objects[key] = obj
}

func (b *memBucket) remove(key string) {
	if _, ok := b.objects[key]; ok {
		delete(b.objects, key)
		b.stale = true
	}
}

// ListBuckets implements gofakes3.Backend.
func (m *memStore) ListBuckets() ([]gofakes3.BucketInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]gofakes3.BucketInfo, 0, len(m.buckets))
	for name, b := range m.buckets {
		out = append(out, gofakes3.BucketInfo{Name: name, CreationDate: gofakes3.NewContentTime(b.created)})
	}
	slices.SortFunc(out, func(x, y gofakes3.BucketInfo) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// ListBucket implements gofakes3.Backend by S3's rules (see group): keys
// after the marker that start with the prefix, each common prefix once and
// counted once, at most MaxKeys entries.
func (m *memStore) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[name]
	if b == nil {
		return nil, gofakes3.BucketNotFound(name)
	}
	b.index()
	out := gofakes3.NewObjectList()
	// The keys with the prefix are one run of the sorted keys.
	from := max(prefix.Prefix, page.Marker)
	i, _ := slices.BinarySearch(b.keys, from)
	if page.Marker != "" && i < len(b.keys) && b.keys[i] == page.Marker {
		i++
	}
	var n int64
	for i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix.Prefix) {
		key := b.keys[i]
		if g, ok := group(key, *prefix); ok {
			out.AddPrefix(g)
			// Every later key under g rolls up into it too.
			i = len(b.keys)
			if end := prefixEnd(g); end != "" {
				i, _ = slices.BinarySearch(b.keys, end)
			}
		} else {
			obj := b.objects[key]
			out.Add(&gofakes3.Content{
				Key:          key,
				LastModified: gofakes3.NewContentTime(obj.modified),
				ETag:         gofakes3.FormatETag(obj.hash),
				Size:         obj.size,
			})
			i++
		}
		n++
		if page.MaxKeys > 0 && n >= page.MaxKeys {
			out.NextMarker = key
			out.IsTruncated = i < len(b.keys) && strings.HasPrefix(b.keys[i], prefix.Prefix)
			break
		}
	}
	return out, nil
}

// CreateBucket implements gofakes3.Backend.
func (m *memStore) CreateBucket(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buckets[name] != nil {
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	m.buckets[name] = &memBucket{created: time.Now(), objects: map[string]*memObject{}}
	return nil
}

// BucketExists implements gofakes3.Backend.
func (m *memStore) BucketExists(name string) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.buckets[name] != nil, nil
}

// DeleteBucket implements gofakes3.Backend.
func (m *memStore) DeleteBucket(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[name]
	if b == nil {
		return gofakes3.ErrNoSuchBucket
	}
	if len(b.objects) > 0 {
		return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
	}
	delete(m.buckets, name)
	return nil
}

// ForceDeleteBucket implements gofakes3.Backend.
func (m *memStore) ForceDeleteBucket(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buckets[name] == nil {
		return gofakes3.ErrNoSuchBucket
	}
	delete(m.buckets, name)
	return nil
}

func (m *memStore) lookup(bucket, key string) (*memObject, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, gofakes3.BucketNotFound(bucket)
	}
	obj := b.objects[key]
	if obj == nil {
		return nil, gofakes3.KeyNotFound(key)
	}
	return obj, nil
}

// GetObject implements gofakes3.Backend.
func (m *memStore) GetObject(bucket, key string, rangeRequest *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := m.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	rng, err := rangeRequest.Range(obj.size)
	if err != nil {
		return nil, err
	}
	start, length := int64(0), obj.size
	if rng != nil {
		start, length = rng.Start, rng.Length
	}
	return &gofakes3.Object{
		Name:     key,
		Hash:     obj.hash,
		Metadata: obj.meta,
		Size:     obj.size,
		Range:    rng,
		Contents: io.NopCloser(io.NewSectionReader(obj.body, start, length)),
	}, nil
}

// HeadObject implements gofakes3.Backend.
func (m *memStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := m.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	return &gofakes3.Object{
		Name:     key,
		Hash:     obj.hash,
		Metadata: obj.meta,
		Size:     obj.size,
		Contents: io.NopCloser(strings.NewReader("")),
	}, nil
}

// DeleteObject implements gofakes3.Backend; deleting a missing key is no
// error, as in S3.
func (m *memStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return gofakes3.ObjectDeleteResult{}, gofakes3.BucketNotFound(bucket)
	}
	b.remove(key)
	return gofakes3.ObjectDeleteResult{}, nil
}

// DeleteMulti implements gofakes3.Backend.
func (m *memStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var out gofakes3.MultiDeleteResult
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return out, gofakes3.BucketNotFound(bucket)
	}
	for _, key := range keys {
		b.remove(key)
		out.Deleted = append(out.Deleted, gofakes3.ObjectID{Key: key})
	}
	return out, nil
}

// PutObject implements gofakes3.Backend like s3mem: the body is read whole,
// metadata not given is carried over from the object it replaces, and the
// ETag is the body's MD5.
func (m *memStore) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	body, err := gofakes3.ReadAll(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	sum := md5.Sum(body)
	return gofakes3.PutObjectResult{}, m.store(bucket, key, meta, cond, &memObject{
		body: newPartsBody([][]byte{body}), size: int64(len(body)), hash: sum[:],
	})
}

// putParts stores a completed multipart upload as its parts, under hash.
func (m *memStore) putParts(bucket, key string, meta map[string]string, parts [][]byte, size int64, hash []byte) error {
	return m.store(bucket, key, meta, nil, &memObject{body: newPartsBody(parts), size: size, hash: hash})
}

func (m *memStore) store(bucket, key string, meta map[string]string, cond *gofakes3.PutConditions, obj *memObject) error {
	if meta == nil {
		meta = map[string]string{}
	}
	if err := gofakes3.MergeMetadata(m, bucket, key, meta); err != nil {
		return err
	}
	obj.meta = meta
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return gofakes3.BucketNotFound(bucket)
	}
	if cond != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if old := b.objects[key]; old != nil {
			info.Exists, info.Hash = true, old.hash
		}
		if err := gofakes3.CheckPutConditions(cond, info); err != nil {
			return err
		}
	}
	obj.modified = time.Now()
	b.put(key, obj)
	return nil
}

// CopyObject implements gofakes3.Backend with gofakes3's helper.
func (m *memStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(m, srcBucket, srcKey, dstBucket, dstKey, meta)
}

// partsBody reads a body kept in pieces.
type partsBody struct {
	chunks [][]byte
	starts []int64 // offset of each chunk
}

func newPartsBody(chunks [][]byte) *partsBody {
	b := &partsBody{chunks: chunks, starts: make([]int64, len(chunks))}
	var off int64
	for i, c := range chunks {
		b.starts[i] = off
		off += int64(len(c))
	}
	return b
}

// ReadAt implements io.ReaderAt.
func (b *partsBody) ReadAt(p []byte, off int64) (int, error) {
	// The last chunk starting at or before off.
	i, found := slices.BinarySearch(b.starts, off)
	if !found {
		i--
	}
	n := 0
	for ; i >= 0 && i < len(b.chunks) && n < len(p); i++ {
		c := b.chunks[i]
		if skip := off - b.starts[i]; skip > 0 {
			if skip >= int64(len(c)) {
				continue
			}
			c = c[skip:]
		}
		n += copy(p[n:], c)
		off = b.starts[i] + int64(len(b.chunks[i]))
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
