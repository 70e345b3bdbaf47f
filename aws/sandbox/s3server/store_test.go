package s3server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	bolt "go.etcd.io/bbolt"
)

// stores opens each store, empty, for one test.
func stores(t testing.TB) []struct {
	name string
	st   store
} {
	d, err := openDiskStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.close() })
	return []struct {
		name string
		st   store
	}{{"memStore", newMemStore()}, {"diskStore", d}}
}

// code is the S3 error code of a store error, "" for none.
func code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "other: " + err.Error()
}

// comparable drops what differs between two stores holding the same
// objects (times, upload IDs and version IDs, which are random, and
// versions' sequence numbers).
func comparable(info *objectInfo) objectInfo {
	o := *info
	o.Modified, o.UploadID = time.Time{}, ""
	o.Seq = 0
	if o.VersionID != "" && o.VersionID != "null" {
		o.VersionID = "an ID"
	}
	return o
}

// TestStoresAgree runs the same random puts, deletes, copies and
// single-part uploads on memStore and diskStore and checks that reads,
// metadata and errors agree, and that every page of every listing (with
// prefixes, delimiters and markers) follows S3's rule, written plainly in
// s3List.
func TestStoresAgree(t *testing.T) {
	sts := stores(t)
	var errs [2]error
	same := func(what string, vals [2]any) {
		t.Helper()
		if code(errs[0]) != code(errs[1]) {
			t.Fatalf("%s: memStore %v, diskStore %v", what, errs[0], errs[1])
		}
		if !reflect.DeepEqual(vals[0], vals[1]) {
			t.Fatalf("%s:\n memStore %+v\ndiskStore %+v", what, vals[0], vals[1])
		}
	}
	for _, name := range []string{"bkt", "empty", "bkt"} {
		for i, s := range sts {
			errs[i] = s.st.createBucket(name)
		}
		same("create "+name, [2]any{})
	}

	r := mathrand.New(mathrand.NewPCG(7, 11))
	segs := []string{"a", "b", "ab", "a.txt", "", "c d", "\x1b[31m", "\xff"}
	var universe []string
	for range 60 {
		parts := make([]string, 1+r.IntN(3))
		for i := range parts {
			parts[i] = segs[r.IntN(len(segs))]
		}
		if k := strings.Join(parts, "/"); k != "" && !slices.Contains(universe, k) {
			universe = append(universe, k)
		}
	}
	for op := range 400 {
		key := universe[r.IntN(len(universe))]
		var vals [2]any
		switch x := r.IntN(12); {
		case x < 6:
			body := bytes.Repeat([]byte{byte(op)}, r.IntN(40))
			meta := map[string]string{"Content-Type": "text/plain", "x-amz-meta-n": fmt.Sprint(op % 3), "x-amz-meta-bin": "\xe9"}
			for i, s := range sts {
				var info *objectInfo
				info, errs[i] = s.st.put("bkt", key, &objectInfo{Meta: meta}, bytes.NewReader(body), int64(len(body)), nil)
				if errs[i] == nil {
					vals[i] = comparable(info)
				}
			}
			same("put "+key, vals)
		case x < 8:
			refs := []objectRef{{Key: key}, {Key: universe[r.IntN(len(universe))]}, {Key: "never-there"}}
			for i, s := range sts {
				_, errs[i] = s.st.remove("bkt", refs...)
			}
			same("delete", vals)
		case x < 10:
			dst := universe[r.IntN(len(universe))]
			for i, s := range sts {
				info, body, err := s.st.open("bkt", key, "")
				errs[i] = err
				if err != nil {
					continue
				}
				info, errs[i] = s.st.put("bkt", dst, info, io.NewSectionReader(body, 0, info.Size), info.Size, nil)
				body.Close()
				if errs[i] == nil {
					vals[i] = comparable(info)
				}
			}
			same("copy "+key+" to "+dst, vals)
		default:
			body := bytes.Repeat([]byte{byte(op)}, 1+r.IntN(40))
			for i, s := range sts {
				id, err := s.st.createUpload("bkt", key, &objectInfo{Meta: map[string]string{"x-amz-meta-up": "1"}})
				if err != nil {
					t.Fatal(err)
				}
				p, err := s.st.uploadPart("bkt", key, id, 3, bytes.NewReader(body), int64(len(body)))
				if err != nil {
					t.Fatal(err)
				}
				info, err := s.st.completeUpload("bkt", key, id, []completePart{{Number: 3, ETag: p.etag()}}, nil, nil)
				errs[i] = err
				if err == nil {
					vals[i] = comparable(info)
				}
			}
			same("multipart "+key, vals)
		}
	}

	for _, key := range append(universe, "missing") {
		var vals [2]any
		for i, s := range sts {
			info, body, err := s.st.open("bkt", key, "")
			errs[i] = err
			if err == nil {
				b, _ := io.ReadAll(io.NewSectionReader(body, 0, info.Size))
				body.Close()
				vals[i] = []any{comparable(info), b}
			}
		}
		same("get "+key, vals)
	}

	// Listings: all of it from the model, then page by page from each store.
	var all []listEntry
	ms := sts[0].st.(*memStore)
	ms.mu.Lock()
	for k, o := range ms.buckets["bkt"].objects {
		all = append(all, listEntry{Key: k, Size: o.info.Size, ETag: o.info.ETag})
	}
	ms.mu.Unlock()
	slices.SortFunc(all, func(a, b listEntry) int { return strings.Compare(a.Key, b.Key) })
	for _, prefix := range []string{"", "a", "a/", "ab", "a/b", "/", "b/", "c d/a", "a//", "b/a.txt/", "\xff"} {
		for _, delim := range []string{"", "/", "b"} {
			want := s3List(all, prefix, delim)
			for _, maxKeys := range []int{1, 3, 1000} {
				for _, s := range sts {
					what := fmt.Sprintf("%s: list prefix %q delimiter %q max %d", s.name, prefix, delim, maxKeys)
					var got []any
					marker := ""
					for page := 0; ; page++ {
						list, err := s.st.list("bkt", listQuery{Prefix: prefix, Delimiter: delim, Marker: marker, MaxKeys: maxKeys})
						if err != nil {
							t.Fatalf("%s: %v", what, err)
						}
						n := len(list.Objects) + len(list.Prefixes)
						if n > maxKeys || list.Truncated && n != maxKeys {
							t.Fatalf("%s page %d: %d entries, truncated %v", what, page, n, list.Truncated)
						}
						got = append(got, pageEntries(list)...)
						if !list.Truncated || page > 100 {
							break
						}
						// As the server continues (Server.page).
						marker = pastGroup(list.Next, prefix, delim)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
					}
				}
			}
		}
	}

	for _, name := range []string{"bkt", "empty", "nope"} {
		var vals [2]any
		for i, s := range sts {
			vals[i], errs[i] = s.st.bucketExists(name)
		}
		same("exists "+name, vals)
		for i, s := range sts {
			errs[i] = s.st.deleteBucket(name)
		}
		same("delete bucket "+name, [2]any{})
	}
	for i, s := range sts {
		_, _, errs[i] = s.st.open("nope", "k", "")
	}
	same("get from a missing bucket", [2]any{})
}

