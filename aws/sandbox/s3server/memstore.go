package s3server

import (
	"crypto/md5"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// memStore keeps everything in memory (the sandbox's memory mode). A
// completed multipart upload is kept as its parts, never copied into one
// buffer nor hashed whole: S3 itself never hashes a whole multipart object
// (that is why its ETag is the MD5 of the parts' MD5s). Listings page
// through a sorted index of keys, kept up to date lazily.
type memStore struct {
	mu      sync.RWMutex
	buckets map[string]*memBucket
	uploads map[string]*memUpload
	seq     uint64 // upload IDs
	vseq    uint64 // versions
}

// memBucket holds a bucket's objects as the versioning rules want them
// (see keyVersions): each key's current version when it is an object, and
// its other versions, newest first.
type memBucket struct {
	created    time.Time
	versioning string
	objects    map[string]*memObject
	others     map[string][]*memObject

	// The keys of objects and of others, sorted for listings.
	keys, otherKeys sortedKeys
}

// sortedKeys is a sorted index of a map's keys, brought up to date lazily:
// added holds keys put since it was sorted, and stale says deleted keys
// may still be in keys.
type sortedKeys struct {
	keys  []string
	added []string
	stale bool
}

// sorted sorts the keys added since the last listing into keys and drops
// those has no longer has; the caller holds the write lock.
func (s *sortedKeys) sorted(has func(string) bool, n int) []string {
	if len(s.added) == 0 && !s.stale {
		return s.keys
	}
	slices.Sort(s.added)
	merged := make([]string, 0, n)
	i, j := 0, 0
	for i < len(s.keys) || j < len(s.added) {
		var k string
		if j == len(s.added) || (i < len(s.keys) && s.keys[i] <= s.added[j]) {
			k, i = s.keys[i], i+1
		} else {
			k, j = s.added[j], j+1
		}
		if has(k) && (len(merged) == 0 || merged[len(merged)-1] != k) {
			merged = append(merged, k)
		}
	}
	s.keys, s.added, s.stale = merged, nil, false
	return s.keys
}

// memObject is one stored version: an object, or a delete marker (no
// body). Only its versionMeta changes once stored, under the store's lock.
type memObject struct {
	info objectInfo // VersionID as stored: "" is the null version
	body *partsBody
}

func (o *memObject) meta() *versionMeta { return &o.info.versionMeta }

// told is the object as the server sees it.
func (o *memObject) told(status string) *objectInfo {
	info := o.info
	info.VersionID = o.info.told(status)
	return &info
}

// memUpload is a multipart upload in progress. Its info never changes.
type memUpload struct {
	info uploadInfo

	mu    sync.Mutex
	parts map[int]*memPart
	done  bool // completed or aborted: no more parts
}

type memPart struct {
	rec  partRecord
	body []byte
}

var _ store = (*memStore)(nil)

func newMemStore() *memStore {
	now := uint64(time.Now().UnixNano())
	return &memStore{buckets: map[string]*memBucket{}, uploads: map[string]*memUpload{}, seq: now, vseq: now}
}

func (m *memStore) close() error { return nil }

func (b *memBucket) index() []string {
	return b.keys.sorted(func(k string) bool { return b.objects[k] != nil }, len(b.objects))
}

func (b *memBucket) otherIndex() []string {
	return b.otherKeys.sorted(func(k string) bool { return len(b.others[k]) > 0 }, len(b.others))
}

// memKey is one key's versions in a bucket, for the versioning rules; the
// caller holds the store's lock (the write lock for a change).
type memKey struct {
	m   *memStore
	b   *memBucket
	key string
}

var _ keyVersions[*memObject] = memKey{}

func (k memKey) current() (*memObject, bool, error) {
	o := k.b.objects[k.key]
	return o, o != nil, nil
}

func (k memKey) setCurrent(o *memObject) error {
	if k.b.objects[k.key] == nil {
		k.b.keys.added = append(k.b.keys.added, k.key)
	}
	k.b.objects[k.key] = o
	return nil
}

func (k memKey) clearCurrent() error {
	delete(k.b.objects, k.key)
	k.b.keys.stale = true
	return nil
}

func (k memKey) others(yield func(*memObject) bool) error {
	for _, o := range k.b.others[k.key] {
		if !yield(o) {
			break
		}
	}
	return nil
}

func (k memKey) other(seq uint64) (*memObject, bool, error) {
	for _, o := range k.b.others[k.key] {
		if o.info.Seq == seq {
			return o, true, nil
		}
	}
	return nil, false, nil
}

// addOther puts o among the others by its sequence number, newest first.
func (k memKey) addOther(o *memObject) error {
	vs := k.b.others[k.key]
	if len(vs) == 0 {
		k.b.otherKeys.added = append(k.b.otherKeys.added, k.key)
	}
	i := 0
	for i < len(vs) && vs[i].info.Seq > o.info.Seq {
		i++
	}
	k.b.others[k.key] = slices.Insert(vs, i, o)
	return nil
}

func (k memKey) dropOther(o *memObject) error {
	vs := slices.DeleteFunc(k.b.others[k.key], func(v *memObject) bool { return v == o })
	if len(vs) == 0 {
		delete(k.b.others, k.key)
		k.b.otherKeys.stale = true
		return nil
	}
	k.b.others[k.key] = vs
	return nil
}

func (k memKey) free(*memObject) {}

func (k memKey) marker(m versionMeta) *memObject {
	return &memObject{info: objectInfo{versionMeta: m, Modified: time.Now().UTC()}}
}

func (k memKey) nextSeq() (uint64, error) {
	k.m.vseq++
	return k.m.vseq, nil
}

func (m *memStore) listBuckets() ([]bucketEntry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]bucketEntry, 0, len(m.buckets))
	for name, b := range m.buckets {
		out = append(out, bucketEntry{Name: name, Created: b.created})
	}
	slices.SortFunc(out, func(x, y bucketEntry) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

func (m *memStore) createBucket(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buckets[name] != nil {
		return errBucketOwned(name)
	}
	m.buckets[name] = &memBucket{created: time.Now(), objects: map[string]*memObject{}, others: map[string][]*memObject{}}
	return nil
}

func (m *memStore) bucketExists(name string) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.buckets[name] != nil, nil
}

