package s3server

// Bucket versioning, as S3 has it. A bucket is never versioned until
// PutBucketVersioning sets it Enabled or Suspended; it never goes back.
//
// Each key has versions, newest first: objects and delete markers. The
// current version is the newest. A version made while the bucket is not
// Enabled (never versioned, or Suspended) is the "null" version: a key has
// at most one, and a new one replaces it wherever it stands. A version made
// while the bucket is Enabled gets an ID of its own.
//
// Both stores keep a key's versions in two places: the current version,
// when it is an object, where listings of objects find it (as the only
// version of a bucket never versioned), and the others (noncurrent
// versions, and delete markers, current or not) beside, newest first. The
// rules below work on that shape, once for both stores (keyVersions).

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"time"
)

// A bucket's versioning status; "" is never versioned.
const (
	versioningEnabled   = "Enabled"
	versioningSuspended = "Suspended"
)

// versionMeta is what a store keeps of a version beside the object.
type versionMeta struct {
	VersionID    string `json:"version_id,omitempty"` // "" is the null version
	Seq          uint64 `json:"seq,omitempty"`        // a newer version of a key has a higher one; 0 is older than all
	DeleteMarker bool   `json:"delete_marker,omitempty"`
}

// told is the version ID S3 tells clients: the version's own, "null" for
// the null version of a bucket whose versioning was ever set, and none
// ("") in a bucket never versioned.
func (m versionMeta) told(status string) string {
	switch {
	case m.VersionID != "":
		return m.VersionID
	case status != "":
		return "null"
	}
	return ""
}

// versionIDs spells version IDs with S3's characters: 32 of letters,
// digits, "." and "_".
var versionIDs = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._").WithPadding(base64.NoPadding)

// newVersionID is the ID of the version with sequence number seq: opaque,
// but it carries seq, so a version is found (and a listing resumed after
// one, even a deleted one) without a search, and a check, so an ID the
// sandbox never made is refused as S3 refuses one it cannot read. Its 24
// bytes: 12 random, seq masked with a hash of them, and 4 of a hash of
// the 20 before.
func newVersionID(seq uint64) (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:12]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint64(b[12:20], seq^versionMask(b[:12]))
	sum := sha256.Sum256(b[:20])
	copy(b[20:], sum[:4])
	return versionIDs.EncodeToString(b[:]), nil
}

func versionMask(random []byte) uint64 {
	sum := sha256.Sum256(random)
	return binary.BigEndian.Uint64(sum[:8])
}

// versionSeq reads the sequence number out of an ID newVersionID made.
func versionSeq(id string) (uint64, bool) {
	if len(id) != 32 {
		return 0, false
	}
	b, err := versionIDs.DecodeString(id)
	if err != nil || len(b) != 24 {
		return 0, false
	}
	sum := sha256.Sum256(b[:20])
	if string(sum[:4]) != string(b[20:]) {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[12:20]) ^ versionMask(b[:12]), true
}

// versionParam reads a request's versionId parameter: "" when there is
// none, else "null" or an ID the server made.
func versionParam(r *http.Request) (string, *Error) {
	v, ok := r.URL.Query()["versionId"]
	if !ok {
		return "", nil
	}
	return checkVersionID("versionId", v[0])
}

// checkVersionID refuses a version ID that is neither "null" nor one the
// server made, with S3's error.
func checkVersionID(param, id string) (string, *Error) {
	if id == "" {
		return "", errInvalidArgument(param, id, "Version id cannot be the empty string")
	}
	if id != "null" {
		if _, ok := versionSeq(id); !ok {
			return "", errInvalidArgument(param, id, "Invalid version id specified")
		}
	}
	return id, nil
}

// versioned is a store's record of one version.
type versioned interface {
	meta() *versionMeta
}

// keyVersions is one key's versions in a store, inside one of its
// transactions (or under its lock).
type keyVersions[V versioned] interface {
	// current is the key's current version when it is an object.
	current() (V, bool, error)
	setCurrent(V) error
	clearCurrent() error
	// others calls yield with the key's other versions (noncurrent ones,
	// and delete markers) newest first, while it returns true.
	others(yield func(V) bool) error
	// other is the other version with sequence number seq.
	other(seq uint64) (V, bool, error)
	addOther(V) error
	dropOther(V) error
	// free says no record names v any more: what it holds can go once
	// the change is committed.
	free(V)
	// marker is a new delete marker.
	marker(versionMeta) V
	nextSeq() (uint64, error)
}

