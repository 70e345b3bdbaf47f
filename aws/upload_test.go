package aws

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/internal/testenv"
)

func TestUploadRoundTrip(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		ctx := context.Background()
		dir := t.TempDir()
		for _, tc := range []struct {
			name     string
			size     int
			partSize int64
		}{
			{"empty.bin", 0, 0},
			{"small.txt", 1500, 0},
			{"three-parts.bin", 3*s3MinPartSize + 12345, s3MinPartSize}, // 4 parts
		} {
			p, data := randomFile(t, dir, tc.name, tc.size)
			log := &progressLog{t: t}
			info, err := c.Upload(ctx, UploadRequest{Path: p, Bucket: bucket, Key: "up/" + tc.name, PartSize: tc.partSize}, log.add)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if info.Size != int64(tc.size) || info.ETag == "" {
				t.Fatalf("%s: %+v", tc.name, info)
			}
			log.check(int64(tc.size))
			if tc.partSize > 0 && !strings.Contains(info.ETag, "-4") {
				t.Fatalf("%s: ETag %s is not a 4-part multipart ETag", tc.name, info.ETag)
			}

			dest := filepath.Join(dir, "down", tc.name)
			os.MkdirAll(filepath.Dir(dest), 0o755)
			dlog := &progressLog{t: t}
			if err := c.Download(ctx, DownloadRequest{Bucket: bucket, Key: "up/" + tc.name, Dest: dest}, dlog.add); err != nil {
				t.Fatalf("download %s: %v", tc.name, err)
			}
			dlog.check(int64(tc.size))
			got, err := os.ReadFile(dest)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: downloaded %d bytes, want %d equal bytes (%v)", tc.name, len(got), len(data), err)
			}
		}
		left, err := c.ListMultipartUploads(ctx, bucket)
		if err != nil || len(left) != 0 {
			t.Fatalf("multipart uploads left: %q %v", left, err)
		}
	})
}

// Progress counts bytes as the transport sends them: with a server that
// holds part 2 until the test lets it go, progress must already show the
// bytes of the parts that went out, not of parts merely read into memory.
func TestUploadProgressCountsWireBytes(t *testing.T) {
	backend := newFakeS3Server(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		if testenv.IsPart(r) && r.URL.Query().Get("partNumber") == "2" {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release
		}
		return false
	})
	c := newTestClient(t, proxy.URL)
	bucket := newTestBucket(t, c)
	size := 3 * s3MinPartSize
	p, _ := randomFile(t, t.TempDir(), "f.bin", size)
	var mu sync.Mutex
	var events []Progress
	done := make(chan error, 1)
	go func() {
		_, err := c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: "f.bin", PartSize: s3MinPartSize, Concurrency: 1}, func(ev Progress) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		})
		done <- err
	}()
	<-arrived
	// With one worker, part 1 is confirmed and part 2 is on the wire
	// (held by the proxy before it reads the body): no event may claim
	// more than part 1 plus what part 2 wrote into socket buffers.
	mu.Lock()
	for _, ev := range events {
		if ev.Sent > int64(2*s3MinPartSize) {
			t.Errorf("progress %d while part 2 is held: counts more than was sent", ev.Sent)
		}
	}
	mu.Unlock()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	log := &progressLog{t: t, events: events}
	log.check(int64(size))
}

