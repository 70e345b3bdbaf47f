package sandbox

// Bucket versioning through the AWS SDK for Go, on both stores, as S3
// answers (where S3's answer is not obvious, the comment says so).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/signedurl"
)

// verClient is a test's view of one bucket of a sandbox, through the SDK.
type verClient struct {
	t      *testing.T
	c      *s3.Client
	bucket string
}

var ctxb = context.Background()

// newVersionedBucket creates a bucket and sets its versioning status ("" leaves it never versioned).
func newVersionedBucket(t *testing.T, c *s3.Client, bucket string, status s3types.BucketVersioningStatus) *verClient {
	t.Helper()
	if _, err := c.CreateBucket(ctxb, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	v := &verClient{t: t, c: c, bucket: bucket}
	if status != "" {
		v.setStatus(status)
	}
	return v
}

func (v *verClient) setStatus(status s3types.BucketVersioningStatus) {
	v.t.Helper()
	if _, err := v.c.PutBucketVersioning(ctxb, &s3.PutBucketVersioningInput{Bucket: &v.bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: status}}); err != nil {
		v.t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
}

// put writes body to key and answers the version ID the PUT told ("" for none).
func (v *verClient) put(key, body string, edit ...func(*s3.PutObjectInput)) (string, error) {
	in := &s3.PutObjectInput{Bucket: &v.bucket, Key: &key, Body: strings.NewReader(body)}
	for _, e := range edit {
		e(in)
	}
	out, err := v.c.PutObject(ctxb, in)
	if err != nil {
		return "", err
	}
	return sdkaws.ToString(out.VersionId), nil
}

func (v *verClient) mustPut(key, body string) string {
	v.t.Helper()
	id, err := v.put(key, body)
	if err != nil {
		v.t.Fatalf("PUT %s: %v", key, err)
	}
	return id
}

// get reads a version of key ("" the current one): its body and the
// version ID told.
func (v *verClient) get(key, version string) (string, string, error) {
	in := &s3.GetObjectInput{Bucket: &v.bucket, Key: &key}
	if version != "" {
		in.VersionId = &version
	}
	out, err := v.c.GetObject(ctxb, in)
	if err != nil {
		return "", "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), sdkaws.ToString(out.VersionId), err
}

// wantBody checks a version's body.
func (v *verClient) wantBody(key, version, want string) {
	v.t.Helper()
	got, _, err := v.get(key, version)
	if err != nil || got != want {
		v.t.Errorf("GET %s version %q: %q %v, want %q", key, version, got, err, want)
	}
}

// del deletes key, or one version of it: whether a delete marker was made
// or removed, and the version ID told.
func (v *verClient) del(key, version string) (bool, string) {
	v.t.Helper()
	in := &s3.DeleteObjectInput{Bucket: &v.bucket, Key: &key}
	if version != "" {
		in.VersionId = &version
	}
	out, err := v.c.DeleteObject(ctxb, in)
	if err != nil {
		v.t.Fatalf("DELETE %s version %q: %v", key, version, err)
	}
	return sdkaws.ToBool(out.DeleteMarker), sdkaws.ToString(out.VersionId)
}

// versions lists every version and delete marker, one ListObjectVersions
// page of max entries at a time, as "key id" (a delete marker "key id
// marker"), the latest marked with "*". The SDK answers a page's versions
// and delete markers in two lists: with pages of one, the order is S3's
// (by key, newest first); with larger pages the list is sorted.
func (v *verClient) versions(max int32, prefix string) []string {
	v.t.Helper()
	in := &s3.ListObjectVersionsInput{Bucket: &v.bucket, MaxKeys: &max}
	if prefix != "" {
		in.Prefix = &prefix
	}
	var out []string
	for page := 0; page < 50; page++ {
		res, err := v.c.ListObjectVersions(ctxb, in)
		if err != nil {
			v.t.Fatalf("ListObjectVersions: %v", err)
		}
		n := len(out)
		for _, x := range res.Versions {
			out = append(out, verEntry(x.Key, x.VersionId, x.IsLatest, false))
		}
		for _, x := range res.DeleteMarkers {
			out = append(out, verEntry(x.Key, x.VersionId, x.IsLatest, true))
		}
		if !sdkaws.ToBool(res.IsTruncated) {
			if max > 1 {
				slices.Sort(out)
			}
			return out
		}
		if got := len(out) - n; int32(got) != max {
			v.t.Fatalf("a truncated page of %d entries, want %d", got, max)
		}
		in.KeyMarker, in.VersionIdMarker = res.NextKeyMarker, res.NextVersionIdMarker
	}
	v.t.Fatal("ListObjectVersions does not end")
	return nil
}

func verEntry(key, id *string, latest *bool, marker bool) string {
	s := sdkaws.ToString(key) + " " + sdkaws.ToString(id)
	if marker {
		s += " marker"
	}
	if sdkaws.ToBool(latest) {
		s += " *"
	}
	return s
}

// errStatus is the HTTP status and headers of a failed call.
func errStatus(err error) (int, http.Header) {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode(), re.Response.Header
	}
	return 0, nil
}

// versionIDForm is the form of S3's version IDs.
var versionIDForm = regexp.MustCompile(`^[A-Za-z0-9._]{32}$`)

// TestVersioningAsS3 walks bucket versioning through the SDK, on each
// store: configuration, versioned writes and reads, delete markers,
// suspended buckets, DeleteObjects, conditional writes, listings.
func TestVersioningAsS3(t *testing.T) {
	for _, memory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", memory), func(t *testing.T) {
			t.Parallel()
			sb, err := Start(ctxb, Options{DataDir: t.TempDir(), Memory: memory})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sb.Close() })
			c := sbClient(sb)
			t.Run("configuration", func(t *testing.T) { versioningConfiguration(t, c) })
			t.Run("writes and reads", func(t *testing.T) { versionedWritesAndReads(t, c) })
			t.Run("delete markers", func(t *testing.T) { deleteMarkers(t, c) })
			t.Run("suspended", func(t *testing.T) { suspendedVersioning(t, c) })
			t.Run("conditional writes", func(t *testing.T) { conditionalWritesOnVersions(t, c) })
			t.Run("listings", func(t *testing.T) { versionListings(t, c) })
		})
	}
}