// s3List is S3's listing rule, written plainly: every entry of a listing
// of objects, in key order, each the object (its key, size and ETag) or,
// once, the common prefix it rolls up into.
func s3List(objects []listEntry, prefix, delim string) []any {
	var out []any
	seen := map[string]bool{}
	for _, o := range objects {
		if !strings.HasPrefix(o.Key, prefix) {
			continue
		}
		rest := o.Key[len(prefix):]
		if i := strings.Index(rest, delim); delim != "" && i >= 0 {
			if cp := prefix + rest[:i+len(delim)]; !seen[cp] {
				seen[cp] = true
				out = append(out, "P:"+cp)
			}
			continue
		}
		out = append(out, o)
	}
	return out
}

// pageEntries is a page as s3List gives it, in key order.
func pageEntries(list *listPage) []any {
	type entry struct {
		name string
		v    any
	}
	var es []entry
	for _, o := range list.Objects {
		o.Modified = time.Time{}
		es = append(es, entry{o.Key, o})
	}
	for _, p := range list.Prefixes {
		es = append(es, entry{p, "P:" + p})
	}
	slices.SortStableFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var out []any
	for _, e := range es {
		out = append(out, e.v)
	}
	return out
}

// TestPartsBodyReadAt reads across the pieces of a body kept in parts.
func TestPartsBodyReadAt(t *testing.T) {
	parts := [][]byte{[]byte("abc"), []byte("defgh"), []byte("i"), []byte("jk")}
	whole := bytes.Join(parts, nil)
	b := newPartsBody(parts)
	for off := 0; off <= len(whole); off++ {
		for n := 0; n <= len(whole)-off+2; n++ {
			p := make([]byte, n)
			got, err := b.ReadAt(p, int64(off))
			want := min(n, len(whole)-off)
			if got != want || !bytes.Equal(p[:got], whole[off:off+want]) {
				t.Fatalf("ReadAt(%d bytes, %d) = %d %q, want %d %q", n, off, got, p[:got], want, whole[off:off+want])
			}
			if (err == io.EOF) != (want < n) {
				t.Fatalf("ReadAt(%d bytes, %d): err %v", n, off, err)
			}
		}
	}
}