// addVersion makes v the key's current version under the bucket's status:
// with an ID of its own when versioning is Enabled, else as the null
// version, in place of the one there was.
func addVersion[V versioned](k keyVersions[V], status string, v V) error {
	if _, err := stepDown(k, status); err != nil {
		return err
	}
	m, err := nextVersion(k, status)
	if err != nil {
		return err
	}
	*v.meta() = m
	return k.setCurrent(v) // in place of the one that stepped down
}

// nextVersion is the versionMeta of a new version. In a bucket never
// versioned it is the key's only version: its sequence number is 0, older
// than any made once versioning is set, as for records written before the
// store knew versions (which it leaves as they were).
func nextVersion[V versioned](k keyVersions[V], status string) (versionMeta, error) {
	if status == "" {
		return versionMeta{}, nil
	}
	seq, err := k.nextSeq()
	if err != nil {
		return versionMeta{}, err
	}
	m := versionMeta{Seq: seq}
	if status == versioningEnabled {
		if m.VersionID, err = newVersionID(seq); err != nil {
			return versionMeta{}, err
		}
	}
	return m, nil
}

// stepDown clears the way for a new current version: the current object
// joins the others, and when the new version will be the null version
// (the bucket is not Enabled) the old null version goes, wherever it
// stands. The current object's record stays for the caller to replace or
// clear; had says there was one.
func stepDown[V versioned](k keyVersions[V], status string) (had bool, err error) {
	cur, had, err := k.current()
	if err != nil {
		return false, err
	}
	if had {
		if status != versioningEnabled && cur.meta().VersionID == "" {
			k.free(cur)
			return true, nil // it was the null version: there is no other
		}
		if err := k.addOther(cur); err != nil {
			return false, err
		}
	}
	if status == versioningEnabled {
		return had, nil
	}
	null, found, err := findOther(k, func(v V) bool { return v.meta().VersionID == "" })
	if err != nil || !found {
		return had, err
	}
	if err := k.dropOther(null); err != nil {
		return false, err
	}
	k.free(null)
	return had, nil
}

// deleteCurrent is a DELETE without a version ID: the object goes in a
// bucket never versioned; otherwise a delete marker becomes the current
// version (the null version when the bucket is Suspended). It answers the
// marker's versionMeta, or that of nothing.
func deleteCurrent[V versioned](k keyVersions[V], status string) (versionMeta, error) {
	if status == "" {
		cur, ok, err := k.current()
		if err != nil || !ok {
			return versionMeta{}, err
		}
		if err := k.clearCurrent(); err != nil {
			return versionMeta{}, err
		}
		k.free(cur)
		return versionMeta{}, nil
	}
	had, err := stepDown(k, status)
	if err != nil {
		return versionMeta{}, err
	}
	if had {
		if err := k.clearCurrent(); err != nil {
			return versionMeta{}, err
		}
	}
	m, err := nextVersion(k, status)
	if err != nil {
		return versionMeta{}, err
	}
	m.DeleteMarker = true
	return m, k.addOther(k.marker(m))
}

// deleteVersion removes one version ("null" or an ID) for good; the next
// newest becomes current. found is false when there was no such version,
// which is no error.
func deleteVersion[V versioned](k keyVersions[V], id string) (m versionMeta, found bool, err error) {
	v, isCurrent, found, err := findVersion(k, id)
	if err != nil || !found {
		return versionMeta{}, false, err
	}
	if isCurrent {
		err = k.clearCurrent()
	} else {
		err = k.dropOther(v)
	}
	if err != nil {
		return versionMeta{}, false, err
	}
	k.free(v)
	m = *v.meta()
	if _, ok, err := k.current(); err != nil || ok {
		return m, true, err
	}
	// The newest of the others is current now; an object moves to its place.
	next, ok, err := findOther(k, func(V) bool { return true })
	if err != nil || !ok || next.meta().DeleteMarker {
		return m, true, err
	}
	if err := k.dropOther(next); err != nil {
		return versionMeta{}, false, err
	}
	return m, true, k.setCurrent(next)
}

