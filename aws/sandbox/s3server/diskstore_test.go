package s3server

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// storeFiles are the data files of a disk store (objects and parts, not the
// index), relative to its directory.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{diskObjectsDir, diskUploadsDir, diskTmpDir} {
		filepath.WalkDir(filepath.Join(dir, sub), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				out = append(out, rel)
			}
			return nil
		})
	}
	slices.Sort(out)
	return out
}

// crash ends a disk store as a killed process does: the index is released
// (the kernel would), but nothing the store does on close runs.
func crash(d *diskStore) { d.db.Close() }

// TestCompleteCutShortByACrash: a Complete cut short between linking the
// parts and committing leaves the upload as it was; the next start removes
// the links no record names, and the upload completes.
func TestCompleteCutShortByACrash(t *testing.T) {
	dir := t.TempDir()
	d, err := openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.createBucket("b"); err != nil {
		t.Fatal(err)
	}
	id, err := d.createUpload("b", "k", &objectInfo{})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{bytes.Repeat([]byte("a"), minPartSize), []byte("tail")}
	var req []completePart
	for i, p := range parts {
		rec, err := d.uploadPart("b", "k", id, i+1, bytes.NewReader(p), int64(len(p)))
		if err != nil {
			t.Fatal(err)
		}
		req = append(req, completePart{Number: i + 1, ETag: rec.etag()})
	}
	before := storeFiles(t, dir)

	testHookLinked = runtime.Goexit // the process dies here
	t.Cleanup(func() { testHookLinked = nil })
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.completeUpload("b", "k", id, req, nil, nil)
	}()
	<-done
	testHookLinked = nil
	if linked := storeFiles(t, dir); len(linked) != len(before)+len(parts) {
		t.Fatalf("files after the cut: %q, want the parts and their links", linked)
	}
	crash(d)

	d, err = openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if d.reclaimed != len(parts) {
		t.Errorf("the start removed %d files, want the %d links", d.reclaimed, len(parts))
	}
	if got := storeFiles(t, dir); !slices.Equal(got, before) {
		t.Errorf("files after the start: %q, want the upload's %q", got, before)
	}
	if _, err := d.stat("b", "k", ""); code(err) != "NoSuchKey" {
		t.Errorf("object after the crash: %v, want none", err)
	}
	info, err := d.completeUpload("b", "k", id, req, nil, nil)
	if err != nil {
		t.Fatalf("Complete after the crash: %v", err)
	}
	_, body, err := d.open("b", "k", "")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(io.NewSectionReader(body, 0, info.Size))
	body.Close()
	if !bytes.Equal(got, bytes.Join(parts, nil)) {
		t.Errorf("object after the Complete: %d bytes", len(got))
	}
	for _, f := range storeFiles(t, dir) {
		if !strings.HasPrefix(f, diskObjectsDir+"/") {
			t.Errorf("%s left after the Complete", f)
		}
	}
}

// TestCleanStopChecksNothing: a store closed cleanly is not checked file by
// file on its next start (the check is for after a crash); a file no record
// names is then left alone until the next unclean stop.
func TestCleanStopChecksNothing(t *testing.T) {
	dir := t.TempDir()
	d, err := openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	d.createBucket("b")
	stray := filepath.Join(dir, diskObjectsDir, "ab", "ab00")
	os.MkdirAll(filepath.Dir(stray), 0o700)
	os.WriteFile(stray, []byte("x"), 0o600)
	d.close()
	d, err = openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.reclaimed != 0 {
		t.Errorf("a start after a clean stop removed %d files", d.reclaimed)
	}
	crash(d)
	d, err = openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if _, err := os.Stat(stray); d.reclaimed != 1 || err == nil {
		t.Errorf("a start after a crash removed %d files (stray: %v)", d.reclaimed, err)
	}
}

// TestStoreWrittenBeforeVersioningReadsAsNullVersions: a store written
// before the sandbox knew versions (records without version fields) needs
// no migration: its objects are null versions, current until a bucket's
// versioning makes newer ones, and a start after a crash keeps their files.
func TestStoreWrittenBeforeVersioningReadsAsNullVersions(t *testing.T) {
	dir := t.TempDir()
	d, err := openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.createBucket("b"); err != nil {
		t.Fatal(err)
	}
	// The record and file as the store wrote them before.
	name := "0123456789abcdef0123456789abcdef"
	if err := os.MkdirAll(filepath.Dir(d.objectPath(name)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.objectPath(name), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := `{"size":3,"md5":"FJYD5sA1FjYqjaI/Yk25RQ==","modified":"2026-11-01T10:00:00Z","meta":{"Content-Type":"text/plain"},` +
		`"files":[{"name":"` + name + `","size":3}]}`
	if err := d.db.Update(func(tx *bolt.Tx) error { return objectsOf(tx, "b").Put([]byte("k"), []byte(old)) }); err != nil {
		t.Fatal(err)
	}
	d.close()

	d, err = openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	read := func(version string) string {
		t.Helper()
		info, body, err := d.open("b", "k", version)
		if err != nil {
			t.Fatalf("version %q: %v", version, err)
		}
		defer body.Close()
		got, _ := io.ReadAll(io.NewSectionReader(body, 0, info.Size))
		return string(got) + " " + info.VersionID
	}
	if got := read(""); got != "old " {
		t.Errorf("before versioning: %q, want the object, no version told", got)
	}
	if err := d.setVersioning("b", versioningEnabled); err != nil {
		t.Fatal(err)
	}
	if got := read("null"); got != "old null" {
		t.Errorf("the null version: %q", got)
	}
	if info, err := d.stat("b", "k", "null"); err != nil || info.ETag != `"149603e6c03516362a8da23f624db945"` || info.Meta["Content-Type"] != "text/plain" {
		t.Errorf("the null version's record: %+v %v", info, err)
	}
	info, err := d.put("b", "k", &objectInfo{}, strings.NewReader("new"), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := d.listVersions("b", versionQuery{MaxKeys: 10})
	if err != nil || len(list.Versions) != 2 || list.Versions[0].VersionID != info.VersionID || list.Versions[1].VersionID != "null" || list.Versions[1].Latest {
		t.Fatalf("versions: %+v %v, want the new one, then the null one", list, err)
	}
	crash(d)
	d, err = openDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if d.reclaimed != 0 {
		t.Errorf("a start after a crash removed %d files of versions", d.reclaimed)
	}
	if _, err := d.remove("b", objectRef{Key: "k", VersionID: info.VersionID}); err != nil {
		t.Fatal(err)
	}
	if got := read(""); got != "old null" {
		t.Errorf("once the new version is deleted: %q, want the old object current", got)
	}
}
