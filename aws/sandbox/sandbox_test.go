package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/cfsign/cfsign/keys"
)

// sbLog is a concurrency-safe log sink for the edge.
type sbLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sbLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sbLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sbStart starts an in-memory sandbox in a fresh directory, closed at the end of the test.
func sbStart(t *testing.T) (*Sandbox, *sbLog) {
	t.Helper()
	log := &sbLog{}
	sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: true, Log: log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, log
}

// sbClient is an aws-sdk-go-v2 S3 client for the sandbox, with explicit
// credentials so nothing is looked up elsewhere.
func sbClient(sb *Sandbox) *s3.Client {
	return s3.New(s3.Options{
		Region:       sb.Region,
		BaseEndpoint: sdkaws.String(sb.S3Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
}

// sbPresign is a presigned GET URL of key in the sandbox bucket.
func sbPresign(t *testing.T, sb *Sandbox, key string) string {
	t.Helper()
	req, err := s3.NewPresignClient(sbClient(sb)).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: sdkaws.String(sb.Bucket), Key: sdkaws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	return req.URL
}

func sbPut(t *testing.T, c *s3.Client, bucket, key string, body []byte, contentType string) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}
	if contentType != "" {
		in.ContentType = &contentType
	}
	if _, err := c.PutObject(context.Background(), in); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
}

func sbRandom(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// sbMultipart uploads body in parts of partSize through the SDK and returns
// the ETag CompleteMultipartUpload answered.
func sbMultipart(t *testing.T, c *s3.Client, bucket, key string, body []byte, partSize int) string {
	t.Helper()
	ctx := context.Background()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var parts []s3types.CompletedPart
	for i, n := 0, int32(1); i < len(body); i, n = i+partSize, n+1 {
		end := min(i+partSize, len(body))
		res, err := c.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: sdkaws.Int32(n),
			Body: bytes.NewReader(body[i:end]),
		})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: res.ETag, PartNumber: sdkaws.Int32(n)})
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	return sdkaws.ToString(done.ETag)
}

func TestSandboxFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	sb, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer sb.Close()

	if !validKeyPairID(sb.KeyPairID) || !strings.HasPrefix(sb.KeyPairID, "K") || len(sb.KeyPairID) != 14 {
		t.Errorf("KeyPairID = %q, want K + 13 upper-case letters and digits", sb.KeyPairID)
	}
	if sb.Bucket != "sandbox" || sb.Region != "us-east-1" {
		t.Errorf("Bucket, Region = %q, %q", sb.Bucket, sb.Region)
	}
	if sb.AccessKeyID == "" || sb.SecretAccessKey == "" {
		t.Errorf("no sandbox credentials: %q %q", sb.AccessKeyID, sb.SecretAccessKey)
	}
	for _, u := range []string{sb.S3Endpoint, sb.EdgeURL} {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "http" || pu.Hostname() != "127.0.0.1" || pu.Port() == "" || pu.Port() == "0" {
			t.Errorf("endpoint %q: want http://127.0.0.1:PORT (loopback by default)", u)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, stateFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, %v; want mode 0600", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, storeDirName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("memory sandbox wrote %s: %v", storeDirName, err)
	}
	for _, p := range []string{sb.PrivateKeyPath, sb.PublicKeyPath} {
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Errorf("key %s is outside the data dir %s", p, dir)
		}
	}
	if fi, err := os.Stat(sb.PrivateKeyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key: %v, %v; want mode 0600", fi, err)
	}

	// The bucket exists and is the only one.
	out, err := sbClient(sb).ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if len(out.Buckets) != 1 || sdkaws.ToString(out.Buckets[0].Name) != "sandbox" {
		t.Errorf("buckets = %+v, want just sandbox", out.Buckets)
	}

	// The JSON description has the documented fields.
	b, err := json.Marshal(sb.Info())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"s3_endpoint": sb.S3Endpoint, "edge_url": sb.EdgeURL, "bucket": "sandbox", "region": "us-east-1",
		"access_key_id": sb.AccessKeyID, "secret_access_key": sb.SecretAccessKey, "key_pair_id": sb.KeyPairID,
		"private_key": sb.PrivateKeyPath, "public_key": sb.PublicKeyPath,
		"cloudfront_endpoint": sb.CloudFrontEndpoint, "distribution_id": sb.DistributionID,
		"key_status": KeyTrusted, "log_file": filepath.Join(filepath.Dir(sb.PrivateKeyPath), "..", "sandbox.log"),
	}
	want["log_file"] = filepath.Clean(want["log_file"])
	if len(m) != len(want) {
		t.Errorf("Info JSON has %d fields, want %d: %s", len(m), len(want), b)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("Info JSON %s = %q, want %q", k, m[k], v)
		}
	}

	if err := sb.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := sb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSandboxDefaultDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg/data")
	if got := DefaultDir(); got != "/xdg/data/cfsign/sandbox" {
		t.Errorf("with XDG_DATA_HOME: %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultDir(); got != "/home/u/.local/share/cfsign/sandbox" {
		t.Errorf("without XDG_DATA_HOME: %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "relative/dir") // the XDG spec says to ignore it
	if got := DefaultDir(); got != "/home/u/.local/share/cfsign/sandbox" {
		t.Errorf("with a relative XDG_DATA_HOME: %q", got)
	}
}

// TestSandboxRestart: a second start on the same data dir (on disk) serves the
// same objects, multipart ETags, credentials, key pair and key pair ID, and a
// URL signed before the restart still works.
func TestSandboxRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	sb, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	c := sbClient(sb)
	small := []byte("kept across restarts\n")
	sbPut(t, c, sb.Bucket, "keep/small.txt", small, "text/plain")
	big := sbRandom(t, 5<<20+1234)
	mpETag := sbMultipart(t, c, sb.Bucket, "keep/big.bin", big, 5<<20)
	first := sb.Info()
	priv1, _ := os.ReadFile(sb.PrivateKeyPath)
	if err := sb.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, storeDirName, diskIndexFile)); err != nil {
		t.Fatalf("no store index after the first run: %v", err)
	}

	sb2, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	defer sb2.Close()
	second := sb2.Info()
	// Links signed for the edge keep working: the same ports when free.
	if first.EdgeURL != second.EdgeURL || first.S3Endpoint != second.S3Endpoint {
		t.Errorf("addresses changed across restart: %s %s -> %s %s",
			first.EdgeURL, first.S3Endpoint, second.EdgeURL, second.S3Endpoint)
	}
	if first.KeyPairID != second.KeyPairID || first.AccessKeyID != second.AccessKeyID ||
		first.SecretAccessKey != second.SecretAccessKey || first.PrivateKey != second.PrivateKey {
		t.Errorf("identity changed across restart:\n%+v\n%+v", first, second)
	}
	if priv2, _ := os.ReadFile(sb2.PrivateKeyPath); !bytes.Equal(priv1, priv2) {
		t.Error("private key changed across restart")
	}

	c2 := sbClient(sb2)
	got, err := c2.GetObject(ctx, &s3.GetObjectInput{Bucket: &sb2.Bucket, Key: sdkaws.String("keep/small.txt")})
	if err != nil {
		t.Fatalf("GetObject after restart: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(body, small) {
		t.Errorf("object after restart = %q, want %q", body, small)
	}
	head, err := c2.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &sb2.Bucket, Key: sdkaws.String("keep/big.bin")})
	if err != nil {
		t.Fatalf("HeadObject after restart: %v", err)
	}
	if sdkaws.ToString(head.ETag) != mpETag {
		t.Errorf("multipart ETag after restart = %s, want %s", sdkaws.ToString(head.ETag), mpETag)
	}
	buckets, err := c2.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 1 {
		t.Errorf("ListBuckets after restart = %+v, %v; want only sandbox (no bookkeeping buckets)", buckets, err)
	}

	// The reloaded key under the same ID signs URLs the edge accepts.
	status, got2, _ := edgeGet(t, "GET", edgeSignURL(t, sb2, "/keep/small.txt", signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}), nil, nil)
	if status != 200 || !bytes.Equal(got2, small) {
		t.Errorf("edge after restart: %d %q", status, got2)
	}
}

// TestSandboxPortTakenFallsBack: when the last start's port is in use, the
// sandbox still starts, on another free port.
func TestSandboxPortTakenFallsBack(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	edge := strings.TrimPrefix(sb.EdgeURL, "http://")
	sb.Close()
	l, err := net.Listen("tcp", edge)
	if err != nil {
		t.Skipf("port %s was taken by someone else meanwhile: %v", edge, err)
	}
	defer l.Close()
	sb2, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatalf("second start with the old port taken: %v", err)
	}
	defer sb2.Close()
	if sb2.EdgeURL == sb.EdgeURL {
		t.Fatalf("edge reused a port that is taken: %s", sb2.EdgeURL)
	}
}

