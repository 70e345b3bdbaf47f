package aws

// The aws layer within its limits: memory stays bounded whatever the
// flags or the server, and downloads treat the files they replace as cp does.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/testenv"
)

// Part size × (concurrency + 1) stays within the memory budget: the
// concurrency, asked for or chosen, is lowered (to one part at a time at
// least), then the part size if two parts still would not fit; a part is
// never larger than the file. --part-size 1GiB on a
// 300 MiB file held 956 MB.
func TestPlanUploadMemoryBudget(t *testing.T) {
	for _, tc := range []struct {
		size, part      int64
		conc            int
		budget          int64
		wantPart        int64
		wantConc        int
		wantLowered     int
		wantLoweredPart int64
	}{
		{300 * s3MiB, 1 << 30, 0, 0, 170 * s3MiB, 1, 0, 1 << 30}, // the case: three buffers of 170 MiB fit
		{300 * s3MiB, 1 << 30, 8, 0, 170 * s3MiB, 1, 8, 1 << 30}, // and one part at a time
		{100 * s3MiB, 1 << 30, 0, 0, 100 * s3MiB, 1, 0, 0},       // no larger than the file
		{4 << 30, 1 << 30, 4, 4 << 30, 1 << 30, 2, 4, 0},         // a larger budget keeps the part size
		{4 << 30, 64 * s3MiB, 16, 0, 64 * s3MiB, 6, 16, 0},       // 8 x 64 MiB = 512 MiB
		{4 << 30, 64 * s3MiB, 16, 2 << 30, 64 * s3MiB, 16, 0, 0}, // a larger budget keeps the concurrency
		{100 * s3MiB, 5 * s3MiB, 3, 0, 5 * s3MiB, 3, 0, 0},       // within the budget: as asked
		{4 << 30, 0, 0, 64 * s3MiB, 16 * s3MiB, 2, 0, 0},         // a chosen concurrency is lowered too
		{1 << 40, 0, 0, 64 * s3MiB, 105 * s3MiB, 1, 0, 0},        // S3's 10,000 parts win over the budget
	} {
		p, err := PlanUpload(tc.size, tc.part, tc.conc, tc.budget)
		if err != nil {
			t.Fatal(err)
		}
		budget := tc.budget
		if budget == 0 {
			budget = DefaultMemoryBudget
		}
		if p.PartSize != tc.wantPart || p.Concurrency != tc.wantConc || p.Lowered != tc.wantLowered || p.LoweredPartSize != tc.wantLoweredPart {
			t.Errorf("PlanUpload(%d, %d, %d, %d) = %+v, want part %d, concurrency %d, lowered from %d and %d",
				tc.size, tc.part, tc.conc, tc.budget, p, tc.wantPart, tc.wantConc, tc.wantLowered, tc.wantLoweredPart)
		}
		if p.Memory > budget && p.PartSize > s3MinPartSize && tc.size/s3MaxParts < p.PartSize/2 {
			t.Errorf("PlanUpload(%d, %d, %d, %d): %d bytes of buffers exceed the budget", tc.size, tc.part, tc.conc, tc.budget, p.Memory)
		}
	}
}