// TestStoresRefuseBodiesThatFailTheirChecks: a body cut short, one longer
// than announced, and one whose reader fails at its end (as a checked body
// does on a digest mismatch) leave the object as it was, in both stores.
func TestStoresRefuseBodiesThatFailTheirChecks(t *testing.T) {
	failing := errors.New("digest mismatch")
	for _, s := range stores(t) {
		if err := s.st.createBucket("b"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.st.put("b", "k", &objectInfo{}, strings.NewReader("original"), 8, nil); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			body io.Reader
			size int64
			want string
		}{
			{"short", strings.NewReader("abc"), 10, "IncompleteBody"},
			{"long", strings.NewReader("abcdefghijkl"), 10, "IncompleteBody"},
			{"failing", io.MultiReader(strings.NewReader("abcdefghij"), iotest.ErrReader(failing)), 10, "other: " + failing.Error()},
		} {
			_, err := s.st.put("b", "k", &objectInfo{}, tc.body, tc.size, nil)
			if code(err) != tc.want {
				t.Errorf("%s: %s PUT: %v, want %s", s.name, tc.name, err, tc.want)
			}
			info, body, err := s.st.open("b", "k", "")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(io.NewSectionReader(body, 0, info.Size))
			body.Close()
			if string(got) != "original" {
				t.Errorf("%s: after a %s PUT the object is %q", s.name, tc.name, got)
			}
		}
	}
}

// BenchmarkList pages through 100,000 keys, 1,000 at a time, as a
// recursive listing of the sandbox does, from the memory store.
func BenchmarkList(b *testing.B) {
	st := newMemStore()
	st.createBucket("b")
	for i := range 100_000 {
		k := fmt.Sprintf("many/obj-%07d.txt", (i*7919)%100_000)
		if _, err := st.put("b", k, &objectInfo{}, strings.NewReader("x"), 1, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		marker, n := "", 0
		for {
			l, err := st.list("b", listQuery{Prefix: "many/", Marker: marker, MaxKeys: 1000})
			if err != nil {
				b.Fatal(err)
			}
			n += len(l.Objects)
			if !l.Truncated {
				break
			}
			marker = l.Next
		}
		if n != 100_000 {
			b.Fatalf("listed %d", n)
		}
	}
}

// BenchmarkDiskListPage times one ListObjectsV2 page of 1,000 keys from the
// middle of a bucket of 10,000 and of 1,000,000 objects, through the
// server: a page should cost the same at both sizes. The index is seeded
// directly (a million PUTs would take the whole run).
func BenchmarkDiskListPage(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		dir := b.TempDir()
		seedDiskIndex(b, dir, n)
		srv, err := New(Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		middle := fmt.Sprintf("many/obj-%08d", n/2)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			for range b.N {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/b?list-type=2&prefix=many/&max-keys=1000&start-after="+middle, nil))
				if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), "<Key>") != 1000 {
					b.Fatalf("page: %d %.200s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/page")
		})
		srv.Close()
	}
}