// TestSandboxPortsRememberedPerServer: an address given for one server
// leaves the others to the remembered ports, and a server given none
// remembers the port it used, even when another server was given one.
func TestSandboxPortsRememberedPerServer(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	edge, s3addr := sb.EdgeURL, strings.TrimPrefix(sb.S3Endpoint, "http://")
	sb.Close()
	l, err := net.Listen("tcp", s3addr)
	if err != nil {
		t.Skipf("port %s was taken by someone else meanwhile: %v", s3addr, err)
	}
	sb2, err := Start(context.Background(), Options{DataDir: dir, Memory: true, EdgeAddr: "127.0.0.1:0"})
	l.Close()
	if err != nil {
		t.Fatalf("start with --addr and the S3 port taken: %v", err)
	}
	moved := sb2.S3Endpoint
	sb2.Close()
	if moved == sb.S3Endpoint {
		t.Fatalf("S3 server reused a port that is taken: %s", moved)
	}
	sb3, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb3.Close()
	if sb3.S3Endpoint != moved {
		t.Errorf("S3 server on %s, want %s, the port of the last start (which had only an edge address)", sb3.S3Endpoint, moved)
	}
	if sb3.EdgeURL != edge {
		t.Errorf("edge on %s, want %s: an explicit edge address must not replace the remembered port", sb3.EdgeURL, edge)
	}
}

// TestSandboxDataDirInUse: a second Start on a data dir in use fails at once
// naming the running one; Open uses the running one instead (same servers,
// same credentials), and its Close leaves the owner's sandbox running.
func TestSandboxDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer sb.Close()
	_, err = Start(context.Background(), Options{DataDir: dir})
	if !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), sb.S3Endpoint) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("second Start on the same dir: err = %v, want ErrRunning naming the pid and endpoint", err)
	}
	shared, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if shared.S3Endpoint != sb.S3Endpoint || shared.EdgeURL != sb.EdgeURL || shared.SecretAccessKey != sb.SecretAccessKey ||
		shared.KeyPairID != sb.KeyPairID || shared.PrivateKeyPath != sb.PrivateKeyPath || shared.SharedPID != os.Getpid() {
		t.Fatalf("Open gave %+v, want the running sandbox %+v", shared, sb)
	}
	sbPut(t, sbClient(shared), shared.Bucket, "via-shared.txt", []byte("x"), "")
	shared.Close()
	if _, err := sbClient(sb).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: sdkaws.String(sb.Bucket), Key: sdkaws.String("via-shared.txt")}); err != nil {
		t.Fatalf("the owner's sandbox after the shared one closed: %v", err)
	}
	sb.Close()
	if _, err := os.Stat(filepath.Join(dir, runningFile)); !os.IsNotExist(err) {
		t.Errorf("running.json left after Close: %v", err)
	}
}

// TestSandboxStaleRecord: a record left by a crashed sandbox (its server
// gone) does not stop Open from starting a new one, which takes its place.
func TestSandboxStaleRecord(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	record, err := os.ReadFile(filepath.Join(dir, runningFile))
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	// As after a crash: the record stays, nothing answers at its address.
	if err := os.WriteFile(filepath.Join(dir, runningFile), record, 0o600); err != nil {
		t.Fatal(err)
	}
	sb, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Open over a stale record: %v", err)
	}
	defer sb.Close()
	if sb.SharedPID != 0 {
		t.Fatalf("Open attached to a dead sandbox (pid %d)", sb.SharedPID)
	}
	var rec running
	b, _ := os.ReadFile(filepath.Join(dir, runningFile))
	if err := json.Unmarshal(b, &rec); err != nil || rec.Instance != sb.instance || rec.S3Endpoint != sb.S3Endpoint {
		t.Errorf("record after the restart: %s (%v)", b, err)
	}
}

