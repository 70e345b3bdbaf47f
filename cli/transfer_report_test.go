package cli

// Transfers: what a stopped directory upload says about
// each file, downloads over existing files, and memory bounds.

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/testenv"
)

// isPutObject reports whether r is a single PutObject (not a part).
func isPutObject(r *http.Request) bool {
	return r.Method == http.MethodPut && !r.URL.Query().Has("partNumber") && !r.URL.Query().Has("uploadId")
}

// serverKeys lists every object under prefix.
func serverKeys(t *testing.T, c *aws.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	err := c.Walk(context.Background(), bucket, prefix, func(es []aws.Entry) error {
		for _, e := range es {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

// eachFileToldOnce checks that every file of an interrupted upload of
// directory dir (its base name) to prefix has exactly one line: its URI on
// stdout, or "stopped"/"not started" on stderr.
func eachFileToldOnce(t *testing.T, res result, prefix, dir string, names []string) {
	t.Helper()
	for _, name := range names {
		onStdout := strings.Contains(res.stdout, prefix+dir+"/"+name+"\n")
		errLine := regexp.MustCompile(`(?m)^cfsign: .*/` + regexp.QuoteMeta(dir+"/"+name) + `: (not started|stopped)`).MatchString(res.stderr)
		if onStdout == errLine {
			t.Errorf("%s: on stdout %v, stopped or not started on stderr %v: want exactly one", name, onStdout, errLine)
		}
	}
}

// stdoutMatchesServer checks that an upload's stdout lists exactly the
// objects the server holds under prefix, and returns those.
func stdoutMatchesServer(t *testing.T, c *aws.Client, bucket, prefix, stdout string) []string {
	t.Helper()
	held := serverKeys(t, c, bucket, prefix)
	var listed []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l != "" {
			listed = append(listed, strings.TrimPrefix(l, "s3://"+bucket+"/"))
		}
	}
	sort.Strings(listed)
	if strings.Join(listed, " ") != strings.Join(held, " ") {
		t.Errorf("stdout lists %q, the server holds %q", listed, held)
	}
	return held
}

// Ctrl-C on a directory upload while S3 stores some PUTs whose answers never
// come back: every file gets one line (its URI on stdout when the object is
// on the server, else a line on stderr saying it was stopped with nothing
// left, or not started), the count printed is the number of objects the
// server holds (listed), and no multipart upload is left.
func TestDirectoryUploadInterruptedSaysWhatHappened(t *testing.T) {
	c, sb := relSandboxClient(t)
	te := newTestEnv(t)
	sandboxCreds(t, te, sb)
	forward := httputil.NewSingleHostReverseProxy(mustURL(t, sb.S3Endpoint))

	t.Run("several files", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "batch")
		os.MkdirAll(dir, 0o755)
		files := map[string]int{"big.bin": 12 << 20, "empty.txt": 0}
		for i := range 14 {
			files[fmt.Sprintf("f%02d.txt", i)] = 1000 + i
		}
		for name, size := range files {
			os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var puts atomic.Int32
		var stopped atomic.Bool
		proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
			cleanup := r.Method == http.MethodHead || r.Method == http.MethodGet || r.Method == http.MethodDelete
			if stopped.Load() && !cleanup {
				// After the Ctrl-C nothing new reaches the server, so what it
				// holds does not depend on which request won a race.
				<-r.Context().Done()
				return true
			}
			if !isPutObject(r) || puts.Add(1) <= 3 {
				return false
			}
			// S3 stores this one, and the user presses Ctrl-C before the answer.
			if stopped.Swap(true) {
				<-r.Context().Done()
				return true
			}
			forward.ServeHTTP(httptest.NewRecorder(), r)
			cancel()
			<-r.Context().Done()
			return true
		})
		sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
		prefix := testenv.Unique("stopdir") + "/"
		res := te.runCtx(ctx, "upload", dir, "s3://"+sb.Bucket+"/"+prefix, "--endpoint-url", proxy.URL, "--part-size", "5MiB")
		t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		if res.code != ExitInterrupted {
			t.Errorf("exit %d, want %d", res.code, ExitInterrupted)
		}
		held := stdoutMatchesServer(t, c, sb.Bucket, prefix, res.stdout)
		eachFileToldOnce(t, res, prefix, "batch", slices.Collect(maps.Keys(files)))
		m := regexp.MustCompile(`interrupted: (\d+) of (\d+) files uploaded`).FindStringSubmatch(res.stderr)
		if m == nil {
			t.Fatalf("no count on stderr")
		}
		if n, _ := strconv.Atoi(m[1]); n != len(held) || m[2] != strconv.Itoa(len(files)) {
			t.Errorf("count %s of %s, the server holds %d of %d", m[1], m[2], len(held), len(files))
		}
		if !strings.Contains(res.stderr, "is complete on the server") {
			t.Errorf("the PUT that landed before Ctrl-C is not reported complete")
		}
		if ups, _ := c.ListMultipartUploads(context.Background(), sb.Bucket); relContains(ups, prefix) {
			t.Errorf("multipart uploads left: %q", ups)
		}
	})

	t.Run("a 0-byte file stopped", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o644)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
			if !isPutObject(r) {
				return false
			}
			cancel() // Ctrl-C before S3 has it
			<-r.Context().Done()
			return true
		})
		sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
		prefix := testenv.Unique("stop0") + "/"
		res := te.runCtx(ctx, "upload", dir, "s3://"+sb.Bucket+"/"+prefix, "--endpoint-url", proxy.URL)
		res.oneLineError(t, ExitInterrupted, "nothing uploaded")
		if strings.Contains(res.stderr, "multipart") {
			t.Errorf("a single PUT reported as a multipart upload: %q", res.stderr)
		}
		if held := serverKeys(t, c, sb.Bucket, prefix); len(held) != 0 {
			t.Errorf("the server holds %q", held)
		}
	})
}

