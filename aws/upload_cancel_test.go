package aws

// In the aws layer, a cancelled upload ends in
// exactly one of two outcomes, aborted (no object, no multipart upload) or
// completed (the object, with this upload's size and ETag), whatever the
// server answered to the requests cut off by the cancel.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/internal/testenv"
)

// truthSandbox is a sandbox on disk (as `cfsign --sandbox` runs it) and a
// client that reaches it through a fault proxy with hook.
func truthSandbox(t *testing.T, hook func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool) (*Client, *sandbox.Sandbox) {
	t.Helper()
	sb := testenv.NewSandbox(t, func(o *sandbox.Options) { o.Memory = false })
	u, err := url.Parse(sb.S3Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		return hook(forward, w, r)
	})
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	return newTestClient(t, proxy.URL, func(o *ClientOptions) {
		o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey
	}), sb
}

// The user cancels while parts are sent; the abort lands, but its answer is
// lost (a 500) and the retry answers NoSuchUpload. That is an aborted
// upload: the error says the upload was stopped (context.Canceled), in one
// line without the SDK's text, with Clean set, and the server holds neither
// object nor multipart upload. the transfer manager's own abort
// got that NoSuchUpload and replaced the cancel with its raw error, so
// `cfsign upload` exited 1 with it instead of 130.
func TestUploadCancelAbortAnsweredNoSuchUploadIsAborted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var aborts sync.Mutex
	abortsSeen := 0
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2":
			cancel() // Ctrl-C while part 2 is on its way
			<-r.Context().Done()
			return true
		case r.Method == http.MethodDelete && r.URL.Query().Has("uploadId"):
			aborts.Lock()
			abortsSeen++
			first := abortsSeen == 1
			aborts.Unlock()
			if !first {
				return false // the retry: NoSuchUpload
			}
			forward.ServeHTTP(httptest.NewRecorder(), r) // the server aborts...
			testenv.S3Error(w, r, http.StatusInternalServerError, "InternalError", "answer lost")
			return true
		}
		return false
	})
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("cfsign"), 3<<20), 0o644) // 18 MiB: 4 parts of 5 MiB
	key := testenv.Unique("aborted") + ".bin"
	info, err := c.Upload(ctx, UploadRequest{Path: src, Bucket: sb.Bucket, Key: key, PartSize: 5 << 20, Concurrency: 2}, nil)
	t.Logf("upload: %+v, %v", info, err)
	var ue *UploadError
	if !errors.As(err, &ue) || !ue.Multipart || !ue.Clean {
		t.Fatalf("error %#v (%v), want an UploadError of a multipart upload, aborted clean", err, err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("the error no longer says the upload was cancelled: %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, "operation error") || strings.Contains(msg, "failed to abort") || strings.Contains(msg, "\n") {
		t.Errorf("error %q, want one plain line", msg)
	}
	if abortsSeen < 2 {
		t.Errorf("%d aborts reached the proxy, want the lost one and its retry", abortsSeen)
	}
	direct := newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	if _, err := direct.Head(context.Background(), sb.Bucket, key); err == nil {
		t.Errorf("the object exists after an aborted upload")
	}
	if ups, err := direct.ListMultipartUploads(context.Background(), sb.Bucket); err != nil || len(ups) != 0 {
		t.Errorf("multipart uploads left: %q %v", ups, err)
	}
}

// The user cancels after a single PUT's body has reached the server, which
// stores the object only a little later (a slow disk, a busy S3). A HEAD
// right after the cancel finds nothing, yet the object lands: the upload
// must wait (bounded) for the PUT's answer and report the object (files of
// a stopped directory upload were once reported "stopped, nothing
// uploaded" while the server held them complete).
func TestUploadCancelAfterPutSentWaitsForTheAnswer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	headSeen := make(chan struct{})
	var headOnce sync.Once
	stored := make(chan struct{}) // the server has handled the PUT
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		switch r.Method {
		case http.MethodHead:
			headOnce.Do(func() { close(headSeen) })
		case http.MethodPut:
			body, err := io.ReadAll(r.Body) // the whole body has been sent
			if err != nil {
				return true
			}
			cancel() // Ctrl-C now
			select { // the server stores it after any HEAD the client sends at once
			case <-headSeen:
			case <-time.After(time.Second):
			}
			// The server stores it whether or not the client is still there.
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec := httptest.NewRecorder()
			forward.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			close(stored)
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return true
		}
		return false
	})
	src := filepath.Join(t.TempDir(), "small.bin")
	data := bytes.Repeat([]byte("x"), 3<<20)
	os.WriteFile(src, data, 0o644)
	key := testenv.Unique("landed") + ".bin"
	info, err := c.Upload(ctx, UploadRequest{Path: src, Bucket: sb.Bucket, Key: key}, nil)
	t.Logf("upload: %+v, %v", info, err)
	<-stored
	direct := newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	head, herr := direct.Head(context.Background(), sb.Bucket, key)
	switch {
	case herr == nil && err != nil:
		t.Errorf("the server holds %s (%d bytes), but the upload reports %v", key, head.Size, err)
	case herr != nil && err == nil:
		t.Errorf("the upload reports the object, but the server has none: %v", herr)
	case herr == nil && head.Size != int64(len(data)):
		t.Errorf("the object has %d bytes, want %d", head.Size, len(data))
	}
	if err != nil {
		t.Errorf("the PUT's body was sent in full and the server stores it: want success, got %v", err)
	}
}