func versioningConfiguration(t *testing.T, c *s3.Client) {
	v := newVersionedBucket(t, c, "config", "")
	status := func() s3types.BucketVersioningStatus {
		t.Helper()
		out, err := c.GetBucketVersioning(ctxb, &s3.GetBucketVersioningInput{Bucket: &v.bucket})
		if err != nil {
			t.Fatal(err)
		}
		if out.MFADelete != "" {
			t.Errorf("MFADelete %q told of a bucket never so configured", out.MFADelete)
		}
		return out.Status
	}
	put := func(cfg s3types.VersioningConfiguration) error {
		_, err := c.PutBucketVersioning(ctxb, &s3.PutBucketVersioningInput{Bucket: &v.bucket, VersioningConfiguration: &cfg})
		return err
	}
	if s := status(); s != "" {
		t.Errorf("status of a new bucket: %q, want none", s)
	}
	// MFA delete needs an MFA device, which the sandbox's account has not.
	err := put(s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled, MFADelete: s3types.MFADeleteEnabled})
	if code, _ := errStatus(err); apiCode(err) != "AccessDenied" || code != http.StatusForbidden {
		t.Errorf("MFA delete enabled: %v, want 403 AccessDenied", err)
	}
	if s := status(); s != "" {
		t.Errorf("status after a refused configuration: %q", s)
	}
	// A bucket never versioned can be Suspended.
	if err := put(s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}); err != nil || status() != s3types.BucketVersioningStatusSuspended {
		t.Errorf("Suspended: %v, status %q", err, status())
	}
	if err := put(s3types.VersioningConfiguration{Status: "enabled"}); apiCode(err) != "MalformedXML" {
		t.Errorf("status enabled (lower case): %v, want MalformedXML", err)
	}
	if err := put(s3types.VersioningConfiguration{}); apiCode(err) != "IllegalVersioningConfigurationException" {
		t.Errorf("no status: %v, want IllegalVersioningConfigurationException", err)
	}
	err = put(s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled, MFADelete: s3types.MFADeleteDisabled})
	if err != nil || status() != s3types.BucketVersioningStatusEnabled {
		t.Errorf("Enabled with MFA delete disabled: %v, status %q", err, status())
	}
	_, err = c.GetBucketVersioning(ctxb, &s3.GetBucketVersioningInput{Bucket: sdkaws.String("no-such-bucket")})
	if apiCode(err) != "NoSuchBucket" {
		t.Errorf("GetBucketVersioning of no bucket: %v", err)
	}
}