func (m *memStore) deleteBucket(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[name]
	if b == nil {
		return errNoSuchBucket(name)
	}
	if len(b.objects) > 0 || len(b.others) > 0 {
		return errBucketNotEmpty(name, b.versioning)
	}
	for id, up := range m.uploads {
		if up.info.Bucket == name {
			delete(m.uploads, id)
		}
	}
	delete(m.buckets, name)
	return nil
}

// list answers by S3's rules (see group): keys after the marker that start
// with the prefix, each common prefix once and counted once, at most
// MaxKeys entries.
func (m *memStore) list(bucket string, q listQuery) (*listPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, errNoSuchBucket(bucket)
	}
	keys := b.index()
	out := &listPage{}
	// The keys with the prefix are one run of the sorted keys.
	i, _ := slices.BinarySearch(keys, max(q.Prefix, q.Marker))
	if q.Marker != "" && i < len(keys) && keys[i] == q.Marker {
		i++
	}
	n := 0
	for i < len(keys) && strings.HasPrefix(keys[i], q.Prefix) {
		key := keys[i]
		if g, ok := group(key, q.Prefix, q.Delimiter); ok {
			out.Prefixes = append(out.Prefixes, g)
			out.Next = g
			// Every later key under g rolls up into it too.
			i = len(keys)
			if end := prefixEnd(g); end != "" {
				i, _ = slices.BinarySearch(keys, end)
			}
		} else {
			o := b.objects[key]
			out.Objects = append(out.Objects, listEntry{Key: key, Size: o.info.Size, ETag: o.info.ETag, Modified: o.info.Modified})
			out.Next = key
			i++
		}
		n++
		if n >= q.MaxKeys {
			out.Truncated = i < len(keys) && strings.HasPrefix(keys[i], q.Prefix)
			break
		}
	}
	if !out.Truncated {
		out.Next = ""
	}
	return out, nil
}

