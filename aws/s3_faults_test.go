package aws

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/testenv"
)

// 503 SlowDown a few times, then the server recovers: the SDK's retries
// carry the upload through, and progress stays monotonic across retries.
func TestFaultSlowDownThenRecover(t *testing.T) {
	backend := newFakeS3Server(t)
	var faults atomic.Int32
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && faults.Add(1) <= 3 {
			testenv.S3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
			return true
		}
		return false
	})
	bucket := newTestBucket(t, newTestClient(t, backend))
	c := newTestClient(t, proxy.URL)
	p, _ := randomFile(t, t.TempDir(), "f.bin", 2*s3MinPartSize+7)
	log := &progressLog{t: t}
	if _, err := c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: "f.bin", PartSize: s3MinPartSize, Concurrency: 1}, log.add); err != nil {
		t.Fatalf("upload through 3 SlowDowns: %v", err)
	}
	if faults.Load() < 3 {
		t.Fatalf("only %d PUTs seen", faults.Load())
	}
	log.check(int64(2*s3MinPartSize + 7))
}

// A server that always fails: a clear error once the retries are spent, and
// the multipart upload is aborted (the abort is not what fails here).
func TestFaultAlways500(t *testing.T) {
	backend := newFakeS3Server(t)
	var puts atomic.Int32
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut || r.Method == http.MethodGet {
			puts.Add(1)
			testenv.S3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error.")
			return true
		}
		return false
	})
	bucket := newTestBucket(t, newTestClient(t, backend))
	c := newTestClient(t, proxy.URL)

	_, err := c.List(context.Background(), bucket, "", "")
	errContains(t, err, "failed with HTTP 500 InternalError after 4 attempts", "try again later")

	p, _ := randomFile(t, t.TempDir(), "f.bin", 3*s3MinPartSize)
	_, err = c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: "f.bin", PartSize: s3MinPartSize}, nil)
	errContains(t, err, "upload", "HTTP 500 InternalError", "try again later")
	if strings.Contains(err.Error(), "could not be aborted") {
		t.Fatalf("abort should have worked: %v", err)
	}
	left, lerr := newTestClient(t, backend).ListMultipartUploads(context.Background(), bucket)
	if lerr != nil || len(left) != 0 {
		t.Fatalf("multipart uploads left: %q %v", left, lerr)
	}
}

// Rejected credentials and a missing bucket, as a real S3 answers them.
func TestFaultCredentialsRejected(t *testing.T) {
	backend := newFakeS3Server(t)
	for code, want := range map[string]string{
		"InvalidAccessKeyId":    "AWS credentials rejected (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID",
		"SignatureDoesNotMatch": "AWS credentials rejected (SignatureDoesNotMatch)",
		"ExpiredToken":          "the AWS session token has expired",
		"AccessDenied":          "access denied",
	} {
		proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
			testenv.S3Error(w, r, http.StatusForbidden, code, "refused")
			return true
		})
		_, err := newTestClient(t, proxy.URL).ListBuckets(context.Background())
		errContains(t, err, want)
	}
}

// A server that accepts connections and never answers: each attempt times
// out after the client's Timeout, and the error says so.
func TestFaultServerNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // never read, never answer
		}
	}()
	c := newTestClient(t, "http://"+l.Addr().String(), func(o *ClientOptions) {
		o.Timeout = 300 * time.Millisecond
		o.MaxAttempts = 2
	})
	start := time.Now()
	_, err = c.List(context.Background(), "bucket", "", "")
	errContains(t, err, "did not answer", "timed out")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s to time out", d)
	}

	// An upload whose body the server never reads times out too.
	p, _ := randomFile(t, t.TempDir(), "f.bin", 12*s3MiB)
	start = time.Now()
	_, err = c.Upload(context.Background(), UploadRequest{Path: p, Bucket: "bucket", Key: "f"}, nil)
	errContains(t, err, "did not answer", "timed out")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("upload took %s to time out", d)
	}
}

// The S3 server dies while parts are in flight. What we guarantee: a clear
// error within seconds that names the upload ID when its abort could not
// reach the server; the client keeps that abort pending and retries it
// before its next upload or listing of multipart uploads, so once the
// server is back nothing is left behind.
func TestFaultServerDiesMidUpload(t *testing.T) {
	backend := newFakeS3Server(t)
	arrived := make(chan struct{}, 1)
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		if testenv.IsPart(r) && r.URL.Query().Get("partNumber") == "2" {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-r.Context().Done()
			return true
		}
		return false
	})
	c := newTestClient(t, proxy.URL)
	bucket := newTestBucket(t, c)
	p, _ := randomFile(t, t.TempDir(), "f.bin", 4*s3MinPartSize)
	done := make(chan error, 1)
	go func() {
		_, err := c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: "f.bin", PartSize: s3MinPartSize, Concurrency: 2}, nil)
		done <- err
	}()
	<-arrived
	proxy.Kill()
	start := time.Now()
	err := <-done
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("error came %s after the server died", d)
	}
	errContains(t, err, "upload", "could not be aborted", "--upload-id")

	direct := newTestClient(t, backend)
	left, lerr := direct.ListMultipartUploads(context.Background(), bucket)
	if lerr != nil || len(left) != 1 {
		t.Fatalf("while the proxy is down the backend should hold the upload: %q %v", left, lerr)
	}
	proxy.Restart()
	left, lerr = c.ListMultipartUploads(context.Background(), bucket)
	if lerr != nil || len(left) != 0 {
		t.Fatalf("after the server is back: uploads left %q %v", left, lerr)
	}
	left, _ = direct.ListMultipartUploads(context.Background(), bucket)
	if len(left) != 0 {
		t.Fatalf("backend still holds %q", left)
	}
}

// A 404 whose body is not S3's XML (an HTML error page, or a key XML cannot
// carry) still reads as a missing object, for HEAD and GET alike.
func TestFaultBare404IsMissingObject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "xml") {
			// What moto sends for a key with a control character: XML 1.0
			// cannot carry it, so the SDK cannot parse the error.
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Key>xml\x01</Key></Error>")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<html><body>not here</body></html>")
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	_, err := c.Head(context.Background(), "media", "gone\x1b.txt")
	errContains(t, err, `no object "gone\x1b.txt" in bucket media`)
	err = c.Download(context.Background(), DownloadRequest{Bucket: "media", Key: "gone.txt", Dest: filepath.Join(t.TempDir(), "out")}, nil)
	errContains(t, err, `no object "gone.txt" in bucket media`)
	err = c.Download(context.Background(), DownloadRequest{Bucket: "media", Key: "xml\x01", Dest: filepath.Join(t.TempDir(), "out")}, nil)
	errContains(t, err, `no object "xml\x01" in bucket media`)
}