func versionedWritesAndReads(t *testing.T, c *s3.Client) {
	v := newVersionedBucket(t, c, "writes", "")
	if id := v.mustPut("k", "v0"); id != "" {
		t.Errorf("PUT in a bucket never versioned told version %q", id)
	}
	if _, id, _ := v.get("k", ""); id != "" {
		t.Errorf("GET in a bucket never versioned told version %q", id)
	}
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	// The object written before is the null version.
	if _, id, _ := v.get("k", ""); id != "null" {
		t.Errorf("GET of the object written before versioning: version %q, want null", id)
	}
	id1, id2 := v.mustPut("k", "v1"), v.mustPut("k", "v2")
	if !versionIDForm.MatchString(id1) || !versionIDForm.MatchString(id2) || id1 == id2 {
		t.Fatalf("version IDs %q, %q: want two of S3's form", id1, id2)
	}
	if body, id, err := v.get("k", ""); body != "v2" || id != id2 || err != nil {
		t.Errorf("GET current: %q %q %v, want v2 %s", body, id, err, id2)
	}
	v.wantBody("k", id1, "v1")
	v.wantBody("k", "null", "v0")
	head, err := c.HeadObject(ctxb, &s3.HeadObjectInput{Bucket: &v.bucket, Key: sdkaws.String("k"), VersionId: &id1})
	if err != nil || sdkaws.ToString(head.VersionId) != id1 || sdkaws.ToInt64(head.ContentLength) != 2 {
		t.Errorf("HEAD version 1: %+v %v", head, err)
	}
	// An ID S3 cannot have made is refused; one it could have is not there.
	_, _, err = v.get("k", "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD")
	if code, _ := errStatus(err); apiCode(err) != "InvalidArgument" || code != http.StatusBadRequest {
		t.Errorf("GET of a made-up version ID: %v, want 400 InvalidArgument", err)
	}
	if marker, id := v.del("k", id1); marker || id != id1 {
		t.Errorf("DELETE version 1: marker %v, version %q", marker, id)
	}
	_, _, err = v.get("k", id1)
	if code, h := errStatus(err); apiCode(err) != "NoSuchVersion" || code != http.StatusNotFound || h.Get("X-Amz-Delete-Marker") != "" {
		t.Errorf("GET of a deleted version: %v, want 404 NoSuchVersion and no delete marker", err)
	}
	if list, err := c.ListObjectsV2(ctxb, &s3.ListObjectsV2Input{Bucket: &v.bucket}); err != nil || len(list.Contents) != 1 {
		t.Errorf("ListObjectsV2 of a key with versions: %+v %v, want the key once", list, err)
	}

	// Copies: from a version, telling it unless it is the null version,
	// and making a version of their own.
	for _, src := range []struct{ version, body, told string }{{"null", "v0", ""}, {id2, "v2", id2}} {
		cp, err := c.CopyObject(ctxb, &s3.CopyObjectInput{Bucket: &v.bucket, Key: sdkaws.String("copy"),
			CopySource: sdkaws.String(v.bucket + "/k?versionId=" + src.version)})
		if err != nil || sdkaws.ToString(cp.CopySourceVersionId) != src.told || !versionIDForm.MatchString(sdkaws.ToString(cp.VersionId)) {
			t.Fatalf("copy of version %s: %+v %v", src.version, cp, err)
		}
		v.wantBody("copy", sdkaws.ToString(cp.VersionId), src.body)
	}
	// A copy of a key onto itself from a version restores that version.
	if _, err := c.CopyObject(ctxb, &s3.CopyObjectInput{Bucket: &v.bucket, Key: sdkaws.String("k"),
		CopySource: sdkaws.String(v.bucket + "/k?versionId=null")}); err != nil {
		t.Errorf("restore of the null version by a copy: %v", err)
	}
	v.wantBody("k", "", "v0")

	// Multipart: Complete tells the version; UploadPartCopy reads one; a
	// part of a version reads back.
	key := "mp"
	up, err := c.CreateMultipartUpload(ctxb, &s3.CreateMultipartUploadInput{Bucket: &v.bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctxb, &s3.UploadPartCopyInput{Bucket: &v.bucket, Key: &key, UploadId: up.UploadId, PartNumber: sdkaws.Int32(1),
		CopySource: sdkaws.String(v.bucket + "/k?versionId=" + id2)})
	if err != nil || sdkaws.ToString(pc.CopySourceVersionId) != id2 {
		t.Fatalf("UploadPartCopy of version 2: %+v %v", pc, err)
	}
	done, err := c.CompleteMultipartUpload(ctxb, &s3.CompleteMultipartUploadInput{Bucket: &v.bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: sdkaws.Int32(1), ETag: pc.CopyPartResult.ETag}}}})
	if err != nil || !versionIDForm.MatchString(sdkaws.ToString(done.VersionId)) {
		t.Fatalf("Complete: %+v %v", done, err)
	}
	part, err := c.GetObject(ctxb, &s3.GetObjectInput{Bucket: &v.bucket, Key: &key, VersionId: done.VersionId, PartNumber: sdkaws.Int32(1)})
	if err != nil {
		t.Fatalf("GET part 1 of a version: %v", err)
	}
	b, _ := io.ReadAll(part.Body)
	part.Body.Close()
	if string(b) != "v2" || sdkaws.ToString(part.VersionId) != sdkaws.ToString(done.VersionId) {
		t.Errorf("GET part 1 of a version: %q, version %s", b, sdkaws.ToString(part.VersionId))
	}
	attrs, err := c.GetObjectAttributes(ctxb, &s3.GetObjectAttributesInput{Bucket: &v.bucket, Key: sdkaws.String("k"), VersionId: &id2,
		ObjectAttributes: []s3types.ObjectAttributes{s3types.ObjectAttributesObjectSize, s3types.ObjectAttributesEtag}})
	if err != nil || sdkaws.ToInt64(attrs.ObjectSize) != 2 || sdkaws.ToString(attrs.VersionId) != id2 {
		t.Errorf("GetObjectAttributes of version 2: %+v %v", attrs, err)
	}
}