func TestUploadCancelAbortsMultipart(t *testing.T) {
	for _, tg := range s3Targets {
		t.Run(tg.name, func(t *testing.T) {
			backend := tg.endpoint(t)
			arrived := make(chan struct{}, 1)
			proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
				if testenv.IsPart(r) && r.URL.Query().Get("partNumber") == "2" {
					select {
					case arrived <- struct{}{}:
					default:
					}
					<-r.Context().Done() // hold part 2 until the client gives up
					return true
				}
				return false
			})
			c := newTestClient(t, proxy.URL)
			bucket := newTestBucket(t, c)
			p, _ := randomFile(t, t.TempDir(), "big.bin", 3*s3MinPartSize)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := c.Upload(ctx, UploadRequest{Path: p, Bucket: bucket, Key: "big.bin", PartSize: s3MinPartSize, Concurrency: 2}, nil)
				done <- err
			}()
			<-arrived
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want one that wraps context.Canceled", err)
			}
			errContains(t, err, "cancelled")
			direct := newTestClient(t, backend)
			left, err := direct.ListMultipartUploads(context.Background(), bucket)
			if err != nil || len(left) != 0 {
				t.Fatalf("multipart uploads left after cancel: %q %v", left, err)
			}
			if _, err := direct.Head(context.Background(), bucket, "big.bin"); err == nil {
				t.Fatal("a cancelled upload created the object")
			}
		})
	}
}

func TestUploadDirectoryKeepsRelativePaths(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		root := t.TempDir()
		randomFile(t, root, "photos/a.jpg", 10)
		randomFile(t, root, "photos/2024/b c.png", 20)
		randomFile(t, root, "photos/.hidden", 1)
		randomFile(t, root, "elsewhere/secret.txt", 5)
		single, _ := randomFile(t, root, "notes.md", 3)
		// A symlinked directory is not followed.
		if err := os.Symlink(filepath.Join(root, "elsewhere"), filepath.Join(root, "photos", "link")); err != nil {
			t.Fatal(err)
		}
		reqs, err := PlanUploads([]string{filepath.Join(root, "photos"), single}, bucket, "backup/")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range reqs {
			if _, err := c.Upload(context.Background(), r, nil); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, r.Key)
		}
		var listed []string
		c.Walk(context.Background(), bucket, "", func(page []Entry) error {
			for _, e := range page {
				listed = append(listed, e.Key)
			}
			return nil
		})
		want := []string{"backup/notes.md", "backup/photos/.hidden", "backup/photos/2024/b c.png", "backup/photos/a.jpg"}
		sort.Strings(keys)
		if !slices.Equal(keys, want) || !slices.Equal(listed, want) {
			t.Fatalf("planned %q, listed %q, want %q", keys, listed, want)
		}
		info, err := c.Head(context.Background(), bucket, "backup/photos/2024/b c.png")
		if err != nil || info.ContentType != "image/png" {
			t.Fatalf("content type %q, %v", info.ContentType, err)
		}
	})
}