// TestSandboxNewKeyNewID: replacing the key pair in the data dir gives it a
// new key pair ID, as uploading a new public key to CloudFront would.
func TestSandboxNewKeyNewID(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	id1 := sb.KeyPairID
	sb.Close()
	if _, err := keys.GenerateFiles(filepath.Join(dir, keysDir), keys.RSA, true); err != nil {
		t.Fatalf("replace keys: %v", err)
	}
	sb2, err := Start(context.Background(), Options{DataDir: dir, Memory: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer sb2.Close()
	if sb2.KeyPairID == id1 || !validKeyPairID(sb2.KeyPairID) {
		t.Errorf("after a key change: ID %s (was %s), want a new valid ID", sb2.KeyPairID, id1)
	}
}

// TestListMultipartUploads: a bucket that never had an upload lists none;
// uploads in progress are listed.
func TestListMultipartUploads(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &sb.Bucket})
	if err != nil {
		t.Fatalf("ListMultipartUploads on a fresh bucket: %v", err)
	}
	if len(out.Uploads) != 0 || sdkaws.ToBool(out.IsTruncated) || sdkaws.ToString(out.Bucket) != sb.Bucket {
		t.Errorf("fresh bucket: %+v", out)
	}

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &sb.Bucket, Key: sdkaws.String("a/b.bin")})
	if err != nil {
		t.Fatal(err)
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &sb.Bucket})
	if err != nil || len(out.Uploads) != 1 || sdkaws.ToString(out.Uploads[0].UploadId) != sdkaws.ToString(up.UploadId) {
		t.Fatalf("one upload in progress: %+v, %v", out, err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &sb.Bucket, Key: sdkaws.String("a/b.bin"), UploadId: up.UploadId}); err != nil {
		t.Fatal(err)
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &sb.Bucket})
	if err != nil || len(out.Uploads) != 0 {
		t.Errorf("after abort: %+v, %v", out, err)
	}

	// A bucket that does not exist is still an error.
	_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: sdkaws.String("no-such-bucket")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Errorf("missing bucket: err = %v, want NoSuchBucket", err)
	}
}

// TestMultipartETag: HEAD, GET, listings and the edge show the ETag
// CompleteMultipartUpload returned; a later single PUT shows its plain MD5.
func TestMultipartETag(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	ctx := context.Background()
	key := "mp/three-parts.bin"
	body := sbRandom(t, 2*(5<<20)+777)
	etag := sbMultipart(t, c, sb.Bucket, key, body, 5<<20)
	if !strings.HasSuffix(etag, `-3"`) {
		t.Fatalf("Complete ETag = %s, want an \"md5-3\" ETag", etag)
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &sb.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if got := sdkaws.ToString(head.ETag); got != etag {
		t.Errorf("HEAD ETag = %s, want %s", got, etag)
	}
	if sdkaws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Errorf("HEAD size = %d, want %d", sdkaws.ToInt64(head.ContentLength), len(body))
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &sb.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if sdkaws.ToString(get.ETag) != etag || !bytes.Equal(got, body) {
		t.Errorf("GET ETag = %s (want %s), body equal: %v", sdkaws.ToString(get.ETag), etag, bytes.Equal(got, body))
	}
	rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &sb.Bucket, Key: &key, Range: sdkaws.String("bytes=10-19")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rng.Body)
	rng.Body.Close()
	if sdkaws.ToString(rng.ETag) != etag || !bytes.Equal(part, body[10:20]) {
		t.Errorf("range GET ETag = %s, body equal %v", sdkaws.ToString(rng.ETag), bytes.Equal(part, body[10:20]))
	}

	// If-None-Match with the ETag users saw answers 304.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &sb.Bucket, Key: &key, IfNoneMatch: &etag})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 304 {
		t.Errorf("GET If-None-Match %s: err = %v, want 304", etag, err)
	}

	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sb.Bucket, Prefix: sdkaws.String("mp/")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("ListObjectsV2: %+v, %v", list, err)
	}
	if got := sdkaws.ToString(list.Contents[0].ETag); got != etag {
		t.Errorf("listed ETag = %s, want %s", got, etag)
	}

	// The edge shows the same ETag.
	status, _, h := edgeGet(t, "HEAD", edgeSignURL(t, sb, "/"+key, signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}), nil, nil)
	if status != 200 || h.Get("ETag") != etag {
		t.Errorf("edge HEAD: %d ETag %s, want 200 %s", status, h.Get("ETag"), etag)
	}

	// Overwritten by a single PUT: the plain MD5 again, everywhere.
	small := []byte("now small")
	sbPut(t, c, sb.Bucket, key, small, "")
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &sb.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if got := sdkaws.ToString(head.ETag); strings.Contains(got, "-") || got == etag {
		t.Errorf("HEAD ETag after a single PUT = %s, want a plain MD5", got)
	}
	list, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &sb.Bucket, Prefix: sdkaws.String("mp/")})
	if err != nil || len(list.Contents) != 1 || strings.Contains(sdkaws.ToString(list.Contents[0].ETag), "-") {
		t.Errorf("listing after a single PUT: %+v, %v", list, err)
	}
}