func deleteMarkers(t *testing.T, c *s3.Client) {
	v := newVersionedBucket(t, c, "markers", s3types.BucketVersioningStatusEnabled)
	id1, id2 := v.mustPut("k", "v1"), v.mustPut("k", "v2")
	marker, m1 := v.del("k", "")
	if !marker || !versionIDForm.MatchString(m1) {
		t.Fatalf("DELETE without a version: marker %v, version %q", marker, m1)
	}
	// The key is gone, and the 404 says a delete marker hides it.
	_, _, err := v.get("k", "")
	if code, h := errStatus(err); apiCode(err) != "NoSuchKey" || code != http.StatusNotFound ||
		h.Get("X-Amz-Delete-Marker") != "true" || h.Get("X-Amz-Version-Id") != m1 {
		t.Errorf("GET of a deleted key: %v %v", err, h)
	}
	_, err = c.HeadObject(ctxb, &s3.HeadObjectInput{Bucket: &v.bucket, Key: sdkaws.String("k")})
	if code, h := errStatus(err); code != http.StatusNotFound || h.Get("X-Amz-Delete-Marker") != "true" || h.Get("X-Amz-Version-Id") != m1 {
		t.Errorf("HEAD of a deleted key: %v %v", err, h)
	}
	// The marker itself cannot be read: 405, as S3 answers.
	_, _, err = v.get("k", m1)
	if code, h := errStatus(err); apiCode(err) != "MethodNotAllowed" || code != http.StatusMethodNotAllowed ||
		h.Get("X-Amz-Delete-Marker") != "true" || h.Get("Allow") != "DELETE" || h.Get("Last-Modified") == "" {
		t.Errorf("GET of a delete marker: %v %v", err, h)
	}
	_, err = c.GetObjectAttributes(ctxb, &s3.GetObjectAttributesInput{Bucket: &v.bucket, Key: sdkaws.String("k"),
		ObjectAttributes: []s3types.ObjectAttributes{s3types.ObjectAttributesObjectSize}})
	if apiCode(err) != "NoSuchKey" {
		t.Errorf("GetObjectAttributes of a deleted key: %v", err)
	}
	if _, err := c.GetObjectAcl(ctxb, &s3.GetObjectAclInput{Bucket: &v.bucket, Key: sdkaws.String("k")}); apiCode(err) != "NoSuchKey" {
		t.Errorf("GetObjectAcl of a deleted key: %v", err)
	}
	if _, err := c.PutObjectAcl(ctxb, &s3.PutObjectAclInput{Bucket: &v.bucket, Key: sdkaws.String("k"), ACL: s3types.ObjectCannedACLPrivate}); apiCode(err) != "MethodNotAllowed" {
		t.Errorf("PutObjectAcl of a deleted key: %v, want MethodNotAllowed", err)
	}
	for _, src := range []struct{ source, want string }{{"/k", "NoSuchKey"}, {"/k?versionId=" + m1, "InvalidRequest"}} {
		_, err := c.CopyObject(ctxb, &s3.CopyObjectInput{Bucket: &v.bucket, Key: sdkaws.String("copy"), CopySource: sdkaws.String(v.bucket + src.source)})
		if apiCode(err) != src.want {
			t.Errorf("copy from %s: %v, want %s", src.source, err, src.want)
		}
	}
	if list, err := c.ListObjectsV2(ctxb, &s3.ListObjectsV2Input{Bucket: &v.bucket}); err != nil || len(list.Contents) != 0 {
		t.Errorf("ListObjectsV2 of a deleted key: %+v %v", list.Contents, err)
	}
	if got, want := v.versions(1, ""), []string{"k " + m1 + " marker *", "k " + id2, "k " + id1}; !slices.Equal(got, want) {
		t.Errorf("versions: %q, want %q", got, want)
	}
	if _, err := c.DeleteBucket(ctxb, &s3.DeleteBucketInput{Bucket: &v.bucket}); apiCode(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket with versions: %v", err)
	}

	// Deleting the marker brings the key back; deleting the current
	// version makes the one before current.
	if marker, id := v.del("k", m1); !marker || id != m1 {
		t.Errorf("DELETE of the marker: marker %v, version %q", marker, id)
	}
	v.wantBody("k", "", "v2")
	v.del("k", id2)
	v.wantBody("k", "", "v1")

	// DeleteObjects: markers made, markers and versions removed, an ID
	// S3 cannot have made refused.
	_, m2 := v.del("k", "")
	_, m3 := v.del("k", "")
	out, err := c.DeleteObjects(ctxb, &s3.DeleteObjectsInput{Bucket: &v.bucket, Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{
		{Key: sdkaws.String("k"), VersionId: &m3}, {Key: sdkaws.String("k"), VersionId: &m2}, {Key: sdkaws.String("k"), VersionId: &id1},
		{Key: sdkaws.String("never")}, {Key: sdkaws.String("k"), VersionId: sdkaws.String("HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD")},
	}}})
	if err != nil || len(out.Deleted) != 4 || len(out.Errors) != 1 || sdkaws.ToString(out.Errors[0].Code) != "NoSuchVersion" {
		t.Fatalf("DeleteObjects: %+v %v", out, err)
	}
	var never string
	for _, d := range out.Deleted {
		switch id := sdkaws.ToString(d.VersionId); {
		case id == m2 || id == m3:
			if !sdkaws.ToBool(d.DeleteMarker) || sdkaws.ToString(d.DeleteMarkerVersionId) != id {
				t.Errorf("DeleteObjects of a marker: %+v", d)
			}
		case id == id1:
			if sdkaws.ToBool(d.DeleteMarker) {
				t.Errorf("DeleteObjects of a version: %+v", d)
			}
		case sdkaws.ToString(d.Key) == "never":
			never = sdkaws.ToString(d.DeleteMarkerVersionId)
			if !sdkaws.ToBool(d.DeleteMarker) || !versionIDForm.MatchString(never) {
				t.Errorf("DeleteObjects of a key never written: %+v, want a delete marker", d)
			}
		}
	}
	// What is left is the marker of "never": then the bucket is empty.
	if got := v.versions(10, ""); !slices.Equal(got, []string{"never " + never + " marker *"}) {
		t.Errorf("versions left: %q", got)
	}
	v.del("never", never)
	if _, err := c.DeleteBucket(ctxb, &s3.DeleteBucketInput{Bucket: &v.bucket}); err != nil {
		t.Errorf("DeleteBucket once every version is gone: %v", err)
	}
}

