package sandbox

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The disk store's layout, as its tests look at it (see package s3server).
const (
	diskIndexFile  = "index.bolt"
	diskObjectsDir = "objects"
	diskTmpDir     = "tmp"
)

// diskStart starts an on-disk sandbox on dir, closed at the end of the test
// unless closed before.
func diskStart(t *testing.T, dir string) *Sandbox {
	t.Helper()
	sb, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// diskFiles are the regular files under the data dir's store, by path
// relative to it, with their modes.
func diskFiles(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	root := filepath.Join(dir, storeDirName)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = fi.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dataFiles are the object and part files (not the index).
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for p := range diskFiles(t, dir) {
		if p != diskIndexFile {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func sbGet(t *testing.T, c *s3.Client, bucket, key string) ([]byte, string) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, sdkaws.ToString(out.ETag)
}

// TestDiskUploadSurvivesRestart: an upload in progress outlives the server:
// after a restart it is listed with its parts and completes.
func TestDiskUploadSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := diskStart(t, dir)
	c := sbClient(sb)
	bucket, key := sb.Bucket, "restart/big.bin"
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ContentType: sdkaws.String("video/mp4")})
	if err != nil {
		t.Fatal(err)
	}
	id := sdkaws.ToString(up.UploadId)
	parts := [][]byte{sbRandom(t, 5<<20), sbRandom(t, 1234)}
	var done []s3types.CompletedPart
	for i, p := range parts {
		n := int32(i + 1)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: &n, Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, s3types.CompletedPart{PartNumber: &n, ETag: out.ETag})
	}
	sbPut(t, c, bucket, "restart/small.txt", []byte("small"), "text/plain")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}

	sb = diskStart(t, dir)
	c = sbClient(sb)
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(ups.Uploads) != 1 || sdkaws.ToString(ups.Uploads[0].UploadId) != id || sdkaws.ToString(ups.Uploads[0].Key) != key {
		t.Fatalf("uploads after restart: %+v %v, want %s", ups, err, id)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id})
	if err != nil || len(lp.Parts) != 2 {
		t.Fatalf("parts after restart: %+v %v", lp, err)
	}
	for i, p := range lp.Parts {
		if sdkaws.ToString(p.ETag) != sdkaws.ToString(done[i].ETag) || sdkaws.ToInt64(p.Size) != int64(len(parts[i])) {
			t.Errorf("part %d after restart: ETag %s size %d, want %s %d", i+1, sdkaws.ToString(p.ETag), sdkaws.ToInt64(p.Size),
				sdkaws.ToString(done[i].ETag), len(parts[i]))
		}
	}
	cm, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("Complete after restart: %v", err)
	}
	body, etag := sbGet(t, c, bucket, key)
	if !bytes.Equal(body, slices.Concat(parts...)) || etag != sdkaws.ToString(cm.ETag) {
		t.Errorf("GET after Complete: %d bytes (equal: %v), ETag %s, want %s", len(body), bytes.Equal(body, slices.Concat(parts...)), etag, sdkaws.ToString(cm.ETag))
	}
	if small, _ := sbGet(t, c, bucket, "restart/small.txt"); string(small) != "small" {
		t.Errorf("small object after restart: %q", small)
	}
	// The upload's directory is gone; the object's two segments remain.
	if files := dataFiles(t, dir); len(files) != 3 {
		t.Errorf("data files after Complete: %q, want the small object and two segments", files)
	}
}