func TestPlanUploads(t *testing.T) {
	root := t.TempDir()
	f, _ := randomFile(t, root, "one.txt", 1)
	randomFile(t, root, "d/x", 1)
	for _, tc := range []struct {
		paths  []string
		prefix string
		want   []string
	}{
		{[]string{f}, "", []string{"one.txt"}},
		{[]string{f}, "into/", []string{"into/one.txt"}},
		{[]string{f}, "renamed.txt", []string{"renamed.txt"}},
		{[]string{filepath.Join(root, "d")}, "p/", []string{"p/d/x"}},
		{[]string{filepath.Join(root, "d") + "/"}, "p", []string{"p/d/x"}},
		{[]string{f, filepath.Join(root, "d")}, "p", []string{"p/one.txt", "p/d/x"}},
	} {
		reqs, err := PlanUploads(tc.paths, "b", tc.prefix)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range reqs {
			got = append(got, r.Key)
			if r.Bucket != "b" {
				t.Fatalf("bucket %q", r.Bucket)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("PlanUploads(%q, %q) = %q, want %q", tc.paths, tc.prefix, got, tc.want)
		}
	}
	_, err := PlanUploads([]string{filepath.Join(root, "missing")}, "b", "")
	errContains(t, err, "missing", "no such file")
	other, _ := randomFile(t, root, "e/one.txt", 1)
	_, err = PlanUploads([]string{f, other}, "b", "p/")
	errContains(t, err, "would both become s3://b/p/one.txt")
}

func TestPlanUpload(t *testing.T) {
	for _, tc := range []struct {
		size      int64
		part      int64
		conc      int
		multipart bool
		wantPart  int64
		wantConc  int
	}{
		{0, 0, 0, false, 0, 1},
		{16*s3MiB - 1, 0, 0, false, 16*s3MiB - 1, 1},
		{16 * s3MiB, 0, 0, true, 8 * s3MiB, 2},
		{256 * s3MiB, 0, 0, true, 8 * s3MiB, 6},
		{5 << 30, 0, 0, true, 16 * s3MiB, 8},
		{1 << 40, 0, 0, true, 105 * s3MiB, 2}, // 1 TiB: within 10,000 parts and 512 MiB of buffers
		{100 * s3MiB, 5 * s3MiB, 3, true, 5 * s3MiB, 3},
		{6 * s3MiB, 5 * s3MiB, 0, true, 5 * s3MiB, 2},
	} {
		p, err := PlanUpload(tc.size, tc.part, tc.conc, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Multipart != tc.multipart || p.PartSize != tc.wantPart || p.Concurrency != tc.wantConc || p.Parts > s3MaxParts {
			t.Errorf("PlanUpload(%d, %d, %d) = %+v", tc.size, tc.part, tc.conc, p)
		}
	}
	if _, err := PlanUpload(1<<30, 1<<20, 0, 0); err == nil {
		t.Error("1 MiB parts accepted")
	}
	if _, err := PlanUpload(1<<40, 5*s3MiB, 0, 0); err == nil {
		t.Error("more than 10,000 parts accepted")
	}
}

func TestDetectContentType(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"a.html":    {[]byte("x"), "text/html; charset=utf-8"},
		"noext":     {[]byte("%PDF-1.7 ..."), "application/pdf"},
		"README":    {[]byte("plain words"), "text/plain; charset=utf-8"},
		"photo.JPG": {[]byte("x"), "image/jpeg"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, tc.data, 0o644)
		f, _ := os.Open(p)
		got := DetectContentType(p, f)
		f.Close()
		if got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestDownloadIntoDirAndNoTempOnError(t *testing.T) {
	c := newTestClient(t, newFakeS3Server(t))
	bucket := newTestBucket(t, c)
	putObject(t, c, bucket, "a/b/file.txt", []byte("hello"))
	dir := t.TempDir()
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "a/b/file.txt", Dest: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "file.txt")); string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "a/missing", Dest: filepath.Join(dir, "m")}, nil)
	errContains(t, err, "a/missing")
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("files left in dest dir: %v", ents)
	}
}

func TestUploadNeedsMD5(t *testing.T) {
	for ep, want := range map[string]bool{
		"":                          false, // AWS, over HTTPS
		"https://s3.example.com":    false,
		"http://127.0.0.1:9000":     false,
		"http://127.9.9.9:9000":     false,
		"http://[::1]:9000":         false,
		"http://localhost:9000":     false,
		"http://LOCALHOST":          false,
		"http://10.0.0.5:9000":      true,
		"http://minio.lan:9000":     true,
		"HTTP://192.168.1.2":        true,
		"http://[2001:db8::1]:9000": true,
	} {
		if got := s3UploadNeedsMD5(ep); got != want {
			t.Errorf("s3UploadNeedsMD5(%q) = %v, want %v", ep, got, want)
		}
	}
}