// objectRef names what DeleteObject, or an entry of DeleteObjects, deletes:
// one version of a key ("null" or an ID), or (VersionID "") the key, as
// its bucket's versioning status says.
type objectRef struct {
	Key       string
	VersionID string
}

// removed is what a deletion did: the delete marker it made (VersionID as
// told), or the version asked for, and whether that was a delete marker.
type removed struct {
	VersionID    string
	DeleteMarker bool
}

// removeOne deletes what ref names.
func removeOne[V versioned](k keyVersions[V], status string, ref objectRef) (removed, error) {
	if ref.VersionID == "" {
		m, err := deleteCurrent(k, status)
		return removed{VersionID: m.told(status), DeleteMarker: m.DeleteMarker}, err
	}
	m, found, err := deleteVersion(k, ref.VersionID)
	return removed{VersionID: ref.VersionID, DeleteMarker: found && m.DeleteMarker}, err
}

// findVersion finds a version: the current one ("" asks for it: an object
// or a delete marker), "null", or an ID.
func findVersion[V versioned](k keyVersions[V], id string) (v V, isCurrent, found bool, err error) {
	cur, ok, err := k.current()
	if err != nil {
		return v, false, false, err
	}
	switch id {
	case "":
		if ok {
			return cur, true, true, nil
		}
		v, found, err = findOther(k, func(V) bool { return true })
		return v, false, found, err
	case "null":
		if ok && cur.meta().VersionID == "" {
			return cur, true, true, nil
		}
		v, found, err = findOther(k, func(v V) bool { return v.meta().VersionID == "" })
		return v, false, found, err
	}
	seq, _ := versionSeq(id)
	if ok && cur.meta().VersionID == id {
		return cur, true, true, nil
	}
	v, found, err = k.other(seq)
	if err != nil || !found || v.meta().VersionID != id {
		var zero V
		return zero, false, false, err
	}
	return v, false, true, nil
}

// findOther is the newest of the other versions that match.
func findOther[V versioned](k keyVersions[V], match func(V) bool) (v V, found bool, err error) {
	err = k.others(func(o V) bool {
		if match(o) {
			v, found = o, true
		}
		return !found
	})
	return v, found, err
}

// findAny is the newest version, current or not, that matches.
func findAny[V versioned](k keyVersions[V], match func(V) bool) (V, bool, error) {
	cur, ok, err := k.current()
	if err != nil || ok && match(cur) {
		return cur, ok, err
	}
	return findOther(k, match)
}