func suspendedVersioning(t *testing.T, c *s3.Client) {
	v := newVersionedBucket(t, c, "suspended", "")
	v.mustPut("k", "v0")
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	id1 := v.mustPut("k", "v1")
	v.setStatus(s3types.BucketVersioningStatusSuspended)
	// A PUT writes the null version in place of the one there was, and
	// (as S3) does not tell it; reads do.
	if id := v.mustPut("k", "v2"); id != "" {
		t.Errorf("PUT in a suspended bucket told version %q, want none", id)
	}
	if body, id, err := v.get("k", ""); body != "v2" || id != "null" || err != nil {
		t.Errorf("GET in a suspended bucket: %q %q %v, want v2 null", body, id, err)
	}
	v.mustPut("k", "v3")
	if got, want := v.versions(1, ""), []string{"k null *", "k " + id1}; !slices.Equal(got, want) {
		t.Errorf("versions after two PUTs: %q, want %q", got, want)
	}
	v.wantBody("k", "null", "v3")
	// A copy tells the null version it made, as S3 does.
	cp, err := c.CopyObject(ctxb, &s3.CopyObjectInput{Bucket: &v.bucket, Key: sdkaws.String("k2"), CopySource: sdkaws.String(v.bucket + "/k")})
	if err != nil || sdkaws.ToString(cp.VersionId) != "null" || cp.CopySourceVersionId != nil {
		t.Errorf("copy in a suspended bucket: %+v %v", cp, err)
	}
	// A DELETE makes the null delete marker, in place of the null version.
	if marker, id := v.del("k", ""); !marker || id != "null" {
		t.Errorf("DELETE in a suspended bucket: marker %v version %q, want a null marker", marker, id)
	}
	if got, want := v.versions(1, "k"), []string{"k null marker *", "k " + id1, "k2 null *"}; !slices.Equal(got, want) {
		t.Errorf("versions after the DELETE: %q, want %q", got, want)
	}
	sbMultipartNoVersion := func() {
		key := "mp"
		up, err := c.CreateMultipartUpload(ctxb, &s3.CreateMultipartUploadInput{Bucket: &v.bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.UploadPart(ctxb, &s3.UploadPartInput{Bucket: &v.bucket, Key: &key, UploadId: up.UploadId, PartNumber: sdkaws.Int32(1), Body: strings.NewReader("part")})
		if err != nil {
			t.Fatal(err)
		}
		done, err := c.CompleteMultipartUpload(ctxb, &s3.CompleteMultipartUploadInput{Bucket: &v.bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: sdkaws.Int32(1), ETag: p.ETag}}}})
		if err != nil || done.VersionId != nil {
			t.Errorf("Complete in a suspended bucket: %+v %v, want no version told", done, err)
		}
	}
	sbMultipartNoVersion()
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	id4 := v.mustPut("k", "v4")
	if got, want := v.versions(1, "k"), []string{"k " + id4 + " *", "k null marker", "k " + id1, "k2 null *"}; !slices.Equal(got, want) {
		t.Errorf("versions once enabled again: %q, want %q", got, want)
	}
}

