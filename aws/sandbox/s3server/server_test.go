package s3server

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// lockedBuffer is a log the server writes to from its request goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve runs a server on a disk store over HTTP and returns an SDK client
// for it (the server does no authentication: any credentials do).
func serve(t *testing.T, opts Options) (*Server, *s3.Client) {
	t.Helper()
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	c := s3.New(s3.Options{Region: Region, BaseEndpoint: sdkaws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	return srv, c
}

// A full disk is told: the client gets S3's error format with the status
// and code that say so (507 InsufficientStorage, which clients do not
// retry), the log a line naming the file, and the object stays as it was.
func TestFullDiskIsTold(t *testing.T) {
	var log lockedBuffer
	dir := t.TempDir()
	srv, c := serve(t, Options{Dir: dir, Log: &log})
	if err := srv.EnsureBucket("b"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("k"), Body: strings.NewReader("kept")}); err != nil {
		t.Fatal(err)
	}
	fileWrite = func(f *os.File, _ []byte) (int, error) {
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC} // as the kernel answers
	}
	t.Cleanup(func() { fileWrite = (*os.File).Write })

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("k"), Body: bytes.NewReader(make([]byte, 1<<20))},
		func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	var ae smithy.APIError
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &ae) || ae.ErrorCode() != "InsufficientStorage" || !errors.As(err, &re) || re.HTTPStatusCode() != 507 {
		t.Fatalf("PUT on a full disk: %v, want 507 InsufficientStorage", err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("k"), UploadId: up.UploadId,
		PartNumber: sdkaws.Int32(1), Body: strings.NewReader("part")}, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if !errors.As(err, &ae) || ae.ErrorCode() != "InsufficientStorage" {
		t.Errorf("UploadPart on a full disk: %v", err)
	}
	if got := log.String(); strings.Count(got, "no space left on device") != 2 || !strings.Contains(got, "PUT /b/k") || !strings.Contains(got, dir) {
		t.Errorf("log: %q, want a line per failure naming the request and the file", got)
	}
	fileWrite = (*os.File).Write
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(out.Body)
	out.Body.Close()
	if b.String() != "kept" {
		t.Errorf("object after the failed PUT: %q", b.String())
	}
	if files := storeFiles(t, dir); len(files) != 1 {
		t.Errorf("files after the failures: %q, want the object's one", files)
	}
}

// UploadPartCopy takes x-amz-copy-source-range only as bytes=FIRST-LAST.
func TestCopyRangeForms(t *testing.T) {
	for _, tc := range []struct {
		v           string
		first, last int64
		ok          bool
	}{
		{"bytes=0-2", 0, 2, true},
		{"bytes=5-5", 5, 5, true},
		{"0-2", 0, 0, false},
		{"bytes=0", 0, 0, false},
		{"bytes=hello-world", 0, 0, false},
		{"bytes=0-bar", 0, 0, false},
		{"bytes=hello-", 0, 0, false},
		{"bytes=-3", 0, 0, false},
		{"bytes=0-2,3-5", 0, 0, false},
		{"bytes=3-2", 0, 0, false},
		{"bytes=+1-2", 0, 0, false},
	} {
		first, last, ok := copyRange(tc.v)
		if ok != tc.ok || ok && (first != tc.first || last != tc.last) {
			t.Errorf("copyRange(%q) = %d, %d, %v; want %d, %d, %v", tc.v, first, last, ok, tc.first, tc.last, tc.ok)
		}
	}
}