// TestDiskFiles: objects are files of mode 0600; no temporary file outlives
// an upload, whole or failed; deleting or overwriting an object removes its
// files, and the space they took.
func TestDiskFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := diskStart(t, dir)
	c := sbClient(sb)
	bucket := sb.Bucket

	check := func(what string, want int) {
		t.Helper()
		files := diskFiles(t, dir)
		n := 0
		for p, mode := range files {
			if mode.Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v, want 0600", what, p, mode.Perm())
			}
			if filepath.Dir(p) == diskTmpDir {
				t.Errorf("%s: temporary file %s left", what, p)
			}
			if p != diskIndexFile {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d data files %v, want %d", what, n, files, want)
		}
	}
	usage := func() int64 {
		t.Helper()
		var n int64
		filepath.WalkDir(filepath.Join(dir, storeDirName, diskObjectsDir), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				fi, _ := e.Info()
				n += fi.Size()
			}
			return err
		})
		return n
	}

	big := sbRandom(t, 12<<20)
	sbPut(t, c, bucket, "one.bin", big[:3<<20], "")
	sbPut(t, c, bucket, "empty.txt", nil, "") // no file at all
	check("after PUTs", 1)
	mp := sbMultipart(t, c, bucket, "mp.bin", big, 5<<20)
	check("after a multipart upload", 1+3)
	before := usage()

	// Failed uploads: a wrong Content-MD5, a body cut short, an aborted
	// multipart upload, a Complete naming a wrong part.
	wrong := md5.Sum([]byte("other"))
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: sdkaws.String("bad.bin"), Body: bytes.NewReader(big[:1<<20]),
		ContentMD5: sdkaws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	if apiCode(err) != "BadDigest" {
		t.Errorf("PUT with a wrong Content-MD5: %v", err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("aborted.bin")})
	if err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: sdkaws.String("aborted.bin"), UploadId: up.UploadId, PartNumber: &one, Body: bytes.NewReader(big[:1<<20])})
	if err != nil {
		t.Fatal(err)
	}
	check("with an upload in progress", 1+3+1)
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("aborted.bin"), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: &one, ETag: sdkaws.String(`"` + string(bytes.Repeat([]byte("0"), 32)) + `"`)}}}}); apiCode(err) != "InvalidPart" {
		t.Errorf("Complete with a wrong ETag: %v", err)
	}
	check("after a refused Complete", 1+3+1)
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("aborted.bin"), UploadId: up.UploadId}); err != nil {
		t.Fatal(err)
	}
	check("after failed uploads", 1+3)
	if got := usage(); got != before {
		t.Errorf("failed uploads changed disk usage: %d -> %d", before, got)
	}

	// Overwrites: multipart by single, single by multipart; the ETags follow.
	sbPut(t, c, bucket, "mp.bin", big[:1<<20], "")
	sbMultipart(t, c, bucket, "one.bin", big, 5<<20)
	check("after overwrites", 1+3)
	if body, etag := sbGet(t, c, bucket, "mp.bin"); !bytes.Equal(body, big[:1<<20]) || etag == mp {
		t.Errorf("mp.bin overwritten by a PUT: %d bytes, ETag %s", len(body), etag)
	}
	if body, _ := sbGet(t, c, bucket, "one.bin"); !bytes.Equal(body, big) {
		t.Errorf("one.bin overwritten by a multipart upload: %d bytes", len(body))
	}

	// Deletes free the space.
	before = usage()
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: sdkaws.String("one.bin")}); err != nil {
		t.Fatal(err)
	}
	if got := usage(); got != before-int64(len(big)) {
		t.Errorf("delete of 12 MiB: usage %d -> %d", before, got)
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: sdkaws.String("mp.bin")}, {Key: sdkaws.String("empty.txt")}}}}); err != nil {
		t.Fatal(err)
	}
	check("after deleting everything", 0)
}

// TestDiskGetWhileReplaced: a GET streaming an object keeps serving its
// bytes while the object is overwritten and deleted.
func TestDiskGetWhileReplaced(t *testing.T) {
	dir := t.TempDir()
	sb := diskStart(t, dir)
	c := sbClient(sb)
	first := sbRandom(t, 8<<20)
	sbMultipart(t, c, sb.Bucket, "x.bin", first, 5<<20)
	obj, err := sb.s3.Open(sb.Bucket, "x.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	contents := io.NewSectionReader(obj.Body, 0, obj.Size)
	head := make([]byte, 1024)
	if _, err := io.ReadFull(contents, head); err != nil {
		t.Fatal(err)
	}
	sbPut(t, c, sb.Bucket, "x.bin", []byte("replaced"), "")
	if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("x.bin")}); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(contents)
	if err != nil || !bytes.Equal(append(head, rest...), first) {
		t.Fatalf("streamed object changed under an overwrite: %d bytes, %v", len(head)+len(rest), err)
	}
	if got := dataFiles(t, dir); len(got) != 0 {
		t.Errorf("files left after the delete: %q", got)
	}
}
