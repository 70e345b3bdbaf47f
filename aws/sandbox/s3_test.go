package sandbox

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprint(err)
}

// TestMultipartRules: the sandbox's multipart uploads follow S3's rules,
// through the SDK, with both stores.
func TestMultipartRules(t *testing.T) {
	for _, memory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", memory), func(t *testing.T) {
			sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: memory})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sb.Close() })
			multipartRules(t, sbClient(sb), sb.Bucket)
		})
	}
}

func multipartRules(t *testing.T, c *s3.Client, bucket string) {
	ctx := context.Background()
	create := func(key string) string {
		t.Helper()
		out, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ContentType: sdkaws.String("video/mp4")})
		if err != nil {
			t.Fatal(err)
		}
		return sdkaws.ToString(out.UploadId)
	}
	put := func(key, id string, n int32, body []byte, edit ...func(*s3.UploadPartInput)) (string, error) {
		in := &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: &n, Body: bytes.NewReader(body)}
		for _, e := range edit {
			e(in)
		}
		out, err := c.UploadPart(ctx, in)
		if err != nil {
			return "", err
		}
		return sdkaws.ToString(out.ETag), nil
	}
	md5hex := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

	u1 := create("mp/a.bin")
	u2 := create("mp/a.bin")
	u3 := create("mp/sub/b.bin")
	u4 := create("other.bin")

	// Listing: by key, then in the order uploads began; pages of 2.
	var got []string
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket, MaxUploads: sdkaws.Int32(2)}
	for page := 0; ; page++ {
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Uploads {
			got = append(got, sdkaws.ToString(u.UploadId))
		}
		if !sdkaws.ToBool(out.IsTruncated) || page > 5 {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	if want := []string{u1, u2, u3, u4}; !slices.Equal(got, want) {
		t.Fatalf("uploads listed %q, want %q", got, want)
	}
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: sdkaws.String("mp/"), Delimiter: sdkaws.String("/")})
	if err != nil || len(out.Uploads) != 2 || len(out.CommonPrefixes) != 1 || sdkaws.ToString(out.CommonPrefixes[0].Prefix) != "mp/sub/" {
		t.Fatalf("prefix mp/ with delimiter: %+v %v", out, err)
	}

	// Parts: a part sent again replaces the first; ListParts pages.
	p1 := bytes.Repeat([]byte("1"), 5<<20)
	p2 := bytes.Repeat([]byte("2"), 5<<20)
	p3 := []byte("the end")
	e1, err := put("mp/a.bin", u1, 1, p1)
	if err != nil || e1 != `"`+md5hex(p1)+`"` {
		t.Fatalf("part 1: ETag %s, %v", e1, err)
	}
	if _, err := put("mp/a.bin", u1, 2, p1); err != nil {
		t.Fatal(err)
	}
	e2, err := put("mp/a.bin", u1, 2, p2)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := put("mp/a.bin", u1, 3, p3)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u1, MaxParts: sdkaws.Int32(2)})
	if err != nil || len(lp.Parts) != 2 || !sdkaws.ToBool(lp.IsTruncated) || sdkaws.ToString(lp.NextPartNumberMarker) != "2" ||
		sdkaws.ToString(lp.Parts[1].ETag) != e2 || sdkaws.ToInt64(lp.Parts[1].Size) != 5<<20 {
		t.Fatalf("ListParts page 1: %+v %v", lp, err)
	}
	lp, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u1, PartNumberMarker: sdkaws.String("2")})
	if err != nil || len(lp.Parts) != 1 || sdkaws.ToInt32(lp.Parts[0].PartNumber) != 3 || sdkaws.ToBool(lp.IsTruncated) {
		t.Fatalf("ListParts page 2: %+v %v", lp, err)
	}

	// Wrong upload, wrong key, bad Content-MD5.
	if _, err := put("mp/a.bin", "no-such-upload", 1, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part for an unknown upload: %v", err)
	}
	if _, err := put("other.bin", u1, 1, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part for another key's upload: %v", err)
	}
	wrong := md5.Sum([]byte("something else"))
	if _, err := put("mp/sub/b.bin", u3, 1, p3, func(in *s3.UploadPartInput) {
		in.ContentMD5 = sdkaws.String(base64.StdEncoding.EncodeToString(wrong[:]))
	}); apiCode(err) != "BadDigest" {
		t.Errorf("part with a wrong Content-MD5: %v", err)
	}

	complete := func(parts ...s3types.CompletedPart) (string, error) {
		out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u1,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
		if err != nil {
			return "", err
		}
		return sdkaws.ToString(out.ETag), nil
	}
	part := func(n int32, etag string) s3types.CompletedPart {
		return s3types.CompletedPart{PartNumber: &n, ETag: &etag}
	}
	if _, err := complete(part(1, e1), part(2, `"`+md5hex(p1)+`"`), part(3, e3)); apiCode(err) != "InvalidPart" {
		t.Errorf("Complete naming a replaced part: %v", err)
	}
	if _, err := complete(part(2, e2), part(1, e1), part(3, e3)); apiCode(err) != "InvalidPartOrder" {
		t.Errorf("Complete out of order: %v", err)
	}
	if _, err := complete(part(1, e1), part(4, e3)); apiCode(err) != "InvalidPart" {
		t.Errorf("Complete naming a missing part: %v", err)
	}
	etag, err := complete(part(1, e1), part(2, e2), part(3, e3))
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := hex.DecodeString(md5hex(p1) + md5hex(p2) + md5hex(p3))
	if want := `"` + md5hex(sums) + `-3"`; etag != want {
		t.Errorf("Complete ETag %s, want %s", etag, want)
	}
	// A Complete sent again (a retry whose answer was lost) gets the same
	// answer, as from S3.
	if again, err := complete(part(1, e1), part(2, e2), part(3, e3)); err != nil || again != etag {
		t.Errorf("second Complete: %s %v, want %s", again, err, etag)
	}
	if _, err := put("mp/a.bin", u1, 4, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part after Complete: %v", err)
	}

	whole := slices.Concat(p1, p2, p3)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin")})
	if err != nil || sdkaws.ToString(head.ETag) != etag || sdkaws.ToInt64(head.ContentLength) != int64(len(whole)) ||
		sdkaws.ToString(head.ContentType) != "video/mp4" {
		t.Fatalf("HEAD: %+v %v", head, err)
	}
	for _, rng := range []string{"", "bytes=5242870-5242890", "bytes=10485750-", "bytes=-3"} {
		in := &s3.GetObjectInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin")}
		want := whole
		switch rng {
		case "bytes=5242870-5242890":
			want = whole[5242870:5242891]
		case "bytes=10485750-":
			want = whole[10485750:]
		case "bytes=-3":
			want = whole[len(whole)-3:]
		}
		if rng != "" {
			in.Range = &rng
		}
		get, err := c.GetObject(ctx, in)
		if err != nil {
			t.Fatalf("GET %s: %v", rng, err)
		}
		body, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if !bytes.Equal(body, want) || sdkaws.ToString(get.ETag) != etag {
			t.Errorf("GET %q: %d bytes (want %d), ETag %s", rng, len(body), len(want), sdkaws.ToString(get.ETag))
		}
	}
	// A copy is a new single-part object: its ETag is its MD5, everywhere.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: sdkaws.String("copy.bin"), CopySource: sdkaws.String(bucket + "/mp/a.bin")})
	if err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: sdkaws.String("copy.bin")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	want := `"` + md5hex(whole) + `"`
	if !bytes.Equal(body, whole) || sdkaws.ToString(cp.CopyObjectResult.ETag) != want || sdkaws.ToString(get.ETag) != want {
		t.Errorf("copy of a multipart object: %d bytes (want %d equal), copy ETag %s, GET ETag %s, want %s",
			len(body), len(whole), sdkaws.ToString(cp.CopyObjectResult.ETag), sdkaws.ToString(get.ETag), want)
	}

	// Abort: the upload is gone, its parts refused.
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u2}); err != nil {
		t.Fatal(err)
	}
	if _, err := put("mp/a.bin", u2, 1, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part after Abort: %v", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u2}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("second Abort: %v", err)
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(out.Uploads) != 2 {
		t.Errorf("after Complete and Abort: %+v %v, want the 2 others", out, err)
	}
}

// TestDiskGetWhileGrowing: a GET still streaming across many writes that
// grow the index neither crashes the sandbox nor serves other bytes.
func TestDiskGetWhileGrowing(t *testing.T) {
	sb, err := Start(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := sbClient(sb)
	big := sbRandom(t, 8<<20)
	sbPut(t, c, sb.Bucket, "big.bin", big, "application/octet-stream")

	resp, err := http.Get(sbPresign(t, sb, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	// The server is now blocked mid-body (the rest exceeds socket buffers)
	// while these writes grow the database several times over.
	chunk := sbRandom(t, 1<<20)
	for i := range 40 {
		sbPut(t, c, sb.Bucket, fmt.Sprintf("grow/%02d", i), chunk, "application/octet-stream")
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(head, rest...), big) {
		t.Fatal("the streamed object changed under a concurrent write")
	}
}