func conditionalWritesOnVersions(t *testing.T, c *s3.Client) {
	v := newVersionedBucket(t, c, "conditions", s3types.BucketVersioningStatusEnabled)
	noneMatch := func(in *s3.PutObjectInput) { in.IfNoneMatch = sdkaws.String("*") }
	if _, err := v.put("k", "1", noneMatch); err != nil {
		t.Fatalf("If-None-Match * on a new key: %v", err)
	}
	if _, err := v.put("k", "2", noneMatch); apiCode(err) != "PreconditionFailed" {
		t.Errorf("If-None-Match * on a key with an object: %v", err)
	}
	// A delete marker is no object: If-None-Match * passes, If-Match finds nothing.
	v.del("k", "")
	if _, err := v.put("k", "3", noneMatch); err != nil {
		t.Errorf("If-None-Match * over a delete marker: %v", err)
	}
	_, etag := sbGet(t, c, v.bucket, "k")
	v.del("k", "")
	if _, err := v.put("k", "4", func(in *s3.PutObjectInput) { in.IfMatch = &etag }); apiCode(err) != "NoSuchKey" {
		t.Errorf("If-Match over a delete marker: %v, want NoSuchKey", err)
	}
	// Complete with If-None-Match * over a delete marker.
	key := "k"
	up, err := c.CreateMultipartUpload(ctxb, &s3.CreateMultipartUploadInput{Bucket: &v.bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.UploadPart(ctxb, &s3.UploadPartInput{Bucket: &v.bucket, Key: &key, UploadId: up.UploadId, PartNumber: sdkaws.Int32(1), Body: strings.NewReader("5")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctxb, &s3.CompleteMultipartUploadInput{Bucket: &v.bucket, Key: &key, UploadId: up.UploadId, IfNoneMatch: sdkaws.String("*"),
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: sdkaws.Int32(1), ETag: p.ETag}}}}); err != nil {
		t.Errorf("Complete with If-None-Match * over a delete marker: %v", err)
	}
	v.wantBody("k", "", "5")
}

func versionListings(t *testing.T, c *s3.Client) {
	v := newVersionedBucket(t, c, "listings", s3types.BucketVersioningStatusEnabled)
	a1, a2, a3 := v.mustPut("a", "1"), v.mustPut("a", "2"), v.mustPut("a", "3")
	b1 := v.mustPut("b", "1")
	_, bm := v.del("b", "")
	x, y, sp := v.mustPut("dir/x", "x"), v.mustPut("dir/y", "y"), v.mustPut("sp ace+%", "s")
	all := []string{"a " + a3 + " *", "a " + a2, "a " + a1, "b " + bm + " marker *", "b " + b1, "dir/x " + x + " *", "dir/y " + y + " *", "sp ace+% " + sp + " *"}
	if got := v.versions(1, ""); !slices.Equal(got, all) {
		t.Errorf("versions one by one:\n got %q\nwant %q", got, all)
	}
	if got := v.versions(1000, ""); !slices.Equal(got, slices.Sorted(slices.Values(all))) {
		t.Errorf("versions in one page:\n got %q\nwant %q", got, all)
	}
	// A page that ended on a version resumes after it, even once it is deleted.
	page, err := c.ListObjectVersions(ctxb, &s3.ListObjectVersionsInput{Bucket: &v.bucket, MaxKeys: sdkaws.Int32(2)})
	if err != nil || sdkaws.ToString(page.NextKeyMarker) != "a" || sdkaws.ToString(page.NextVersionIdMarker) != a2 {
		t.Fatalf("first page of 2: %+v %v", page, err)
	}
	v.del("a", a2)
	next, err := c.ListObjectVersions(ctxb, &s3.ListObjectVersionsInput{Bucket: &v.bucket, MaxKeys: sdkaws.Int32(1), KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker})
	if err != nil || len(next.Versions) != 1 || sdkaws.ToString(next.Versions[0].VersionId) != a1 {
		t.Errorf("page after a deleted version: %+v %v, want version %s", next, err, a1)
	}
	_, err = c.ListObjectVersions(ctxb, &s3.ListObjectVersionsInput{Bucket: &v.bucket, VersionIdMarker: &a1})
	if apiCode(err) != "InvalidArgument" {
		t.Errorf("a version-id marker without a key marker: %v", err)
	}
	// Delimited, the versions under dir/ roll up into one common prefix;
	// encoding-type=url encodes keys.
	d, err := c.ListObjectVersions(ctxb, &s3.ListObjectVersionsInput{Bucket: &v.bucket, Delimiter: sdkaws.String("/"), EncodingType: s3types.EncodingTypeUrl})
	if err != nil || len(d.CommonPrefixes) != 1 || sdkaws.ToString(d.CommonPrefixes[0].Prefix) != "dir/" || len(d.Versions) != 4 ||
		sdkaws.ToString(d.Versions[3].Key) != "sp%20ace%2B%25" {
		t.Errorf("delimited, url-encoded: %+v %v", d, err)
	}
	// A page that ends on the common prefix (a's 2 versions, b's marker and
	// version, dir/) says so, and the next goes on after it.
	in := &s3.ListObjectVersionsInput{Bucket: &v.bucket, Delimiter: sdkaws.String("/"), MaxKeys: sdkaws.Int32(5)}
	first, err := c.ListObjectVersions(ctxb, in)
	if err != nil || len(first.CommonPrefixes) != 1 || sdkaws.ToString(first.NextKeyMarker) != "dir/" || first.NextVersionIdMarker != nil {
		t.Fatalf("a page ending on a common prefix: %+v %v", first, err)
	}
	in.KeyMarker = first.NextKeyMarker
	rest, err := c.ListObjectVersions(ctxb, in)
	if err != nil || len(rest.CommonPrefixes) != 0 || len(rest.Versions) != 1 || sdkaws.ToString(rest.Versions[0].Key) != "sp ace+%" {
		t.Errorf("the page after a common prefix: %+v %v", rest, err)
	}
}