// errNoSuchVersion is S3's answer for a version that is not there.
func errNoSuchVersion(key, id string) *Error {
	return newError(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.").with("Key", key).with("VersionId", id)
}

// markerError is the answer to a request that reaches a delete marker:
// 404 when it is the key's current version, asked for by key alone, 405
// when asked for by its ID, as S3 answers.
func markerError(r *http.Request, key string, info *objectInfo, byVersion bool) *Error {
	var e *Error
	if byVersion {
		e = newError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.").
			with("Method", r.Method).with("ResourceType", "DeleteMarker")
		e.Header = http.Header{"Allow": {"DELETE"}, "Last-Modified": {info.Modified.UTC().Format(http.TimeFormat)}}
	} else {
		e = errNoSuchKey(key)
		e.Header = http.Header{}
	}
	e.Header.Set("X-Amz-Delete-Marker", "true")
	if id := info.VersionID; id != "" {
		e.Header.Set("X-Amz-Version-Id", id)
	}
	return e
}

// versionEntry is one version as ListObjectVersions shows it.
type versionEntry struct {
	Key string
	versionMeta
	Latest   bool
	Size     int64
	ETag     string
	Modified time.Time
}

// versionQuery asks for one page of ListObjectVersions.
type versionQuery struct {
	Prefix    string
	Delimiter string
	KeyMarker string
	// VersionMarker, with KeyMarker, is the version of that key the page
	// starts after: "null" or an ID; "" starts after all of its versions.
	VersionMarker string
	MaxKeys       int
}

// versionPage is one page of ListObjectVersions: versions in order (by
// key, newest first; VersionID as told), common prefixes, and where the
// next page starts.
type versionPage struct {
	Versions  []versionEntry
	Prefixes  []string
	Truncated bool
	NextKey   string
	// NextVersion is the last version's ID ("" when the page ended on a
	// common prefix).
	NextVersion string
}

// versionCursor walks one bucket's versions: seek moves to the newest
// version of the first key at or after key and answers it; next answers
// the one after the last answered.
type versionCursor interface {
	seek(key string) (versionEntry, bool, error)
	next() (versionEntry, bool, error)
}

// mergedVersions walks a bucket's versions in ListObjectVersions' order
// from the stores' two places: current objects (one per key) and the
// others (by key, newest first). A key's current object is its newest
// version, so it comes before the others of its key.
type mergedVersions struct {
	current, others versionCursor
	a, b            versionEntry
	aok, bok        bool
	last            string
	started         bool
}

func (m *mergedVersions) seek(key string) (versionEntry, bool, error) {
	var err error
	if m.a, m.aok, err = m.current.seek(key); err != nil {
		return versionEntry{}, false, err
	}
	if m.b, m.bok, err = m.others.seek(key); err != nil {
		return versionEntry{}, false, err
	}
	m.started = false
	return m.next()
}

func (m *mergedVersions) next() (versionEntry, bool, error) {
	var e versionEntry
	var err error
	switch {
	case m.aok && (!m.bok || m.a.Key <= m.b.Key):
		e = m.a
		m.a, m.aok, err = m.current.next()
	case m.bok:
		e = m.b
		m.b, m.bok, err = m.others.next()
	default:
		return versionEntry{}, false, nil
	}
	if err != nil {
		return versionEntry{}, false, err
	}
	e.Latest = !m.started || e.Key != m.last
	m.last, m.started = e.Key, true
	return e, true, nil
}

// pageVersions lists one page of a bucket's versions from c by S3's
// rules: keys with the prefix, after the markers, each common prefix once
// (see group), at most MaxKeys entries, version IDs as told for status
// ("null" for the null version, in any bucket).
func pageVersions(c versionCursor, q versionQuery, status string) (*versionPage, error) {
	out := &versionPage{}
	if q.MaxKeys == 0 {
		return out, nil
	}
	start, marker := q.Prefix, q.KeyMarker
	if marker != "" {
		if past := pastGroup(marker, q.Prefix, q.Delimiter); past != marker {
			// The marker is under a common prefix a page ended on, or
			// would have: the listing goes on after all of it.
			start, marker = max(start, past), ""
		} else {
			start = max(start, marker)
		}
	}
	e, ok, err := c.seek(start)
	// Skip the marker key's versions up to the version marker: all of
	// them when there is none; after an ID, those not older than it (the
	// ID says where it stood even when it was deleted since).
	var after uint64
	if q.VersionMarker != "" && q.VersionMarker != "null" {
		after, _ = versionSeq(q.VersionMarker)
	}
	for err == nil && ok && marker != "" && e.Key == marker {
		if after > 0 && e.Seq < after {
			break
		}
		null := e.VersionID == ""
		e, ok, err = c.next()
		if null && q.VersionMarker == "null" {
			break
		}
	}
	n := 0
	for err == nil && ok && strings.HasPrefix(e.Key, q.Prefix) {
		if n == q.MaxKeys {
			out.Truncated = true
			break
		}
		n++
		if g, isGroup := group(e.Key, q.Prefix, q.Delimiter); isGroup {
			out.Prefixes = append(out.Prefixes, g)
			out.NextKey, out.NextVersion = g, ""
			// Every later key under g rolls up into it too.
			if end := prefixEnd(g); end != "" {
				e, ok, err = c.seek(end)
			} else {
				ok = false
			}
			continue
		}
		// A listing calls even a bucket's only versions "null".
		if e.VersionID = e.told(status); e.VersionID == "" {
			e.VersionID = "null"
		}
		out.Versions = append(out.Versions, e)
		out.NextKey, out.NextVersion = e.Key, e.VersionID
		e, ok, err = c.next()
	}
	if err != nil {
		return nil, err
	}
	if !out.Truncated {
		out.NextKey, out.NextVersion = "", ""
	}
	return out, nil
}
