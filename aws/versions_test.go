package aws

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cfsign/cfsign/internal/testenv"
)

// sandboxClient is a client of the test binary's shared sandbox.
func sandboxClient(t *testing.T) (*Client, string) {
	t.Helper()
	sb := testenv.Sandbox(t)
	c := newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) {
		o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey
	})
	return c, sb.Bucket
}

// A versioned bucket on moto: its versions newest first with the current
// one marked, a delete marker among them; an old version reads, downloads
// and presigns as itself, not as the current one.
func TestVersionsOfAnObject(t *testing.T) {
	c := newTestClient(t, testenv.Moto(t))
	bucket := newTestBucket(t, c)
	ctx := context.Background()
	if _, err := c.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"one", "two two", "three three three"} {
		putObject(t, c, bucket, "doc.txt", []byte(body))
	}
	putObject(t, c, bucket, "doc.txt.bak", []byte("a neighbour, not a version"))
	putObject(t, c, bucket, "gone.txt", []byte("x"))
	if _, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: sdkaws.String("gone.txt")}); err != nil {
		t.Fatal(err)
	}

	vs, more, err := c.Versions(ctx, bucket, "doc.txt")
	if err != nil || more {
		t.Fatalf("Versions: %v (more %v)", err, more)
	}
	if len(vs) != 3 {
		t.Fatalf("got %d versions, want 3: %+v", len(vs), vs)
	}
	if !vs[0].Latest || vs[1].Latest || vs[0].Size != 17 || vs[2].Size != 3 {
		t.Fatalf("versions not newest first with the current one marked: %+v", vs)
	}
	old := vs[2].ID
	if old == "" || old == "null" {
		t.Fatalf("moto gave version ID %q", old)
	}

	h, err := c.ReadHead(ctx, bucket, "doc.txt", old, 100)
	if err != nil || string(h.Data) != "one" || h.Total != 3 {
		t.Fatalf("ReadHead of the old version: %q of %d, %v", h.Data, h.Total, err)
	}
	info, err := c.HeadVersion(ctx, bucket, "doc.txt", old)
	if err != nil || info.Size != 3 || info.VersionID != old {
		t.Fatalf("HeadVersion: %+v, %v", info, err)
	}
	dest := filepath.Join(t.TempDir(), "doc.txt")
	if err := c.Download(ctx, DownloadRequest{Bucket: bucket, Key: "doc.txt", Dest: dest, VersionID: old}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != "one" {
		t.Fatalf("downloaded version holds %q", got)
	}
	u, _, err := c.PresignVersion(ctx, bucket, "doc.txt", old, 600e9)
	if err != nil || !strings.Contains(u, "versionId=") {
		t.Fatalf("PresignVersion: %q, %v", u, err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "one" {
		t.Fatalf("presigned version answered %s %q", resp.Status, body)
	}

	gone, _, err := c.Versions(ctx, bucket, "gone.txt")
	if err != nil || len(gone) != 2 || !gone[0].DeleteMarker || !gone[0].Latest || gone[1].DeleteMarker {
		t.Fatalf("a deleted object's versions: %+v, %v", gone, err)
	}
}

// ReadHead reads only the range asked for, however large the object; an
// empty object reads as nothing, a missing one is an error naming it. The
// details CloudFront viewers get are there too.
func TestReadHeadAndDetailsOnTheSandbox(t *testing.T) {
	c, bucket := sandboxClient(t)
	ctx := context.Background()
	key := testenv.Unique("preview") + "/big.txt"
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data),
		CacheControl: sdkaws.String("max-age=60"), ContentDisposition: sdkaws.String(`attachment; filename="big.txt"`),
		ContentEncoding: sdkaws.String("identity"), Metadata: map[string]string{"owner": "ana"},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatal(err)
	}
	h, err := c.ReadHead(ctx, bucket, key, "", 1000)
	if err != nil || !bytes.Equal(h.Data, data[:1000]) || h.Total != int64(len(data)) {
		t.Fatalf("ReadHead: %d bytes of %d, %v", len(h.Data), h.Total, err)
	}
	info, err := c.HeadVersion(ctx, bucket, key, "")
	if err != nil {
		t.Fatal(err)
	}
	if info.CacheControl != "max-age=60" || info.ContentDisposition != `attachment; filename="big.txt"` ||
		info.ContentEncoding != "identity" || info.Metadata["owner"] != "ana" || !strings.HasPrefix(info.Checksum, "CRC32 ") {
		t.Fatalf("Head: %+v", info)
	}
	empty := testenv.Unique("preview") + "/empty"
	putObject(t, c, bucket, empty, nil)
	if h, err := c.ReadHead(ctx, bucket, empty, "", 1000); err != nil || len(h.Data) != 0 || h.Total != 0 {
		t.Fatalf("ReadHead of an empty object: %+v, %v", h, err)
	}
	_, err = c.ReadHead(ctx, bucket, key+".missing", "", 1000)
	errContains(t, err, "big.txt.missing")
	// The sandbox keeps no versions: one, "null".
	vs, _, err := c.Versions(ctx, bucket, key)
	if err != nil || len(vs) != 1 || vs[0].ID != "null" || !vs[0].Latest {
		t.Fatalf("Versions on the sandbox: %+v, %v", vs, err)
	}
}

// Without kms:Decrypt, S3 refuses a HEAD that asks for the checksum of a
// KMS-encrypted object: the details come without it, not as an error.
func TestHeadVersionWithoutChecksumPermission(t *testing.T) {
	sb := testenv.Sandbox(t)
	var refused atomic.Int32
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodHead && strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED") {
			refused.Add(1)
			w.WriteHeader(http.StatusForbidden)
			return true
		}
		return false
	})
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	c, bucket := sandboxClient(t)
	key := testenv.Unique("kms") + "/secret.txt"
	putObject(t, c, bucket, key, []byte("sealed"))
	pc := newTestClient(t, proxy.URL, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	info, err := pc.HeadVersion(context.Background(), bucket, key, "")
	if err != nil || info.Size != 6 || info.Checksum != "" || refused.Load() == 0 {
		t.Fatalf("HeadVersion: %+v, %v (refused %d)", info, err, refused.Load())
	}
}
