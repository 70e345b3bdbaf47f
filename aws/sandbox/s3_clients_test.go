package sandbox

// What real S3 clients (the AWS SDK for Go, the AWS CLI, boto3) see of the
// sandbox's S3 server, call by call, compared with what S3 answers.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sbSigned sends a request to the S3 server signed by the SDK's SigV4
// signer over body's SHA-256, and returns the answer, body read.
func sbSigned(t *testing.T, sb *Sandbox, method, pathQuery string, header http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, sb.S3Endpoint+pathQuery, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	hash := sha256Hex(body)
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), sdkaws.Credentials{AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
		req, hash, "s3", sb.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// sbBoto3 runs a Python script with boto3 against the sandbox: the script
// gets a client as s3 (boto3's default signing; SigV2 for presigned URLs in
// us-east-1), one that signs SigV4 only as s3v4, the bucket as bucket, and
// the further args in sys.argv[1:]. It skips (fails under CI) when python3 or boto3 is missing.
func sbBoto3(t *testing.T, sb *Sandbox, script string, args ...string) (string, error) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import boto3").Run()
	}
	if err != nil {
		needTool(t, "python3 with boto3", err)
	}
	prelude := `
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=` + fmt.Sprintf("%q", sb.S3Endpoint) + `, region_name=` + fmt.Sprintf("%q", sb.Region) + `,
    aws_access_key_id=` + fmt.Sprintf("%q", sb.AccessKeyID) + `, aws_secret_access_key=` + fmt.Sprintf("%q", sb.SecretAccessKey) + `,
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
s3v4 = boto3.client("s3", endpoint_url=s3.meta.endpoint_url, region_name=s3.meta.region_name,
    aws_access_key_id=s3._request_signer._credentials.access_key, aws_secret_access_key=s3._request_signer._credentials.secret_key,
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
bucket = ` + fmt.Sprintf("%q", sb.Bucket) + `
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", prelude + script}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// sbObject is an object's body and ETag, read through the SDK.
func sbObject(t *testing.T, sb *Sandbox, key string) (string, string) {
	t.Helper()
	body, etag := sbGet(t, sbClient(sb), sb.Bucket, key)
	return string(body), etag
}

// Calls the sandbox does not implement answer 501 NotImplemented, and ACLs
// answer as on an S3 bucket with ACLs disabled; none of them changes the
// object or the bucket (they used to be served as plain object calls:
// tagging replaced the body with its XML, an ACL emptied it).
func TestUnimplementedCallsChangeNothing(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	sbPut(t, c, sb.Bucket, "keep.txt", []byte("precious"), "text/plain")
	_, etag := sbObject(t, sb, "keep.txt")
	key := sdkaws.String("keep.txt")

	_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &sb.Bucket, Key: key,
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: sdkaws.String("k"), Value: sdkaws.String("v")}}}})
	if apiCode(err) != "NotImplemented" {
		t.Errorf("PutObjectTagging: %v, want NotImplemented", err)
	}
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &sb.Bucket, Key: key, ACL: s3types.ObjectCannedACLPublicRead})
	if apiCode(err) != "AccessControlListNotSupported" {
		t.Errorf("PutObjectAcl public-read: %v, want AccessControlListNotSupported", err)
	}
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &sb.Bucket, Key: key, ACL: s3types.ObjectCannedACLPrivate}); err != nil {
		t.Errorf("PutObjectAcl private (the ACL the object has): %v", err)
	}
	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &sb.Bucket, Key: key})
	if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Permission != s3types.PermissionFullControl {
		t.Errorf("GetObjectAcl: %+v %v, want the owner's full control", acl, err)
	}
	if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &sb.Bucket}); apiCode(err) != "NotImplemented" {
		t.Errorf("GetBucketPolicy: %v, want NotImplemented", err)
	}
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &sb.Bucket, ACL: s3types.BucketCannedACLPublicRead}); apiCode(err) != "AccessControlListNotSupported" {
		t.Errorf("PutBucketAcl public-read: %v, want AccessControlListNotSupported", err)
	}
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &sb.Bucket,
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: sdkaws.String("k"), Value: sdkaws.String("v")}}}}); apiCode(err) != "NotImplemented" {
		t.Errorf("PutBucketTagging: %v, want NotImplemented", err)
	}
	if body, after := sbObject(t, sb, "keep.txt"); body != "precious" || after != etag {
		t.Fatalf("after the SDK's calls: %q %s, want %q %s", body, after, "precious", etag)
	}

	// The AWS CLI, as users run it: each call fails (exit status) and
	// changes nothing.
	aws := sbAWSCLI(t, sb)
	ep := "--endpoint-url=" + sb.S3Endpoint
	for _, args := range [][]string{
		{"s3api", "put-object-tagging", "--bucket", sb.Bucket, "--key", "keep.txt", "--tagging", "TagSet=[{Key=k,Value=v}]"},
		{"s3api", "put-object-acl", "--bucket", sb.Bucket, "--key", "keep.txt", "--acl", "public-read"},
		{"s3api", "get-bucket-policy", "--bucket", sb.Bucket},
	} {
		if out, err := aws(append(args, ep)...); err == nil {
			t.Errorf("aws %s succeeded: %s", strings.Join(args[:2], " "), out)
		}
	}
	if body, after := sbObject(t, sb, "keep.txt"); body != "precious" || after != etag {
		t.Fatalf("after the CLI's calls: %q %s, want %q %s", body, after, "precious", etag)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sb.Bucket})
	if err != nil || len(list.Contents) != 1 {
		t.Errorf("bucket after it all: %+v %v, want the one object", list, err)
	}
}

// A ranged GET carries no checksum of the whole object, and a GET carries
// one only when the client asks (checksum mode): clients that validate
// what they get (boto3, the AWS CLI, the SDKs) then accept ranges and
// ranged downloads of an object uploaded in one PUT.
func TestRangedGetCarriesNoWholeObjectChecksum(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	body := sbRandom(t, 10<<20) // above boto3's 8 MiB threshold: download_file reads it in ranges
	sum := crc32.ChecksumIEEE(body)
	want := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("big.bin"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatal(err)
	}
	get := func(rng string, mode bool) *s3.GetObjectOutput {
		t.Helper()
		in := &s3.GetObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("big.bin")}
		if rng != "" {
			in.Range = &rng
		}
		if mode {
			in.ChecksumMode = s3types.ChecksumModeEnabled
		}
		out, err := c.GetObject(ctx, in)
		if err != nil {
			t.Fatalf("GET %q mode %v: %v", rng, mode, err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
		return out
	}
	if out := get("", true); sdkaws.ToString(out.ChecksumCRC32) != want {
		t.Errorf("whole object, checksum mode: CRC32 %q, want %q", sdkaws.ToString(out.ChecksumCRC32), want)
	}
	if out := get("", false); out.ChecksumCRC32 != nil {
		t.Errorf("whole object, no checksum mode: CRC32 %q sent", sdkaws.ToString(out.ChecksumCRC32))
	}
	if out := get("bytes=100-199", true); out.ChecksumCRC32 != nil || sdkaws.ToInt64(out.ContentLength) != 100 {
		t.Errorf("range, checksum mode: CRC32 %q, %d bytes", sdkaws.ToString(out.ChecksumCRC32), sdkaws.ToInt64(out.ContentLength))
	}

	aws := sbAWSCLI(t, sb)
	dst := filepath.Join(t.TempDir(), "range.bin")
	if out, err := aws("s3api", "get-object", "--bucket", sb.Bucket, "--key", "big.bin", "--range", "bytes=100-199", dst, "--endpoint-url="+sb.S3Endpoint); err != nil {
		t.Fatalf("aws s3api get-object --range: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, body[100:200]) {
		t.Errorf("aws s3api get-object --range: %d bytes, not bytes 100-199", len(got))
	}
	dst = filepath.Join(t.TempDir(), "whole.bin")
	if out, err := sbBoto3(t, sb, `s3.download_file(bucket, "big.bin", sys.argv[1])`, dst); err != nil {
		t.Fatalf("boto3 download_file: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, body) {
		t.Errorf("boto3 download_file: %d bytes, not the object", len(got))
	}
}

// GET and HEAD send the object's headers, never the headers of the request
// that stored it (signing headers, checksum algorithm, copy source).
func TestGetSendsNoRequestHeadersOfThePut(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("a.txt"), Body: strings.NewReader("hello"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("b.txt"), CopySource: sdkaws.String(sb.Bucket + "/a.txt")}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"a.txt", "b.txt"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp, _ := sbSigned(t, sb, method, "/"+sb.Bucket+"/"+key, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %d", method, key, resp.StatusCode)
			}
			for name := range resp.Header {
				switch lower := strings.ToLower(name); {
				case lower == "authorization", lower == "x-amz-date", lower == "x-amz-content-sha256",
					strings.HasPrefix(lower, "x-amz-sdk-"), strings.HasPrefix(lower, "x-amz-copy-source"),
					strings.HasPrefix(lower, "x-amz-checksum"), strings.HasPrefix(lower, "amz-sdk-"), lower == "x-amz-decoded-content-length":
					t.Errorf("%s %s sends %s: %q", method, key, name, resp.Header[name])
				}
			}
		}
	}
}

// Metadata as S3 keeps it: user metadata under lower-case names; a PUT or a
// copy with REPLACE sets exactly what it sends (nothing carried over); the
// stored headers come back; aws-chunked is not part of the object's
// Content-Encoding.
func TestMetadataAsS3KeepsIt(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	bucket := &sb.Bucket
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: sdkaws.String("m.txt"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"MyKey": "v1", "meta1": "v2"}, ContentType: sdkaws.String("text/plain"),
		CacheControl: sdkaws.String("max-age=60"), ContentLanguage: sdkaws.String("fr"), ContentDisposition: sdkaws.String("attachment"),
		Expires: &expires, ContentEncoding: sdkaws.String("aws-chunked, gzip")}); err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: sdkaws.String("m.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if len(head.Metadata) != 2 || head.Metadata["mykey"] != "v1" || head.Metadata["meta1"] != "v2" ||
		sdkaws.ToString(head.ContentType) != "text/plain" || sdkaws.ToString(head.CacheControl) != "max-age=60" ||
		sdkaws.ToString(head.ContentLanguage) != "fr" || sdkaws.ToString(head.ContentDisposition) != "attachment" ||
		sdkaws.ToString(head.ExpiresString) != expires.Format(http.TimeFormat) || sdkaws.ToString(head.ContentEncoding) != "gzip" {
		t.Errorf("HEAD after a PUT with headers: meta %v type %q cache %q lang %q disp %q expires %q encoding %q",
			head.Metadata, sdkaws.ToString(head.ContentType), sdkaws.ToString(head.CacheControl), sdkaws.ToString(head.ContentLanguage),
			sdkaws.ToString(head.ContentDisposition), sdkaws.ToString(head.ExpiresString), sdkaws.ToString(head.ContentEncoding))
	}
	// The names as they are sent: lower case (the SDK's map would hide it).
	aws := sbAWSCLI(t, sb)
	out, err := aws("s3api", "head-object", "--bucket", sb.Bucket, "--key", "m.txt", "--endpoint-url="+sb.S3Endpoint)
	var cli struct{ Metadata map[string]string }
	if err != nil || json.Unmarshal([]byte(out), &cli) != nil || cli.Metadata["mykey"] != "v1" || cli.Metadata["meta1"] != "v2" {
		t.Errorf("aws s3api head-object: metadata %v (%v)\n%s", cli.Metadata, err, out)
	}

	// A copy keeps the source's metadata and headers by default...
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: sdkaws.String("copy.txt"), CopySource: sdkaws.String(sb.Bucket + "/m.txt")}); err != nil {
		t.Fatal(err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: sdkaws.String("copy.txt")})
	if err != nil || head.Metadata["mykey"] != "v1" || sdkaws.ToString(head.ContentType) != "text/plain" {
		t.Errorf("HEAD of a COPY copy: %v %q %v", head.Metadata, sdkaws.ToString(head.ContentType), err)
	}
	// ... and with REPLACE takes only the request's.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: sdkaws.String("copy.txt"), CopySource: sdkaws.String(sb.Bucket + "/m.txt"),
		MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: map[string]string{"new": "n"}, ContentType: sdkaws.String("image/png")}); err != nil {
		t.Fatal(err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: sdkaws.String("copy.txt")})
	if err != nil || len(head.Metadata) != 1 || head.Metadata["new"] != "n" || sdkaws.ToString(head.ContentType) != "image/png" || head.CacheControl != nil {
		t.Errorf("HEAD of a REPLACE copy: meta %v type %q cache %q %v", head.Metadata, sdkaws.ToString(head.ContentType), sdkaws.ToString(head.CacheControl), err)
	}
	// A PUT without metadata or Content-Type leaves none of the old object's.
	if resp, b := sbSigned(t, sb, http.MethodPut, "/"+sb.Bucket+"/m.txt", nil, []byte("y")); resp.StatusCode != 200 {
		t.Fatalf("bare PUT: %d %s", resp.StatusCode, b)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: sdkaws.String("m.txt")})
	if err != nil || len(head.Metadata) != 0 || sdkaws.ToString(head.ContentType) != "binary/octet-stream" || head.CacheControl != nil || head.ContentEncoding != nil {
		t.Errorf("HEAD after a bare PUT: meta %v type %q cache %q encoding %q %v", head.Metadata, sdkaws.ToString(head.ContentType),
			sdkaws.ToString(head.CacheControl), sdkaws.ToString(head.ContentEncoding), err)
	}
}

// Multipart as S3 has it: the AWS CLI copies a large object with
// UploadPartCopy; parts but the last must be 5 MiB or more; a Complete
// sent again answers the same object; GET of a part says how many there are.
func TestMultipartAsS3HasIt(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	body := sbRandom(t, 12<<20) // above the CLI's 8 MiB threshold: it copies with UploadPartCopy
	etag := sbMultipart(t, c, sb.Bucket, "12MB", body, 5<<20)

	aws := sbAWSCLI(t, sb)
	if out, err := aws("s3", "cp", "s3://"+sb.Bucket+"/12MB", "s3://"+sb.Bucket+"/copy", "--endpoint-url="+sb.S3Endpoint); err != nil {
		t.Fatalf("aws s3 cp s3://…/12MB s3://…/copy: %v\n%s", err, out)
	}
	if got, _ := sbGet(t, c, sb.Bucket, "copy"); !bytes.Equal(got, body) {
		t.Errorf("the CLI's copy: %d bytes, not the object", len(got))
	}

	part, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("12MB"), PartNumber: sdkaws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(part.Body)
	part.Body.Close()
	if sdkaws.ToInt32(part.PartsCount) != 3 || sdkaws.ToString(part.ETag) != etag || !bytes.Equal(got, body[5<<20:10<<20]) {
		t.Errorf("GET part 2: parts count %d, ETag %s, %d bytes", sdkaws.ToInt32(part.PartsCount), sdkaws.ToString(part.ETag), len(got))
	}

	// Two small parts: S3 takes them and refuses the Complete.
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &sb.Bucket, Key: sdkaws.String("small")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &sb.Bucket, Key: sdkaws.String("small"), UploadId: up.UploadId,
			PartNumber: sdkaws.Int32(n), Body: bytes.NewReader(body[:1<<20])})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{PartNumber: sdkaws.Int32(n), ETag: out.ETag})
	}
	complete := func(parts ...s3types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
		return c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &sb.Bucket, Key: sdkaws.String("small"), UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	}
	if _, err := complete(parts...); apiCode(err) != "EntityTooSmall" {
		t.Errorf("Complete with a 1 MiB part before the last: %v, want EntityTooSmall", err)
	}
	first, err := complete(parts[1])
	if err != nil {
		t.Fatalf("Complete with the small part last: %v", err)
	}
	again, err := complete(parts[1])
	if err != nil || sdkaws.ToString(again.ETag) != sdkaws.ToString(first.ETag) {
		t.Errorf("Complete sent again: %v, ETag %s, want %s", err, sdkaws.ToString(again.ETag), sdkaws.ToString(first.ETag))
	}
}

// Conditional reads, writes and copies answer as S3 does.
func TestConditionsAsS3(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	sbPut(t, c, sb.Bucket, "c.txt", []byte("v1"), "")
	_, etag := sbObject(t, sb, "c.txt")
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	key := sdkaws.String("c.txt")
	for _, tc := range []struct {
		name string
		in   s3.GetObjectInput
		want string // "" serves the object
	}{
		{"If-Match other", s3.GetObjectInput{IfMatch: sdkaws.String(`"0123"`)}, "PreconditionFailed"},
		{"If-Match this", s3.GetObjectInput{IfMatch: &etag}, ""},
		{"If-Unmodified-Since before", s3.GetObjectInput{IfUnmodifiedSince: &past}, "PreconditionFailed"},
		{"If-Unmodified-Since after", s3.GetObjectInput{IfUnmodifiedSince: &future}, ""},
		{"If-Match this, If-Unmodified-Since before", s3.GetObjectInput{IfMatch: &etag, IfUnmodifiedSince: &past}, ""},
		{"If-None-Match this", s3.GetObjectInput{IfNoneMatch: &etag}, "NotModified"},
		{"If-Modified-Since after", s3.GetObjectInput{IfModifiedSince: &future}, "NotModified"},
	} {
		in := tc.in
		in.Bucket, in.Key = &sb.Bucket, key
		out, err := c.GetObject(ctx, &in)
		if err == nil {
			out.Body.Close()
		}
		if got := apiCode(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("GET %s: %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		in   s3.CopyObjectInput
		want string
	}{
		{"copy-source-if-match other", s3.CopyObjectInput{CopySourceIfMatch: sdkaws.String(`"0123"`)}, "PreconditionFailed"},
		{"copy-source-if-unmodified-since before", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: &past}, "PreconditionFailed"},
		{"copy-source-if-none-match this", s3.CopyObjectInput{CopySourceIfNoneMatch: &etag}, "PreconditionFailed"},
		{"copy-source-if-modified-since after", s3.CopyObjectInput{CopySourceIfModifiedSince: &future}, "PreconditionFailed"},
		{"copy-source-if-match this", s3.CopyObjectInput{CopySourceIfMatch: &etag}, ""},
	} {
		in := tc.in
		in.Bucket, in.Key, in.CopySource = &sb.Bucket, sdkaws.String("dst.txt"), sdkaws.String(sb.Bucket+"/c.txt")
		if _, err := c.CopyObject(ctx, &in); (tc.want == "" && err != nil) || (tc.want != "" && apiCode(err) != tc.want) {
			t.Errorf("copy %s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A copy onto itself must change something.
	self := &s3.CopyObjectInput{Bucket: &sb.Bucket, Key: key, CopySource: sdkaws.String(sb.Bucket + "/c.txt")}
	if _, err := c.CopyObject(ctx, self); apiCode(err) != "InvalidRequest" {
		t.Errorf("copy onto itself: %v, want InvalidRequest", err)
	}
	self.MetadataDirective, self.Metadata = s3types.MetadataDirectiveReplace, map[string]string{"touched": "1"}
	if _, err := c.CopyObject(ctx, self); err != nil {
		t.Errorf("copy onto itself with new metadata: %v", err)
	}
	// Conditional writes: If-None-Match: * and If-Match.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &sb.Bucket, Key: key, Body: strings.NewReader("v2"), IfNoneMatch: sdkaws.String("*")}); apiCode(err) != "PreconditionFailed" {
		t.Errorf("PUT If-None-Match * over an object: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &sb.Bucket, Key: key, Body: strings.NewReader("v2"), IfMatch: sdkaws.String(`"0123"`)}); apiCode(err) != "PreconditionFailed" {
		t.Errorf("PUT If-Match other: %v", err)
	}
	// S3 takes If-None-Match only as *, If-Match not as *, and one of
	// them at a time (501 otherwise); copies take them too.
	for _, tc := range []struct {
		name     string
		ifMatch  *string
		ifNone   *string
		want     string
		wantCopy string
		copyOnto string
	}{
		{"If-None-Match an ETag", nil, &etag, "NotImplemented", "NotImplemented", "c.txt"},
		{"If-Match *", sdkaws.String("*"), nil, "NotImplemented", "NotImplemented", "c.txt"},
		{"If-Match and If-None-Match", &etag, sdkaws.String("*"), "NotImplemented", "NotImplemented", "c.txt"},
		{"If-None-Match * over an object", nil, sdkaws.String("*"), "PreconditionFailed", "PreconditionFailed", "c.txt"},
		{"If-Match of no object", &etag, nil, "NoSuchKey", "NoSuchKey", "none.txt"},
	} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &sb.Bucket, Key: &tc.copyOnto, Body: strings.NewReader("v2"), IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNone})
		if apiCode(err) != tc.want {
			t.Errorf("PUT %s: %v, want %s", tc.name, err, tc.want)
		}
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &sb.Bucket, Key: &tc.copyOnto, CopySource: sdkaws.String(sb.Bucket + "/dst.txt"),
			IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNone})
		if apiCode(err) != tc.wantCopy {
			t.Errorf("copy %s: %v, want %s", tc.name, err, tc.wantCopy)
		}
	}
	if body, _ := sbObject(t, sb, "c.txt"); body != "v1" {
		t.Errorf("after refused conditional PUTs and copies the object is %q", body)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &sb.Bucket, Key: key, CopySource: sdkaws.String(sb.Bucket + "/dst.txt"), IfMatch: &etag}); err != nil {
		t.Errorf("copy If-Match the object's ETag: %v", err)
	}
}

// Listings and errors as S3 sends them: encoding-type=url leaves "/"
// alone; a continuation token comes back; owners only on request; every
// error carries the request ID of its answer; DeleteObjects takes at most
// 1,000 keys; creating a bucket one owns succeeds (us-east-1).
func TestListingsAndErrorsAsS3(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	for _, k := range []string{"dir/a b+c.txt", "dir/sub/x", "dir/z"} {
		sbPut(t, c, sb.Bucket, k, []byte("x"), "")
	}
	resp, body := sbSigned(t, sb, http.MethodGet, "/"+sb.Bucket+"?list-type=2&encoding-type=url&prefix=dir/&delimiter=/", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<Key>dir/a%20b%2Bc.txt</Key>") ||
		!strings.Contains(string(body), "<Prefix>dir/sub/</Prefix>") || !strings.Contains(string(body), "<Delimiter>/</Delimiter>") {
		t.Errorf("encoding-type=url: %d %s", resp.StatusCode, body)
	}

	page, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sb.Bucket, MaxKeys: sdkaws.Int32(1)})
	if err != nil || page.NextContinuationToken == nil || page.Contents[0].Owner != nil {
		t.Fatalf("first page: %+v %v", page, err)
	}
	next, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sb.Bucket, MaxKeys: sdkaws.Int32(1), ContinuationToken: page.NextContinuationToken, FetchOwner: sdkaws.Bool(true)})
	if err != nil || sdkaws.ToString(next.ContinuationToken) != sdkaws.ToString(page.NextContinuationToken) ||
		len(next.Contents) != 1 || next.Contents[0].Owner == nil || sdkaws.ToString(next.Contents[0].Key) != "dir/sub/x" {
		t.Errorf("second page, with FetchOwner: %+v %v", next, err)
	}

	resp, body = sbSigned(t, sb, http.MethodGet, "/"+sb.Bucket+"/no/such/key", nil, nil)
	var e struct {
		Code      string
		RequestID string `xml:"RequestId"`
	}
	if xml.Unmarshal(body, &e); resp.StatusCode != 404 || e.Code != "NoSuchKey" || e.RequestID == "" || e.RequestID != resp.Header.Get("X-Amz-Request-Id") {
		t.Errorf("error answer: %d %+v, header request ID %q", resp.StatusCode, e, resp.Header.Get("X-Amz-Request-Id"))
	}

	var ids []s3types.ObjectIdentifier
	for i := range 1001 {
		ids = append(ids, s3types.ObjectIdentifier{Key: sdkaws.String(fmt.Sprint("k", i))})
	}
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &sb.Bucket, Delete: &s3types.Delete{Objects: ids}}); apiCode(err) != "MalformedXML" {
		t.Errorf("DeleteObjects of 1,001 keys: %v, want MalformedXML", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &sb.Bucket}); err != nil {
		t.Errorf("CreateBucket of the owned bucket: %v, want success as in us-east-1", err)
	}
	if got, _ := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sb.Bucket}); got == nil || len(got.Contents) != 3 {
		t.Errorf("the bucket after CreateBucket again: %+v", got)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