// lookup finds a version of key (see findVersion), under the read lock.
func (m *memStore) lookup(bucket, key, version string) (*memObject, string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, "", errNoSuchBucket(bucket)
	}
	o, _, found, _ := findVersion(memKey{m, b, key}, version)
	switch {
	case found:
		return o, b.versioning, nil
	case version == "":
		return nil, "", errNoSuchKey(key)
	}
	return nil, "", errNoSuchVersion(key, version)
}

func (m *memStore) stat(bucket, key, version string) (*objectInfo, error) {
	o, status, err := m.lookup(bucket, key, version)
	if err != nil {
		return nil, err
	}
	return o.told(status), nil
}

func (m *memStore) open(bucket, key, version string) (*objectInfo, objectBody, error) {
	o, status, err := m.lookup(bucket, key, version)
	if err != nil {
		return nil, nil, err
	}
	if o.info.DeleteMarker {
		return o.told(status), nil, nil
	}
	return o.told(status), o.body, nil
}

// readBody reads exactly size bytes of r (size < 0: all of it), then on to EOF, where a checked
// body reports what it found wrong; partReadChunk bytes at a time, hashed
// as they come.
func readBody(r io.Reader, size int64) ([]byte, []byte, error) {
	if size > maxPartSize {
		return nil, nil, errTooLarge(size)
	}
	if size < 0 {
		// A body of unknown length (chunked transfer coding).
		buf, err := io.ReadAll(io.LimitReader(r, maxPartSize+1))
		if err != nil {
			return nil, nil, err
		}
		if len(buf) > maxPartSize {
			return nil, nil, errTooLarge(int64(len(buf)))
		}
		sum := md5.Sum(buf)
		return buf, sum[:], nil
	}
	buf := make([]byte, size)
	h := md5.New()
	for n := 0; n < len(buf); {
		k, err := io.ReadFull(r, buf[n:min(n+partReadChunk, len(buf))])
		h.Write(buf[n : n+k])
		n += k
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, nil, errIncompleteBody()
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := readEOF(r); err != nil {
		return nil, nil, err
	}
	return buf, h.Sum(nil), nil
}

// readEOF reads r on to its end, which must come now.
func readEOF(r io.Reader) error {
	var extra [1]byte
	n, err := io.ReadFull(r, extra[:])
	if n > 0 {
		return errIncompleteBody().with("Detail", "the body is longer than its Content-Length")
	}
	if err == io.EOF {
		return nil
	}
	return err
}

// partReadChunk is how much of a body is read before it is hashed: small
// enough to hash while still in the CPU cache.
const partReadChunk = 256 << 10

func (m *memStore) put(bucket, key string, info *objectInfo, body io.Reader, size int64, check precondition) (*objectInfo, error) {
	if ok, _ := m.bucketExists(bucket); !ok {
		return nil, errNoSuchBucket(bucket)
	}
	buf, sum, err := readBody(body, size)
	if err != nil {
		return nil, err
	}
	o := &memObject{info: *info, body: newPartsBody([][]byte{buf})}
	o.info.Size, o.info.MD5, o.info.ETag = int64(len(buf)), sum, quotedHex(sum)
	o.info.Parts, o.info.UploadID = nil, ""
	if ck := bodyChecksum(body); ck != nil {
		o.info.Checksum = ck
	}
	return m.commit(bucket, key, o, check)
}

// commit makes o key's new version if check allows it.
func (m *memStore) commit(bucket, key string, o *memObject, check precondition) (*objectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, errNoSuchBucket(bucket)
	}
	if check != nil {
		var old *objectInfo
		if cur := b.objects[key]; cur != nil {
			old = &cur.info
		}
		if e := check(old); e != nil {
			return nil, e
		}
	}
	o.info.Modified = time.Now().UTC()
	if err := addVersion(memKey{m, b, key}, b.versioning, o); err != nil {
		return nil, err
	}
	return o.told(b.versioning), nil
}