// A server that answers a listing (or an error, or a HEAD's... anything but
// an object's body) with an endless stream is cut off at MaxResponseBytes
// with one line; an object larger than that still downloads (a 500 MB
// ListObjects page once pushed cfsign to 1.77 GB).
func TestFaultHugeResponseRefused(t *testing.T) {
	backend := newFakeS3Server(t)
	bucket := newTestBucket(t, newTestClient(t, backend))
	var sent atomic.Int64
	endless := func(w http.ResponseWriter, status int) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name>`)
		entry := []byte(`<Contents><Key>` + strings.Repeat("k", 900) + `</Key><Size>1</Size></Contents>`)
		for range (200 << 20) / len(entry) { // 200 MiB, unless the client hangs up
			n, err := w.Write(entry)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
	proxy := testenv.NewFaultProxy(t, backend, func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
			endless(w, http.StatusOK)
			return true
		case r.Method == http.MethodDelete:
			endless(w, http.StatusInternalServerError) // an error body is read into memory too
			return true
		}
		return false
	})
	c := newTestClient(t, proxy.URL)
	_, err := c.List(context.Background(), bucket, "", "")
	var tooLarge *ResponseTooLargeError
	if !errors.As(err, &tooLarge) || strings.Contains(err.Error(), "operation error") || !strings.Contains(err.Error(), "more than 16 MiB in answer to ListObjectsV2") {
		t.Fatalf("list: %v", err)
	}
	t.Logf("list: %v", err)
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("the server got to send %d MiB", n>>20)
	}
	sent.Store(0)
	err = c.Delete(context.Background(), bucket, []string{"x\x01y"}) // DeleteObject, one key
	if err == nil || !strings.Contains(err.Error(), "more than 16 MiB in answer to DeleteObject") {
		t.Fatalf("delete: %v", err)
	}
	// An object's body is not a response kept in memory: 20 MiB downloads.
	data := make([]byte, MaxResponseBytes+4<<20)
	p := filepath.Join(t.TempDir(), "big")
	os.WriteFile(p, data, 0o644)
	if _, err := c.Upload(context.Background(), UploadRequest{Path: p, Bucket: bucket, Key: "big"}, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "big", Dest: out}, nil); err != nil {
		t.Fatalf("download of %d bytes: %v", len(data), err)
	}
}

// Download over an existing file keeps its mode, as cp does (a 0600
// secret stays 0600); a new file gets 0666 less the umask; the temporary
// file is 0600 while it is written; NoClobber leaves an existing file alone.
func TestDownloadModesAndNoClobber(t *testing.T) {
	c := newTestClient(t, newFakeS3Server(t))
	bucket := newTestBucket(t, c)
	src := filepath.Join(t.TempDir(), "secret.env")
	os.WriteFile(src, []byte("TOKEN=new\n"), 0o644)
	if _, err := c.Upload(context.Background(), UploadRequest{Path: src, Bucket: bucket, Key: "secret.env"}, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var tempModes []fs.FileMode
	seeTemp := func(Progress) { // runs while the temporary file is written
		m, _ := filepath.Glob(filepath.Join(dir, ".secret.env.cfsign-*"))
		for _, p := range m {
			if st, err := os.Stat(p); err == nil {
				tempModes = append(tempModes, st.Mode().Perm())
			}
		}
	}
	mode := func(p string) fs.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	dest := filepath.Join(dir, "secret.env")

	// New file: 0666 less the umask.
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "secret.env", Dest: dest}, seeTemp); err != nil {
		t.Fatal(err)
	}
	if got, want := mode(dest), s3NewFileMode(); got != want {
		t.Errorf("new file mode %v, want %v", got, want)
	}
	// Existing 0600 file: stays 0600, content replaced.
	os.WriteFile(dest, []byte("TOKEN=old\n"), 0o600)
	os.Chmod(dest, 0o600)
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "secret.env", Dest: dest}, seeTemp); err != nil {
		t.Fatal(err)
	}
	if got := mode(dest); got != 0o600 {
		t.Errorf("replaced a 0600 file with a %v one", got)
	}
	if b, _ := os.ReadFile(dest); string(b) != "TOKEN=new\n" {
		t.Errorf("content %q", b)
	}
	if len(tempModes) == 0 {
		t.Fatal("never saw the temporary file")
	}
	for _, m := range tempModes {
		if m != 0o600 {
			t.Errorf("temporary file mode %v, want 0600", m)
		}
	}
	// NoClobber: the file stays as it was, and no temporary file is left.
	os.WriteFile(dest, []byte("TOKEN=mine\n"), 0o600)
	err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "secret.env", Dest: dir, NoClobber: true}, nil)
	var exists *ExistsError
	if !errors.As(err, &exists) || exists.Path != dest {
		t.Fatalf("no-clobber over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "TOKEN=mine\n" {
		t.Errorf("no-clobber replaced the file: %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*cfsign-*")); len(m) != 0 {
		t.Errorf("temporary files left: %q", m)
	}
	// A symlink is written through, as cp does: the link stays, the file it
	// names gets the content and keeps its mode. A dangling link is refused.
	target := filepath.Join(dir, "real.env")
	os.WriteFile(target, []byte("TOKEN=old\n"), 0o640)
	os.Chmod(target, 0o640)
	link := filepath.Join(dir, "link.env")
	if err := os.Symlink("real.env", link); err != nil {
		t.Fatal(err)
	}
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "secret.env", Dest: link}, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "TOKEN=new\n" || mode(target) != 0o640 {
		t.Errorf("through the symlink: %q, mode %v", b, mode(target))
	}
	dangling := filepath.Join(dir, "dangling.env")
	os.Symlink("nowhere/x", dangling)
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "secret.env", Dest: dangling}, nil); err == nil || !strings.Contains(err.Error(), "dangling symlink") {
		t.Errorf("dangling symlink: %v", err)
	}
	// NoClobber to a new name downloads.
	fresh := filepath.Join(dir, "fresh.env")
	if err := c.Download(context.Background(), DownloadRequest{Bucket: bucket, Key: "secret.env", Dest: fresh, NoClobber: true}, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fresh); string(b) != "TOKEN=new\n" {
		t.Errorf("fresh %q", b)
	}
}

// The cap is at the HTTP layer: CloudFront's client has it too. moto behind
// a proxy that answers ListDistributions with an endless body.
func TestFaultHugeCloudFrontResponseRefused(t *testing.T) {
	moto := testenv.Moto(t)
	var sent atomic.Int64
	proxy := testenv.NewFaultProxy(t, moto, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/distribution") {
			return false
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<?xml version="1.0"?><DistributionList><Items>`)
		entry := []byte(`<DistributionSummary><Id>` + strings.Repeat("E", 900) + `</Id></DistributionSummary>`)
		for range (200 << 20) / len(entry) {
			n, err := w.Write(entry)
			sent.Add(int64(n))
			if err != nil {
				break
			}
		}
		return true
	})
	_, err := cfTestClient(t, proxy.URL).ListDistributions(context.Background())
	var tooLarge *ResponseTooLargeError
	if !errors.As(err, &tooLarge) || !strings.Contains(err.Error(), "CloudFront at "+strings.TrimPrefix(proxy.URL, "http://")+" sent more than 16 MiB") {
		t.Fatalf("list distributions: %v", err)
	}
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("the server got to send %d MiB", n>>20)
	}
}