// sbAWSCLI returns a function running the AWS CLI against the sandbox, or
// skips (fails under CI) when the CLI is missing.
func sbAWSCLI(t *testing.T, sb *Sandbox) func(args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("aws CLI not found (required in CI): %v", err)
		}
		t.Skipf("aws CLI not found: %v", err)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID="+sb.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+sb.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_DEFAULT_REGION="+sb.Region,
	)
	return func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}

// TestAWSCLI: `aws s3 cp` up (multipart: above the CLI's 8 MiB
// threshold) and down, and `aws s3 ls`, against the sandbox S3 endpoint.
func TestAWSCLI(t *testing.T) {
	sb, _ := sbStart(t)
	aws := sbAWSCLI(t, sb)
	dir := t.TempDir()
	src := filepath.Join(dir, "up.bin")
	body := sbRandom(t, 9<<20+4321)
	if err := os.WriteFile(src, body, 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "note.txt")
	os.WriteFile(small, []byte("hello from the CLI\n"), 0o600)

	ep := "--endpoint-url=" + sb.S3Endpoint
	if out, err := aws("s3", "cp", src, "s3://sandbox/cli/up.bin", ep, "--only-show-errors"); err != nil {
		t.Fatalf("aws s3 cp up: %v\n%s", err, out)
	}
	if out, err := aws("s3", "cp", small, "s3://sandbox/cli/note.txt", ep, "--only-show-errors"); err != nil {
		t.Fatalf("aws s3 cp up (small): %v\n%s", err, out)
	}
	out, err := aws("s3", "ls", "s3://sandbox/cli/", ep)
	if err != nil {
		t.Fatalf("aws s3 ls: %v\n%s", err, out)
	}
	sizes := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 {
			sizes[f[3]] = f[2]
		}
	}
	if sizes["up.bin"] != fmt.Sprint(len(body)) || sizes["note.txt"] != "19" {
		t.Errorf("aws s3 ls sizes = %v, want up.bin %d and note.txt 19:\n%s", sizes, len(body), out)
	}
	dst := filepath.Join(dir, "down.bin")
	if out, err := aws("s3", "cp", "s3://sandbox/cli/up.bin", dst, ep, "--only-show-errors"); err != nil {
		t.Fatalf("aws s3 cp down: %v\n%s", err, out)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("downloaded %d bytes (err %v), want the %d uploaded", len(got), err, len(body))
	}
	// The CLI uploaded in parts: the object shows the multipart ETag, and no
	// upload is left in progress.
	out, err = aws("s3api", "head-object", "--bucket", "sandbox", "--key", "cli/up.bin", ep)
	if err != nil || !strings.Contains(out, `-2\"`) {
		t.Errorf("aws s3api head-object: %v\n%s\nwant a 2-part ETag", err, out)
	}
	ups, err := sbClient(sb).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &sb.Bucket})
	if err != nil || len(ups.Uploads) != 0 {
		t.Errorf("uploads left in progress after aws s3 cp: %+v, %v", ups, err)
	}
}

// TestSandboxNonLoopbackWarns: binding beyond loopback is allowed when asked
// for, warned about, and the advertised endpoint is still dialable.
func TestSandboxNonLoopbackWarns(t *testing.T) {
	log := &sbLog{}
	sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: true, S3Addr: "0.0.0.0:0", Log: log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer sb.Close()
	if !strings.Contains(log.String(), "warning: the S3 server listens on ") || strings.Contains(log.String(), "the edge listens") {
		t.Errorf("log = %q, want one warning about the S3 server", log.String())
	}
	if !strings.HasPrefix(sb.S3Endpoint, "http://127.0.0.1:") {
		t.Errorf("S3Endpoint = %s, want a loopback address to dial", sb.S3Endpoint)
	}
	if _, err := sbClient(sb).ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets: %v", err)
	}
}