// TestVersionsSurviveRestart: a disk sandbox keeps versions, delete
// markers, the null version and the bucket's status across a restart, and
// new versions after it are newer than those before.
func TestVersionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	sb := diskStart(t, dir)
	v := &verClient{t: t, c: sbClient(sb), bucket: sb.Bucket}
	v.mustPut("k", "v0")
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	id1 := v.mustPut("k", "v1")
	_, m := v.del("k", "")
	before := v.versions(1000, "")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}

	sb = diskStart(t, dir)
	v.c = sbClient(sb)
	if got := v.versions(1000, ""); !slices.Equal(got, before) || len(got) != 3 {
		t.Errorf("versions after the restart:\n got %q\nwant %q", got, before)
	}
	v.wantBody("k", id1, "v1")
	v.wantBody("k", "null", "v0")
	id2 := v.mustPut("k", "v2")
	if got, want := v.versions(1, ""), []string{"k " + id2 + " *", "k " + m + " marker", "k " + id1, "k null"}; !slices.Equal(got, want) {
		t.Errorf("versions after a PUT after the restart: %q, want %q", got, want)
	}
	// Each version keeps its file; deleting every version frees them all.
	if files := dataFiles(t, dir); len(files) != 3 {
		t.Errorf("data files: %q, want one per object version", files)
	}
	for _, id := range []string{id2, m, id1, "null"} {
		v.del("k", id)
	}
	if files := dataFiles(t, dir); len(files) != 0 {
		t.Errorf("data files after every version is deleted: %q", files)
	}
	if _, err := sbClient(sb).HeadObject(ctxb, &s3.HeadObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("k")}); err == nil {
		t.Error("the key is still there")
	}
}