// download over an existing file replaces it as cp does: a 0600 file stays
// 0600. --no-clobber leaves it alone, says so on stderr and exits 0, as cp
// -n does.
func TestDownloadOverExistingFile(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	sb := testenv.Sandbox(t)
	src := filepath.Join(t.TempDir(), "secret.env")
	os.WriteFile(src, []byte("TOKEN=from-s3\n"), 0o644)
	key := testenv.Unique("dl") + "/secret.env"
	te.run("upload", src, "s3://"+sb.Bucket+"/"+key, "--sandbox").mustOK(t)

	dest := filepath.Join(t.TempDir(), "secret.env")
	os.WriteFile(dest, []byte("TOKEN=local\n"), 0o600)
	te.run("download", "s3://"+sb.Bucket+"/"+key, dest, "--sandbox").mustOK(t)
	st, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the 0600 file became %v", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(dest); string(b) != "TOKEN=from-s3\n" {
		t.Errorf("content %q", b)
	}

	os.WriteFile(dest, []byte("TOKEN=mine\n"), 0o600)
	res := te.run("download", "s3://"+sb.Bucket+"/"+key, dest, "--no-clobber", "--sandbox")
	if res.code != 0 || res.stdout != "" || !strings.Contains(res.stderr, "exists: not downloaded (--no-clobber)") ||
		strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("--no-clobber: exit %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if b, _ := os.ReadFile(dest); string(b) != "TOKEN=mine\n" {
		t.Errorf("--no-clobber replaced the file: %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("files left next to it: %v", entries)
	}
	r := te.run("download", "--help")
	if !strings.Contains(r.stdout+r.stderr, "--no-clobber") || !strings.Contains(r.stdout+r.stderr, "cp -n") {
		t.Errorf("--help does not explain --no-clobber")
	}
}

// A part size × concurrency above the memory budget lowers the concurrency
// and says so; the upload still lands.
func TestUploadMemoryBudgetLowersConcurrency(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	sb := testenv.Sandbox(t)
	c, _ := relSandboxClient(t)
	p := filepath.Join(t.TempDir(), "f.bin")
	os.WriteFile(p, make([]byte, 21<<20), 0o644)
	key := testenv.Unique("budget") + ".bin"
	res := te.run("upload", p, "s3://"+sb.Bucket+"/"+key, "--part-size", "5MiB", "--concurrency", "8", "--max-memory", "20MiB", "--sandbox", "--debug").mustOK(t)
	if !strings.Contains(res.stderr, "cfsign: warning: "+p+": 8 parts at once lowered to 2") {
		t.Errorf("no warning about the lowered concurrency: %q", res.stderr)
	}
	if !strings.Contains(res.stderr, "5 parts of 5242880, 2 at once") {
		t.Errorf("the debug log does not show the plan: %q", res.stderr)
	}
	if info, err := c.Head(context.Background(), sb.Bucket, key); err != nil || info.Size != 21<<20 {
		t.Errorf("head %+v %v", info, err)
	}
	r := te.run("upload", "--help")
	if !strings.Contains(r.stdout+r.stderr, "--max-memory") {
		t.Errorf("--help does not explain the memory budget")
	}
}

// A hostile server that answers ls with an endless listing page: one line,
// exit 1, and cfsign stops reading long before the 200 MiB it would send.
func TestHugeListingRefused(t *testing.T) {
	sb := testenv.Sandbox(t)
	te := newTestEnv(t)
	sandboxCreds(t, te, sb)
	var sent atomic.Int64
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || r.URL.Query().Get("list-type") != "2" {
			return false
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>sandbox</Name>`)
		entry := []byte(`<Contents><Key>` + strings.Repeat("k", 900) + `</Key><Size>1</Size></Contents>`)
		for range (200 << 20) / len(entry) {
			n, err := w.Write(entry)
			sent.Add(int64(n))
			if err != nil {
				break
			}
		}
		return true
	})
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	res := te.run("ls", "s3://"+sb.Bucket+"/", "--endpoint-url", proxy.URL)
	res.oneLineError(t, ExitError, "sent more than 16 MiB in answer to ListObjectsV2")
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("cfsign read %d MiB", n>>20)
	}
}