// seedDiskIndex puts n empty objects many/obj-NNNNNNNN into bucket "b" of a
// disk store in dir, in transactions of 100,000 records.
func seedDiskIndex(b *testing.B, dir string, n int) {
	b.Helper()
	d, err := openDiskStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	if err := d.createBucket("b"); err != nil {
		b.Fatal(err)
	}
	rec, err := json.Marshal(diskObject{Hash: []byte{0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e},
		Modified: time.Now(), Meta: map[string]exact{"Content-Type": "text/plain"}})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100_000
	for i := 0; i < n; i += batch {
		err := d.db.Update(func(tx *bolt.Tx) error {
			objs := objectsOf(tx, "b")
			objs.FillPercent = 1 // keys arrive in order
			for j := i; j < min(i+batch, n); j++ {
				if err := objs.Put(fmt.Appendf(nil, "many/obj-%08d", j), rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// modelVersion is a version in versionModel: its ID in each store ("" for
// the null version), and its body (none for a delete marker).
type modelVersion struct {
	ids    [2]string
	marker bool
	body   string
}

// versionModel is S3's versioning written plainly: each key's versions,
// newest first; a write or a delete while the bucket is not Enabled
// replaces the null version wherever it stands.
type versionModel struct {
	status string
	keys   map[string][]modelVersion
}

func (m *versionModel) dropNull(key string) {
	m.keys[key] = slices.DeleteFunc(m.keys[key], func(v modelVersion) bool { return v.ids[0] == "" })
}

func (m *versionModel) add(key string, v modelVersion) {
	if m.status != versioningEnabled {
		m.dropNull(key)
	}
	m.keys[key] = append([]modelVersion{v}, m.keys[key]...)
	if len(m.keys[key]) == 0 {
		delete(m.keys, key)
	}
}

// find is the index of the version with store i's ID id ("null" for the
// null version), -1 for none.
func (m *versionModel) find(key string, i int, id string) int {
	if id == "null" {
		id = ""
	}
	return slices.IndexFunc(m.keys[key], func(v modelVersion) bool { return v.ids[i] == id })
}

// listing is every version of the model as ListObjectVersions lists it in
// store i: key, ID as told, latest, marker, body size.
func (m *versionModel) listing(i int) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(m.keys)) {
		for n, v := range m.keys[key] {
			id := v.ids[i]
			if id == "" {
				id = "null"
			}
			out = append(out, fmt.Sprintf("%q %s latest=%v marker=%v size=%d", key, id, n == 0, v.marker, len(v.body)))
		}
	}
	return out
}

// TestStoresVersionAsS3 runs random writes, deletes (of keys and of
// versions) and versioning changes on both stores and checks every answer,
// every read by version and every page of ListObjectVersions (with markers
// and delimiters) against versionModel.
func TestStoresVersionAsS3(t *testing.T) {
	sts := stores(t)
	for _, s := range sts {
		if err := s.st.createBucket("v"); err != nil {
			t.Fatal(err)
		}
	}
	m := &versionModel{keys: map[string][]modelVersion{}}
	// Keys whose bytes test the versions index's order: a NUL, a key that
	// is another's prefix, bytes above 0x7f.
	keys := []string{"a", "a\x00", "a\x00b", "a\x01", "a/b", "a/c", "b", "\xff"}
	r := mathrand.New(mathrand.NewPCG(3, 5))
	for op := range 500 {
		key := keys[r.IntN(len(keys))]
		switch x := r.IntN(20); {
		case x == 0 || op == 40:
			m.status = []string{versioningEnabled, versioningSuspended}[r.IntN(2)]
			if op < 40 {
				m.status = "" // never versioned, for a while
				continue
			}
			for _, s := range sts {
				if err := s.st.setVersioning("v", m.status); err != nil {
					t.Fatal(err)
				}
			}
		case x < 9:
			body := fmt.Sprint(op)
			v := modelVersion{body: body}
			for i, s := range sts {
				info, err := s.st.put("v", key, &objectInfo{}, strings.NewReader(body), int64(len(body)), nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := m.status != "" && m.status != versioningEnabled; want != (info.VersionID == "null") {
					t.Fatalf("op %d: %s: put in a %q bucket told version %q", op, s.name, m.status, info.VersionID)
				}
				if info.VersionID != "null" {
					v.ids[i] = info.VersionID
				}
			}
			m.add(key, v)
		case x < 13:
			marker := modelVersion{marker: true}
			for i, s := range sts {
				res, err := s.st.remove("v", objectRef{Key: key})
				if err != nil {
					t.Fatal(err)
				}
				if res[0].DeleteMarker != (m.status != "") {
					t.Fatalf("op %d: %s: delete in a %q bucket: %+v", op, s.name, m.status, res[0])
				}
				if res[0].VersionID != "null" {
					marker.ids[i] = res[0].VersionID
				}
			}
			if m.status == "" {
				m.dropNull(key)
				if len(m.keys[key]) == 0 {
					delete(m.keys, key)
				}
			} else {
				m.add(key, marker)
			}
		default:
			// Delete a version: one there is, the null one, or one never made.
			vs := m.keys[key]
			pick := r.IntN(len(vs) + 2)
			var ids [2]string
			for i := range ids {
				switch {
				case pick < len(vs):
					ids[i] = vs[pick].ids[i]
				case pick == len(vs):
					ids[i] = "null"
				default:
					ids[i], _ = newVersionID(1 << 40)
				}
				if ids[i] == "" {
					ids[i] = "null"
				}
			}
			n := m.find(key, 0, ids[0])
			for i, s := range sts {
				res, err := s.st.remove("v", objectRef{Key: key, VersionID: ids[i]})
				if err != nil {
					t.Fatal(err)
				}
				if res[0].VersionID != ids[i] || res[0].DeleteMarker != (n >= 0 && vs[n].marker) {
					t.Fatalf("op %d: %s: delete version %s: %+v", op, s.name, ids[i], res[0])
				}
			}
			if n >= 0 {
				m.keys[key] = slices.Delete(vs, n, n+1)
				if len(m.keys[key]) == 0 {
					delete(m.keys, key)
				}
			}
		}

		// Every version of the key reads back as the model has it, and so
		// does the current one.
		for n, v := range m.keys[key] {
			for i, s := range sts {
				id := v.ids[i]
				if id == "" {
					id = "null"
				}
				info, body, err := s.st.open("v", key, id)
				if err != nil || info.DeleteMarker != v.marker {
					t.Fatalf("op %d: %s: %q version %s: %+v %v, want marker %v", op, s.name, key, id, info, err, v.marker)
				}
				if !v.marker {
					got, _ := io.ReadAll(io.NewSectionReader(body, 0, info.Size))
					body.Close()
					if string(got) != v.body {
						t.Fatalf("op %d: %s: %q version %s: %q, want %q", op, s.name, key, id, got, v.body)
					}
				}
				if n == 0 {
					cur, err := s.st.stat("v", key, "")
					if err != nil || cur.Seq != info.Seq {
						t.Fatalf("op %d: %s: %q current: %+v %v, want version %s", op, s.name, key, cur, err, id)
					}
				}
			}
		}
		if len(m.keys[key]) == 0 {
			for _, s := range sts {
				if _, err := s.st.stat("v", key, ""); code(err) != "NoSuchKey" {
					t.Fatalf("op %d: %s: %q with no versions: %v", op, s.name, key, err)
				}
			}
		}
		if op%50 != 49 {
			continue
		}
		// Every listing, page by page, continuing from each page's markers.
		for i, s := range sts {
			for _, maxKeys := range []int{1, 2, 1000} {
				var got []string
				q := versionQuery{MaxKeys: maxKeys}
				for page := 0; ; page++ {
					list, err := s.st.listVersions("v", q)
					if err != nil {
						t.Fatal(err)
					}
					for _, v := range list.Versions {
						got = append(got, fmt.Sprintf("%q %s latest=%v marker=%v size=%d", v.Key, v.VersionID, v.Latest, v.DeleteMarker, v.Size))
					}
					if !list.Truncated || page > 1000 {
						break
					}
					q.KeyMarker, q.VersionMarker = list.NextKey, list.NextVersion
				}
				if want := m.listing(i); !slices.Equal(got, want) {
					t.Fatalf("op %d: %s: versions by %d:\n got %q\nwant %q", op, s.name, maxKeys, got, want)
				}
			}
			// With a delimiter, the keys under a/ roll up into one prefix.
			list, err := s.st.listVersions("v", versionQuery{Delimiter: "/", MaxKeys: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var under int
			for k := range m.keys {
				if strings.HasPrefix(k, "a/") {
					under++
				}
			}
			if wantPrefix := under > 0; wantPrefix != slices.Equal(list.Prefixes, []string{"a/"}) || len(list.Prefixes) > 1 {
				t.Fatalf("op %d: %s: prefixes %q with %d keys under a/", op, s.name, list.Prefixes, under)
			}
		}
	}
	// A bucket with versions or delete markers is not empty.
	for _, s := range sts {
		err := s.st.deleteBucket("v")
		if len(m.keys) > 0 && code(err) != "BucketNotEmpty" {
			t.Errorf("%s: delete of a bucket with versions: %v", s.name, err)
		}
	}
}

// TestVersionIDs: IDs are S3's form, carry their sequence number, differ
// for the same number, and only IDs the server made are read as its own.
func TestVersionIDs(t *testing.T) {
	seen := map[string]bool{}
	for _, seq := range []uint64{0, 1, 2, 1 << 40, 1<<64 - 1, 2} {
		id, err := newVersionID(seq)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := versionSeq(id); !ok || got != seq || len(id) != 32 || seen[id] {
			t.Errorf("ID %q of %d reads as %d, %v", id, seq, got, ok)
		}
		seen[id] = true
		if strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._") != "" {
			t.Errorf("ID %q has characters S3's IDs have not", id)
		}
		other := "A"
		if id[31] == 'A' {
			other = "B"
		}
		if _, ok := versionSeq(id[:31] + other); ok {
			t.Errorf("ID %q with its last character changed is still read", id)
		}
	}
	for _, bad := range []string{"", "null", "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "short"} {
		if _, ok := versionSeq(bad); ok {
			t.Errorf("%q is read as a version ID", bad)
		}
	}
}
