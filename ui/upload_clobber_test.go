package ui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/testenv"
)

// Uploading over objects that are there asks, file by file: replace, keep
// both (the new one under a free name beside it) or skip; nothing is
// replaced without an answer.
func TestUploadAsksBeforeReplacing(t *testing.T) {
	ctx := context.Background()
	sb := testenv.NewSandbox(t)
	c, err := aws.NewClient(ctx, aws.ClientOptions{EndpointURL: sb.S3Endpoint, Region: sb.Region,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old")
	os.WriteFile(old, []byte("old"), 0o644)
	for _, k := range []string{"uploads/in/a.txt", "uploads/in/b.txt"} {
		if _, err := c.Upload(ctx, aws.UploadRequest{Path: old, Bucket: sb.Bucket, Key: k}, nil); err != nil {
			t.Fatal(err)
		}
	}
	body := func(k string) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), "got")
		if err := c.Download(ctx, aws.DownloadRequest{Bucket: sb.Bucket, Key: k, Dest: f}, nil); err != nil {
			return "(none: " + err.Error() + ")"
		}
		r, _ := os.Open(f)
		defer r.Close()
		b, _ := io.ReadAll(r)
		return string(b)
	}

	h := newUpHarness(t)
	h.v.deps.Uploader, h.v.deps.Lister = c, c
	h.v.bucket = sb.Bucket
	h.v.SetSize(120, 30)
	os.MkdirAll(filepath.Join(h.dir, "in"), 0o755)
	for _, n := range []string{"a.txt", "b.txt", "c.txt"} {
		os.WriteFile(filepath.Join(h.dir, "in", n), []byte("new "+n), 0o644)
	}
	h.typ("in")
	h.press("enter")
	if h.v.clobber == nil || !strings.Contains(h.v.View(), "s3://sandbox/uploads/in/a.txt is there (3 B, ") ||
		!strings.Contains(h.v.View(), "R/K/S all 2") {
		t.Fatalf("no question before replacing:\n%s", h.v.View())
	}
	if got := body("uploads/in/c.txt"); !strings.HasPrefix(got, "(none") {
		t.Fatalf("a file went up before the question was answered: %q", got)
	}
	h.press("k") // a.txt: keep both
	if !strings.Contains(h.v.View(), "uploads/in/b.txt is there") {
		t.Fatalf("the second file was not asked about:\n%s", h.v.View())
	}
	h.press("s") // b.txt: skip
	for k, want := range map[string]string{
		"uploads/in/a.txt": "old", "uploads/in/a (1).txt": "new a.txt",
		"uploads/in/b.txt": "old", "uploads/in/c.txt": "new c.txt",
	} {
		if got := body(k); got != want {
			t.Errorf("%s holds %q, want %q", k, got, want)
		}
	}
	if done, ok := vtFind[uploadsDoneMsg](h.nav); !ok || done.skipped != 1 || len(done.keys) != 2 {
		t.Errorf("the end of the upload does not say what was skipped: %+v", done)
	}

	// Replace, for every file left (R).
	h2 := newUpHarness(t)
	h2.v.deps.Uploader, h2.v.deps.Lister = c, c
	h2.v.bucket = sb.Bucket
	os.MkdirAll(filepath.Join(h2.dir, "in"), 0o755)
	for _, n := range []string{"a.txt", "b.txt"} {
		os.WriteFile(filepath.Join(h2.dir, "in", n), []byte("newer "+n), 0o644)
	}
	h2.typ("in")
	h2.press("enter")
	h2.press("R")
	for _, n := range []string{"a.txt", "b.txt"} {
		if got := body("uploads/in/" + n); got != "newer "+n {
			t.Errorf("R: %s holds %q", n, got)
		}
	}
}