// TestVersionsWithAWSCLI: the AWS CLI pages through a versioned bucket's
// versions and delete markers one at a time (its pager sends back the
// markers it is given, keys decoded from encoding-type=url), and reads a
// version by its ID.
func TestVersionsWithAWSCLI(t *testing.T) {
	sb, _ := sbStart(t)
	aws := sbAWSCLI(t, sb)
	v := &verClient{t: t, c: sbClient(sb), bucket: sb.Bucket}
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	id1 := v.mustPut("a b+c", "one")
	id2 := v.mustPut("a b+c", "two")
	_, m := v.del("a b+c", "")
	z := v.mustPut("z", "zed")

	ep := "--endpoint-url=" + sb.S3Endpoint
	out, err := aws("s3api", "list-object-versions", "--bucket", sb.Bucket, "--page-size", "1", ep)
	var res struct {
		Versions, DeleteMarkers []struct {
			Key, VersionId string
			IsLatest       bool
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("aws s3api list-object-versions: %v\n%s", err, out)
	}
	var got []string
	for _, x := range res.Versions {
		got = append(got, fmt.Sprintf("%s %s %v", x.Key, x.VersionId, x.IsLatest))
	}
	for _, x := range res.DeleteMarkers {
		got = append(got, fmt.Sprintf("%s %s %v marker", x.Key, x.VersionId, x.IsLatest))
	}
	if want := []string{"a b+c " + id2 + " false", "a b+c " + id1 + " false", "z " + z + " true", "a b+c " + m + " true marker"}; !slices.Equal(got, want) {
		t.Errorf("versions the CLI listed:\n got %q\nwant %q", got, want)
	}
	file := filepath.Join(t.TempDir(), "v1")
	if out, err := aws("s3api", "get-object", "--bucket", sb.Bucket, "--key", "a b+c", "--version-id", id1, file, ep); err != nil {
		t.Fatalf("aws s3api get-object --version-id: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(file); string(b) != "one" {
		t.Errorf("version read by the CLI: %q", b)
	}
}

// TestEdgeServesCurrentVersion: the edge serves a key's current version; a
// delete marker makes its signed links 404 until the marker is deleted.
func TestEdgeServesCurrentVersion(t *testing.T) {
	sb, _ := sbStart(t)
	v := &verClient{t: t, c: sbClient(sb), bucket: sb.Bucket}
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	v.mustPut("page.html", "one")
	v.mustPut("page.html", "two")
	u := edgeSignURL(t, sb, "/page.html", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)})
	if status, body, _ := edgeGet(t, "GET", u, nil, nil); status != 200 || string(body) != "two" {
		t.Errorf("edge GET of a versioned key: %d %q, want the current version", status, body)
	}
	_, m := v.del("page.html", "")
	if status, _, _ := edgeGet(t, "GET", u, nil, nil); status != http.StatusNotFound {
		t.Errorf("edge GET of a key behind a delete marker: %d, want 404", status)
	}
	v.del("page.html", m)
	if status, body, _ := edgeGet(t, "GET", u, nil, nil); status != 200 || string(body) != "two" {
		t.Errorf("edge GET once the marker is deleted: %d %q", status, body)
	}
}

// TestAppVersionsOnTheSandbox: what the app's browser does with versions
// (list a key's versions and delete markers, look at one, read its start,
// download it, presign it) works on the sandbox as on S3.
func TestAppVersionsOnTheSandbox(t *testing.T) {
	sb, _ := sbStart(t)
	v := &verClient{t: t, c: sbClient(sb), bucket: sb.Bucket}
	// S3 lists delete markers apart from versions, so the client orders
	// them by time, to the millisecond S3 gives: a user's writes are that
	// far apart, a test's need a pause.
	tick := func() { time.Sleep(3 * time.Millisecond) }
	v.mustPut("doc.txt", "first")
	v.setStatus(s3types.BucketVersioningStatusEnabled)
	tick()
	id1 := v.mustPut("doc.txt", "second")
	tick()
	_, m := v.del("doc.txt", "")
	tick()
	id2 := v.mustPut("doc.txt", "third")
	v.mustPut("doc.txt.bak", "other key")

	c, err := aws.NewClient(ctxb, aws.ClientOptions{Region: sb.Region, EndpointURL: sb.S3Endpoint,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	vs, more, err := c.Versions(ctxb, sb.Bucket, "doc.txt")
	var got []string
	for _, x := range vs {
		got = append(got, fmt.Sprintf("%s latest=%v marker=%v", x.ID, x.Latest, x.DeleteMarker))
	}
	want := []string{id2 + " latest=true marker=false", m + " latest=false marker=true", id1 + " latest=false marker=false", "null latest=false marker=false"}
	if err != nil || more || !slices.Equal(got, want) {
		t.Fatalf("Versions: %q %v %v\nwant %q", got, more, err, want)
	}
	info, err := c.HeadVersion(ctxb, sb.Bucket, "doc.txt", id1)
	if err != nil || info.VersionID != id1 || info.Size != int64(len("second")) {
		t.Errorf("HeadVersion: %+v %v", info, err)
	}
	head, err := c.ReadHead(ctxb, sb.Bucket, "doc.txt", "null", 3)
	if err != nil || string(head.Data) != "fir" || head.Total != 5 {
		t.Errorf("ReadHead of the null version: %+v %v", head, err)
	}
	dest := filepath.Join(t.TempDir(), "doc.txt")
	if err := c.Download(ctxb, aws.DownloadRequest{Bucket: sb.Bucket, Key: "doc.txt", Dest: dest, VersionID: id1}, nil); err != nil {
		t.Fatalf("Download of a version: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "second" {
		t.Errorf("downloaded version: %q", b)
	}
	u, _, err := c.PresignVersion(ctxb, sb.Bucket, "doc.txt", id1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "second" || resp.Header.Get("X-Amz-Version-Id") != id1 {
		t.Errorf("presigned GET of a version: %d %q", resp.StatusCode, b)
	}
}