// --timeout bounds a connection that makes no progress, not a whole
// request: a CloudFront answer that keeps arriving, however slowly, is read
// to the end (here 2.5 s of trickle under a 1 s timeout).
func TestFaultSlowCloudFrontAnswerIsRead(t *testing.T) {
	moto := testenv.Moto(t)
	proxy := testenv.NewFaultProxy(t, moto, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/public-key") {
			return false
		}
		body := `<?xml version="1.0" encoding="UTF-8"?>` +
			`<PublicKeyList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">` +
			`<MaxItems>100</MaxItems><Quantity>1</Quantity><Items><PublicKeySummary>` +
			`<Id>K2SLOWBUTMOVING</Id><Name>slow</Name><CreatedTime>2026-12-04T00:00:00Z</CreatedTime>` +
			`<EncodedKey>x</EncodedKey></PublicKeySummary></Items></PublicKeyList>`
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		const chunks = 10
		for i := range chunks {
			w.Write([]byte(body[i*len(body)/chunks : (i+1)*len(body)/chunks]))
			w.(http.Flusher).Flush()
			time.Sleep(250 * time.Millisecond)
		}
		return true
	})
	cf, err := NewCloudFront(context.Background(), CloudFrontOptions{
		ClientOptions:         ClientOptions{Region: "us-east-1", AccessKeyID: "testing", SecretAccessKey: "testing", Timeout: time.Second},
		CloudFrontEndpointURL: proxy.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := cf.ListPublicKeys(context.Background())
	if err != nil || len(keys) != 1 || keys[0].ID != "K2SLOWBUTMOVING" {
		t.Fatalf("slow answer: %v, %v", keys, err)
	}
}

// The S3 calls a CloudFront client makes (the bucket policy) have the same
// idle timeout as the rest: a server that never answers fails after
// --timeout, with cfsign's explanation, not never.
func TestFaultSilentBucketPolicyServerTimesOut(t *testing.T) {
	silent := testenv.Silent(t)
	cf, err := NewCloudFront(context.Background(), CloudFrontOptions{
		ClientOptions:         ClientOptions{Region: "us-east-1", EndpointURL: silent, AccessKeyID: "testing", SecretAccessKey: "testing", Timeout: time.Second, MaxAttempts: 1},
		CloudFrontEndpointURL: silent,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = cf.AllowDistributionRead(ctx, "cfsign-silent", policyTestARN)
	if err == nil || !strings.Contains(err.Error(), "did not answer for 1s") {
		t.Fatalf("silent S3 under a CloudFront client: %v", err)
	}
}
