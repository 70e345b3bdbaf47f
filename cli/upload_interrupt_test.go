package cli

// Through `cfsign upload`: after Ctrl-C every
// file is reported as what the server holds, whatever the server answered
// to the requests the stop cut off.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
)

// Ctrl-C while parts are sent; the abort lands but its answer is lost (a
// 500), and the retry answers NoSuchUpload. The upload is aborted: exit 130
// and the plain line, not exit 1 with the SDK's "failed to abort multipart
// upload (… NoSuchUpload)".
func TestUploadInterruptedAbortAnsweredNoSuchUpload(t *testing.T) {
	c, sb := relSandboxClient(t)
	te := newTestEnv(t)
	sandboxCreds(t, te, sb)
	forward := httputil.NewSingleHostReverseProxy(mustURL(t, sb.S3Endpoint))
	big := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(big, bytes.Repeat([]byte("cfsign"), 3<<20), 0o644) // 18 MiB
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var aborts atomic.Int32
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2":
			cancel() // Ctrl-C while part 2 is on its way
			<-r.Context().Done()
			return true
		case r.Method == http.MethodDelete && r.URL.Query().Has("uploadId") && aborts.Add(1) == 1:
			forward.ServeHTTP(httptest.NewRecorder(), r) // the server aborts...
			testenv.S3Error(w, r, http.StatusInternalServerError, "InternalError", "answer lost")
			return true
		}
		return false
	})
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	key := testenv.Unique("abort404") + ".bin"
	res := te.runCtx(ctx, "upload", big, "s3://"+sb.Bucket+"/"+key, "--endpoint-url", proxy.URL, "--part-size", "5MiB")
	res.oneLineError(t, ExitInterrupted, "stopped, its multipart upload aborted, nothing left on the server")
	if strings.Contains(res.stderr, "operation error") || strings.Contains(res.stderr, "failed to abort") {
		t.Errorf("raw SDK text: %q", res.stderr)
	}
	if aborts.Load() < 2 {
		t.Errorf("%d aborts, want the lost one and its retry", aborts.Load())
	}
	if _, err := c.Head(context.Background(), sb.Bucket, key); err == nil {
		t.Errorf("the object exists")
	}
	if ups, _ := c.ListMultipartUploads(context.Background(), sb.Bucket); relContains(ups, key) {
		t.Errorf("a multipart upload is left: %q", ups)
	}
}

// Ctrl-C on a directory upload just after a single PUT's body reached the
// server, which stores it a little later (after any HEAD the client sends at
// once). The file is on the server, so it is listed on stdout, and every
// other file's line says what happened to it; the count matches a listing.
// such files were reported "stopped, nothing uploaded".
func TestDirectoryUploadInterruptedStoredLate(t *testing.T) {
	c, sb := relSandboxClient(t)
	te := newTestEnv(t)
	sandboxCreds(t, te, sb)
	forward := httputil.NewSingleHostReverseProxy(mustURL(t, sb.S3Endpoint))
	dir := filepath.Join(t.TempDir(), "late")
	os.MkdirAll(dir, 0o755)
	var names []string
	for i := range 12 {
		name := fmt.Sprintf("f%02d.bin", i)
		names = append(names, name)
		os.WriteFile(filepath.Join(dir, name), bytes.Repeat([]byte{byte(i)}, 200_000+i), 0o644)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var puts atomic.Int32
	var mu sync.Mutex
	heads := map[string]chan struct{}{} // a HEAD seen, by path
	headOf := func(path string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if heads[path] == nil {
			heads[path] = make(chan struct{})
		}
		return heads[path]
	}
	var late sync.WaitGroup // PUTs the server stores after the stop
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodHead {
			ch := headOf(r.URL.Path)
			mu.Lock()
			select {
			case <-ch:
			default:
				close(ch)
			}
			mu.Unlock()
			return false
		}
		if !isPutObject(r) || puts.Add(1) != 4 {
			return false
		}
		late.Add(1)
		defer late.Done()
		body, err := io.ReadAll(r.Body) // the whole body has been sent
		if err != nil {
			return true
		}
		cancel() // Ctrl-C now
		select {
		case <-headOf(r.URL.Path):
		case <-time.After(time.Second):
		}
		// The server stores it whether or not the client is still there.
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		forward.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return true
	})
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	prefix := testenv.Unique("late") + "/"
	res := te.runCtx(ctx, "upload", dir, "s3://"+sb.Bucket+"/"+prefix, "--endpoint-url", proxy.URL)
	late.Wait()
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	if res.code != ExitInterrupted {
		t.Errorf("exit %d, want %d", res.code, ExitInterrupted)
	}
	held := stdoutMatchesServer(t, c, sb.Bucket, prefix, res.stdout)
	eachFileToldOnce(t, res, prefix, "late", names)
	m := regexp.MustCompile(`interrupted: (\d+) of (\d+) files uploaded`).FindStringSubmatch(res.stderr)
	if m == nil || m[1] != fmt.Sprint(len(held)) || m[2] != fmt.Sprint(len(names)) {
		t.Errorf("count %q, the server holds %d of %d", m, len(held), len(names))
	}
}

// Ctrl-C while every upload in flight has its body sent: those finish (the
// server stores them) and the files still waiting never start. They must be
// named as not started, and the stop still exits 130; it exited 0 and
// printed nothing of them, as if every file had been uploaded.
func TestDirectoryUploadInterruptedWhileAllInFlightFinish(t *testing.T) {
	c, sb := relSandboxClient(t)
	te := newTestEnv(t)
	sandboxCreds(t, te, sb)
	dir := filepath.Join(t.TempDir(), "wait")
	os.MkdirAll(dir, 0o755)
	const files = app.FileWorkers + 4
	var names []string
	for i := range files {
		names = append(names, fmt.Sprintf("f%02d.bin", i))
		os.WriteFile(filepath.Join(dir, names[i]), bytes.Repeat([]byte{byte(i)}, 1000+i), 0o644)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bodies atomic.Int32
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if !isPutObject(r) {
			return false
		}
		body, err := io.ReadAll(r.Body) // sent in full
		if err != nil {
			return true
		}
		if bodies.Add(1) == app.FileWorkers {
			cancel() // Ctrl-C with every worker's PUT sent, the rest waiting
		}
		<-ctx.Done()
		r.Body = io.NopCloser(bytes.NewReader(body))
		return false // stored, and answered
	})
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	prefix := testenv.Unique("wait") + "/"
	res := te.runCtx(ctx, "upload", dir, "s3://"+sb.Bucket+"/"+prefix, "--endpoint-url", proxy.URL)
	if res.code != ExitInterrupted {
		t.Errorf("exit %d, want %d; stderr:\n%s", res.code, ExitInterrupted, res.stderr)
	}
	if held := stdoutMatchesServer(t, c, sb.Bucket, prefix, res.stdout); len(held) != app.FileWorkers {
		t.Errorf("the server holds %d, want %d", len(held), app.FileWorkers)
	}
	eachFileToldOnce(t, res, prefix, "wait", names)
	if n := strings.Count(res.stderr, ": not started, nothing sent to "); n != files-app.FileWorkers {
		t.Errorf("%d files named as not started, want %d:\n%s", n, files-app.FileWorkers, res.stderr)
	}
	want := fmt.Sprintf("interrupted: %d of %d files uploaded, %d not started", app.FileWorkers, files, files-app.FileWorkers)
	if !strings.Contains(res.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
	}
}