// Over plain HTTP to another machine each part carries its MD5, and a part
// damaged on the way is refused by the server, failing (and aborting) the
// upload. The test forces that path on loopback.
func TestUploadContentMD5(t *testing.T) {
	saved := s3UploadNeedsMD5
	s3UploadNeedsMD5 = func(string) bool { return true }
	t.Cleanup(func() { s3UploadNeedsMD5 = saved })

	backend := newFakeS3Server(t)
	var mu sync.Mutex
	var checked int
	var damage bool
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut || r.ContentLength <= 0 {
			return false // not an object's bytes (CreateBucket)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("proxy read: %v", err)
		}
		sum := md5.Sum(body)
		mu.Lock()
		defer mu.Unlock()
		if got := r.Header.Get("Content-MD5"); got != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("PUT %s: Content-MD5 %q, want the body's", r.URL, got)
		}
		checked++
		if damage && r.URL.Query().Get("partNumber") == "2" {
			body[len(body)/2] ^= 1
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return false
	})
	c := newTestClient(t, proxy.URL)
	bucket := newTestBucket(t, c)
	dir := t.TempDir()
	small, _ := randomFile(t, dir, "small.txt", 1000)
	big, _ := randomFile(t, dir, "big.bin", 3*s3MinPartSize)
	for _, p := range []string{small, big} {
		if _, err := c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: filepath.Base(p), PartSize: s3MinPartSize}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if checked != 4 {
		t.Errorf("%d PUTs checked, want 4 (one object, three parts)", checked)
	}

	mu.Lock()
	damage = true
	mu.Unlock()
	_, err := c.Upload(context.Background(), UploadRequest{Path: big, Bucket: bucket, Key: "damaged.bin", PartSize: s3MinPartSize}, nil)
	errContains(t, err, "damaged on the way", "BadDigest")
	if _, err := c.Head(context.Background(), bucket, "damaged.bin"); err == nil {
		t.Error("an upload with a damaged part created the object")
	}
	if left, err := c.ListMultipartUploads(context.Background(), bucket); err != nil || len(left) != 0 {
		t.Errorf("multipart uploads left: %q %v", left, err)
	}
}

// benchServers are the S3 servers the upload benchmarks run against: the
// sandbox's (gofakes3 behind our wrapper) in memory (what `cfsign sandbox
// --memory` and bench/compare.sh serve) and on disk (the default: files
// written and synced), and plain gofakes3.
var benchServers = []struct {
	name  string
	start func(b *testing.B) benchTarget
}{
	{"sandbox", func(b *testing.B) benchTarget {
		return sandboxTarget(testenv.NewSandbox(b))
	}},
	{"sandbox-disk", func(b *testing.B) benchTarget {
		return sandboxTarget(testenv.NewSandbox(b, func(o *sandbox.Options) { o.Memory = false }))
	}},
	{"gofakes3", func(b *testing.B) benchTarget {
		endpoint := newFakeS3Server(b)
		return benchTarget{endpoint: endpoint, bucket: newTestBucket(b, newTestClient(b, endpoint))}
	}},
}

// benchTarget is a server to upload to: the sandbox checks signatures
// against its own credentials, plain gofakes3 checks none.
type benchTarget struct {
	endpoint, bucket    string
	accessKeyID, secret string // "" for the test client's
}

func sandboxTarget(sb *sandbox.Sandbox) benchTarget {
	return benchTarget{endpoint: sb.S3Endpoint, bucket: sb.Bucket, accessKeyID: sb.AccessKeyID, secret: sb.SecretAccessKey}
}

func (bt benchTarget) client(b *testing.B) *Client {
	return newTestClient(b, bt.endpoint, func(o *ClientOptions) {
		if bt.accessKeyID != "" {
			o.AccessKeyID, o.SecretAccessKey = bt.accessKeyID, bt.secret
		}
	})
}

// BenchmarkUpload256MiB uploads 256 MiB with the chosen part size and
// concurrency and progress on; compare MB/s with BenchmarkUpload256MiBRawPUT
// (what `curl -T` does) against the same server. Client and server share the
// process here: bench/compare.sh measures them apart.
func BenchmarkUpload256MiB(b *testing.B) {
	for _, srv := range benchServers {
		b.Run("server="+srv.name, func(b *testing.B) {
			target := srv.start(b)
			c, bucket := target.client(b), target.bucket
			size := 256 * s3MiB
			p, _ := randomFile(b, b.TempDir(), "big.bin", size)
			b.SetBytes(int64(size))
			defer reportCPU(b)()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var last Progress
				if _, err := c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: "big.bin"}, func(ev Progress) { last = ev }); err != nil {
					b.Fatal(err)
				}
				if last.Sent != int64(size) {
					b.Fatalf("progress ended at %d", last.Sent)
				}
			}
		})
	}
}