// The user cancels while CreateMultipartUpload is on its way: the server
// makes the upload, but its answer (the upload ID) never reaches the client.
// A cancelled upload then leaves nothing: the upload nobody knew the ID of
// is found and aborted. It was left on the server while the CLI said
// "nothing uploaded".
func TestUploadCancelDuringCreateLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Has("uploads") {
			forward.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithoutCancel(r.Context()))) // the server makes it...
			cancel()                                                                                     // ...and Ctrl-C comes first
			<-r.Context().Done()
			return true
		}
		return false
	})
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("cfsign"), 2<<20), 0o644) // 12 MiB: 3 parts of 5 MiB
	key := testenv.Unique("created") + ".bin"
	_, err := c.Upload(ctx, UploadRequest{Path: src, Bucket: sb.Bucket, Key: key, PartSize: 5 << 20, Concurrency: 2}, nil)
	t.Logf("upload: %v", err)
	var ue *UploadError
	if !errors.As(err, &ue) || !ue.Clean || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %#v (%v), want a cancelled upload that left nothing", err, err)
	}
	direct := newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	if ups, err := direct.ListMultipartUploads(context.Background(), sb.Bucket); err != nil || len(ups) != 0 {
		t.Errorf("multipart uploads left: %q %v", ups, err)
	}
}

// A server that makes the upload but whose answers to CreateMultipartUpload
// are always lost: every retry made one more. The upload fails, and
// none of them is left.
func TestUploadLostCreateAnswersLeaveNothing(t *testing.T) {
	var creates sync.Mutex
	n := 0
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Has("uploads") {
			forward.ServeHTTP(httptest.NewRecorder(), r)
			creates.Lock()
			n++
			creates.Unlock()
			testenv.S3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "answer lost")
			return true
		}
		return false
	})
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("cfsign"), 2<<20), 0o644)
	key := testenv.Unique("lost") + ".bin"
	_, err := c.Upload(context.Background(), UploadRequest{Path: src, Bucket: sb.Bucket, Key: key, PartSize: 5 << 20}, nil)
	var ue *UploadError
	if !errors.As(err, &ue) || !ue.Clean {
		t.Fatalf("error %#v (%v), want a failed upload that left nothing", err, err)
	}
	direct := newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	if ups, err := direct.ListMultipartUploads(context.Background(), sb.Bucket); err != nil || len(ups) != 0 {
		t.Errorf("%d creates made uploads; left: %q %v", n, ups, err)
	}
}

// The first answer to CreateMultipartUpload is lost and the SDK's retry
// gets one: the upload succeeds, and the upload the first attempt made is
// not left behind.
func TestUploadRetriedCreateLeavesNoStray(t *testing.T) {
	var creates sync.Mutex
	n := 0
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Has("uploads") {
			creates.Lock()
			n++
			first := n == 1
			creates.Unlock()
			if first {
				forward.ServeHTTP(httptest.NewRecorder(), r)
				testenv.S3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "answer lost")
				return true
			}
		}
		return false
	})
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("cfsign"), 2<<20), 0o644)
	key := testenv.Unique("retried") + ".bin"
	if _, err := c.Upload(context.Background(), UploadRequest{Path: src, Bucket: sb.Bucket, Key: key, PartSize: 5 << 20}, nil); err != nil {
		t.Fatal(err)
	}
	direct := newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	if ups, err := direct.ListMultipartUploads(context.Background(), sb.Bucket); err != nil || len(ups) != 0 || n != 2 {
		t.Errorf("%d creates; uploads left: %q %v", n, ups, err)
	}
}