func (m *memStore) remove(bucket string, refs ...objectRef) ([]removed, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, errNoSuchBucket(bucket)
	}
	out := make([]removed, len(refs))
	for i, ref := range refs {
		k := memKey{m, b, ref.Key}
		var err error
		out[i], err = removeOne(k, b.versioning, ref)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *memStore) versioning(bucket string) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.buckets[bucket]
	if b == nil {
		return "", errNoSuchBucket(bucket)
	}
	return b.versioning, nil
}

func (m *memStore) setVersioning(bucket, status string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return errNoSuchBucket(bucket)
	}
	b.versioning = status
	return nil
}

// listVersions pages through the versions of a bucket's keys (see
// pageVersions).
func (m *memStore) listVersions(bucket string, q versionQuery) (*versionPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, errNoSuchBucket(bucket)
	}
	c := &mergedVersions{
		current: &memCursor{keys: b.index(), of: func(k string) []*memObject { return []*memObject{b.objects[k]} }},
		others:  &memCursor{keys: b.otherIndex(), of: func(k string) []*memObject { return b.others[k] }},
	}
	return pageVersions(c, q, b.versioning)
}

// memCursor walks the versions of sorted keys (see versionCursor).
type memCursor struct {
	keys []string
	of   func(string) []*memObject
	i, j int // the next version: of(keys[i])[j]
}

func (c *memCursor) seek(key string) (versionEntry, bool, error) {
	c.i, _ = slices.BinarySearch(c.keys, key)
	c.j = 0
	return c.next()
}

func (c *memCursor) next() (versionEntry, bool, error) {
	for ; c.i < len(c.keys); c.i, c.j = c.i+1, 0 {
		if vs := c.of(c.keys[c.i]); c.j < len(vs) {
			o := vs[c.j]
			c.j++
			return versionEntry{Key: c.keys[c.i], versionMeta: o.info.versionMeta, Size: o.info.Size, ETag: o.info.ETag, Modified: o.info.Modified}, true, nil
		}
	}
	return versionEntry{}, false, nil
}

func (m *memStore) createUpload(bucket, key string, object *objectInfo) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buckets[bucket] == nil {
		return "", errNoSuchBucket(bucket)
	}
	m.seq++
	id, err := newUploadID(m.seq)
	if err != nil {
		return "", err
	}
	m.uploads[id] = &memUpload{
		info:  uploadInfo{ID: id, Bucket: bucket, Key: key, Initiated: time.Now().UTC(), Object: *object},
		parts: map[int]*memPart{},
	}
	return id, nil
}

// findUpload finds an upload in progress, which must be for bucket and key.
func (m *memStore) findUpload(bucket, key, id string) (*memUpload, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.buckets[bucket] == nil {
		return nil, errNoSuchBucket(bucket)
	}
	up := m.uploads[id]
	if up == nil || up.info.Bucket != bucket || up.info.Key != key {
		return nil, errNoSuchUpload(id)
	}
	return up, nil
}

func (m *memStore) upload(bucket, key, id string) (*uploadInfo, []partRecord, error) {
	up, err := m.findUpload(bucket, key, id)
	if err != nil {
		return nil, nil, err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return nil, nil, errNoSuchUpload(id)
	}
	parts := make([]partRecord, 0, len(up.parts))
	for _, p := range up.parts {
		parts = append(parts, p.rec)
	}
	sortParts(parts)
	info := up.info
	return &info, parts, nil
}