// BenchmarkUpload256MiBRawPUT is the baseline for BenchmarkUpload256MiB: one
// unsigned HTTP PUT of the same file to the same kind of server, as
// `curl -T` would send it.
func BenchmarkUpload256MiBRawPUT(b *testing.B) {
	for _, srv := range benchServers {
		b.Run("server="+srv.name, func(b *testing.B) {
			target := srv.start(b)
			if target.accessKeyID != "" {
				b.Skip("the sandbox refuses unsigned requests")
			}
			endpoint, bucket := target.endpoint, target.bucket
			size := 256 * s3MiB
			p, _ := randomFile(b, b.TempDir(), "big.bin", size)
			b.SetBytes(int64(size))
			defer reportCPU(b)()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				req, _ := http.NewRequest(http.MethodPut, endpoint+"/"+bucket+"/big.bin", f)
				req.ContentLength = int64(size)
				resp, err := http.DefaultClient.Do(req)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("PUT: %s", resp.Status)
				}
			}
		})
	}
}

// Cancelling a download half-way leaves neither the destination nor a
// temporary file behind.
func TestDownloadCancelLeavesNoFile(t *testing.T) {
	backend := newFakeS3Server(t)
	c0 := newTestClient(t, backend)
	bucket := newTestBucket(t, c0)
	halfSent := make(chan struct{})
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/big") {
			return false
		}
		w.Header().Set("Content-Length", "1000000")
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 500000))
		w.(http.Flusher).Flush()
		close(halfSent)
		<-r.Context().Done()
		return true
	})
	c := newTestClient(t, proxy.URL)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Download(ctx, DownloadRequest{Bucket: bucket, Key: "big", Dest: filepath.Join(dir, "big")}, nil)
	}()
	<-halfSent
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want cancelled", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

// reportCPU reports the process's CPU time per op (client and in-process
// server together): on a shared machine wall-clock MB/s swings with other
// people's load, CPU per op much less.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// A NoClobber upload is checked by S3 as it stores (If-None-Match: *): a
// key that names an object already keeps it, single PUT or multipart, and
// the upload says ErrObjectExists with nothing of its own left behind.
func TestUploadNoClobberIsCheckedByS3(t *testing.T) {
	moto := testenv.Moto(t)
	c := newTestClient(t, moto)
	bucket := newTestBucket(t, c)
	ctx := context.Background()
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small"), filepath.Join(dir, "big")
	os.WriteFile(small, []byte("first"), 0o644)
	os.WriteFile(big, bytes.Repeat([]byte("b"), 17<<20), 0o644)
	for _, path := range []string{small, big} {
		key := filepath.Base(path)
		if _, err := c.Upload(ctx, UploadRequest{Path: small, Bucket: bucket, Key: key}, nil); err != nil {
			t.Fatal(err)
		}
		_, err := c.Upload(ctx, UploadRequest{Path: path, Bucket: bucket, Key: key, NoClobber: true, PartSize: 5 << 20}, nil)
		if !errors.Is(err, ErrObjectExists) {
			t.Fatalf("%s: %v, want ErrObjectExists", key, err)
		}
		if info, err := c.Head(ctx, bucket, key); err != nil || info.Size != 5 {
			t.Fatalf("%s: the object there was replaced: %+v %v", key, info, err)
		}
	}
	ups, err := c.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: sdkaws.String(bucket)})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("multipart uploads left: %+v %v", ups, err)
	}
	if _, err := c.Upload(ctx, UploadRequest{Path: small, Bucket: bucket, Key: "fresh", NoClobber: true}, nil); err != nil {
		t.Fatalf("a free key: %v", err)
	}
}