// A CreateMultipartUpload that S3 refused (here: no such bucket) made
// nothing: the error is S3's, the upload is clean, and nothing says a
// multipart upload may be left.
func TestUploadCreateRefusedIsClean(t *testing.T) {
	c, sb := truthSandbox(t, func(*httputil.ReverseProxy, http.ResponseWriter, *http.Request) bool { return false })
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("cfsign"), 2<<20), 0o644)
	_ = sb
	_, err := c.Upload(context.Background(), UploadRequest{Path: src, Bucket: "no-such-bucket", Key: "x.bin", PartSize: 5 << 20}, nil)
	var ue *UploadError
	if !errors.As(err, &ue) || !ue.Clean || strings.Contains(err.Error(), "may be left") {
		t.Fatalf("error %v (clean %v), want S3's refusal and a clean upload", err, ue != nil && ue.Clean)
	}
}

// The stray uploads a retried create leaves are those begun before its
// answer came: an upload of the same key that another writer begins while
// this one sends its parts is left alone.
func TestUploadStraysSpareAnotherWritersUpload(t *testing.T) {
	var mu sync.Mutex
	creates, parts := 0, 0
	var other, bucket string
	var direct *Client
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Query().Has("uploads"):
			creates++
			if creates == 1 {
				forward.ServeHTTP(httptest.NewRecorder(), r)
				testenv.S3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "answer lost")
				return true
			}
		case r.Method == http.MethodPut && r.URL.Query().Has("partNumber"):
			parts++
			if parts == 1 {
				time.Sleep(10 * time.Millisecond)
				out, err := direct.s3.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(strings.TrimPrefix(r.URL.Path, "/"+bucket+"/"))})
				if err != nil {
					t.Errorf("the other writer's create: %v", err)
				} else {
					other = sdkaws.ToString(out.UploadId)
				}
			}
		}
		return false
	})
	mu.Lock()
	direct = newTestClient(t, sb.S3Endpoint, func(o *ClientOptions) { o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey })
	bucket = sb.Bucket
	mu.Unlock()
	src := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(src, bytes.Repeat([]byte("cfsign"), 2<<20), 0o644)
	key := testenv.Unique("shared") + ".bin"
	if _, err := c.Upload(context.Background(), UploadRequest{Path: src, Bucket: sb.Bucket, Key: key, PartSize: 5 << 20, Concurrency: 1}, nil); err != nil {
		t.Fatal(err)
	}
	ups, err := direct.uploadsOf(context.Background(), sb.Bucket, key)
	if err != nil || len(ups) != 1 || sdkaws.ToString(ups[0].UploadId) != other {
		t.Fatalf("uploads of %s left: %d (%v), want only the other writer's %s", key, len(ups), err, other)
	}
}

// A NoClobber PUT whose first attempt landed but whose answer was lost is
// sent again, and S3 refuses the retry (412): the object there is this
// upload's own, so the upload succeeded. It was reported as kept, the key
// "already taken".
func TestUploadNoClobberRetryFindsItsOwnObject(t *testing.T) {
	var mu sync.Mutex
	puts := 0
	c, sb := truthSandbox(t, func(forward *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) bool {
		if !isPutObjectRequest(r) {
			return false
		}
		mu.Lock()
		puts++
		first := puts == 1
		mu.Unlock()
		if first {
			forward.ServeHTTP(httptest.NewRecorder(), r) // stored...
			testenv.S3Error(w, r, http.StatusInternalServerError, "InternalError", "answer lost")
			return true
		}
		return false
	})
	src := filepath.Join(t.TempDir(), "small.bin")
	os.WriteFile(src, []byte("mine"), 0o644)
	key := testenv.Unique("noclobber") + ".bin"
	info, err := c.Upload(context.Background(), UploadRequest{Path: src, Bucket: sb.Bucket, Key: key, NoClobber: true}, nil)
	if err != nil || info.Size != 4 || puts < 2 {
		t.Fatalf("upload: %+v, %v after %d PUTs; want its own object, found", info, err, puts)
	}
}

// isPutObjectRequest reports whether r is a PutObject (not a part, not a copy).
func isPutObjectRequest(r *http.Request) bool {
	return r.Method == http.MethodPut && !r.URL.Query().Has("partNumber") && r.Header.Get("X-Amz-Copy-Source") == "" && strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/") >= 1
}