// uploadPart reads the part straight into a buffer of its size, hashing it
// as it arrives, in its own request's goroutine: parts sent at once hash in
// parallel.
func (m *memStore) uploadPart(bucket, key, id string, number int, body io.Reader, size int64) (partRecord, error) {
	up, err := m.findUpload(bucket, key, id)
	if err != nil {
		return partRecord{}, err
	}
	buf, sum, err := readBody(body, size)
	if err != nil {
		return partRecord{}, err
	}
	p := &memPart{rec: partRecord{Number: number, MD5: sum, Size: int64(len(buf)), Modified: time.Now().UTC(), Checksum: bodyChecksum(body)}, body: buf}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return partRecord{}, errNoSuchUpload(id)
	}
	up.parts[number] = p
	return p.rec, nil
}

func (m *memStore) uploadMeta(bucket, key, id string) (*uploadInfo, error) {
	up, err := m.findUpload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	info := up.info
	return &info, nil
}

func (m *memStore) completeUpload(bucket, key, id string, req []completePart, check precondition, verify func(*objectInfo) *Error) (*objectInfo, error) {
	up, err := m.findUpload(bucket, key, id)
	if e, ok := err.(*Error); ok && e.Code == "NoSuchUpload" {
		return m.completed(bucket, key, id, err)
	}
	if err != nil {
		return nil, err
	}
	// Parts arriving for this upload wait until it is done, then fail.
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return m.completed(bucket, key, id, errNoSuchUpload(id))
	}
	have := make([]partRecord, 0, len(up.parts))
	for _, p := range up.parts {
		have = append(have, p.rec)
	}
	plan, perr := planComplete(&up.info, req, have)
	if perr == nil && verify != nil {
		perr = verify(&plan.info)
	}
	if perr != nil {
		return nil, perr
	}
	chunks := make([][]byte, len(plan.parts))
	for i, p := range plan.parts {
		chunks[i] = up.parts[p.Number].body
	}
	o := &memObject{info: plan.info, body: newPartsBody(chunks)}
	out, err := m.commit(bucket, key, o, check)
	if err != nil {
		return nil, err
	}
	up.done, up.parts = true, nil
	m.mu.Lock()
	delete(m.uploads, id)
	m.mu.Unlock()
	return out, nil
}

// completed answers a Complete of an upload no longer in progress: the
// version it made while the key still has it, else notFound.
func (m *memStore) completed(bucket, key, id string, notFound error) (*objectInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, notFound
	}
	o, found, _ := findAny(memKey{m, b, key}, func(o *memObject) bool { return o.info.UploadID == id })
	if !found {
		return nil, notFound
	}
	return o.told(b.versioning), nil
}

func (m *memStore) abortUpload(bucket, key, id string) error {
	up, err := m.findUpload(bucket, key, id)
	if err != nil {
		return err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.done {
		return errNoSuchUpload(id)
	}
	up.done, up.parts = true, nil
	m.mu.Lock()
	delete(m.uploads, id)
	m.mu.Unlock()
	return nil
}

func (m *memStore) listUploads(bucket, prefix string) ([]uploadInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.buckets[bucket] == nil {
		return nil, errNoSuchBucket(bucket)
	}
	var out []uploadInfo
	for _, up := range m.uploads {
		if up.info.Bucket == bucket && strings.HasPrefix(up.info.Key, prefix) {
			out = append(out, up.info)
		}
	}
	return out, nil
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

// Close implements objectBody.
func (b *partsBody) Close() error { return nil }

// More errors the stores answer.
func errBucketOwned(name string) *Error {
	return newError(http.StatusConflict, "BucketAlreadyOwnedByYou",
		"Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", name)
}

// errBucketNotEmpty is S3's answer, which in a bucket whose versioning was
// ever set says versions count.
func errBucketNotEmpty(name, status string) *Error {
	msg := "The bucket you tried to delete is not empty"
	if status != "" {
		msg += ". You must delete all versions in the bucket."
	}
	return newError(http.StatusConflict, "BucketNotEmpty", "%s", msg).with("BucketName", name)
}

func errTooLarge(size int64) *Error {
	return newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").
		with("ProposedSize", itoa64(size)).with("MaxSizeAllowed", itoa64(maxPartSize))
}
