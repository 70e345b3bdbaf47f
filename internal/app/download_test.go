package app

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/testenv"
)

// sandboxS3 is a client of the shared sandbox, through proxy when given.
func sandboxS3(t *testing.T, endpoint string) *aws.Client {
	t.Helper()
	sb := testenv.Sandbox(t)
	if endpoint == "" {
		endpoint = sb.S3Endpoint
	}
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: sb.Region, EndpointURL: endpoint,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func put(t *testing.T, c *aws.Client, key string, data []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(context.Background(), aws.UploadRequest{Path: p, Bucket: "sandbox", Key: key}, nil); err != nil {
		t.Fatal(err)
	}
}

// drain reads a batch to its end and returns each file's Done event.
func drain(b DownloadBatch) map[int]DownloadEvent {
	out := map[int]DownloadEvent{}
	for ev := range b.Events {
		if ev.Kind == Done {
			out[ev.Index] = ev
		}
	}
	return out
}

// The destination rules 'cfsign download' and the app's prompt share.
func TestDownloadDestinations(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ key, dest, want string }{
		{"a/b/report.pdf", "", "report.pdf"},
		{"a/b/report.pdf", dir, filepath.Join(dir, "report.pdf")},
		{"a/b/report.pdf", filepath.Join(dir, "new") + "/", filepath.Join(dir, "new", "report.pdf")},
		{"a/b/report.pdf", filepath.Join(dir, "mine.pdf"), filepath.Join(dir, "mine.pdf")},
		{"a/..", dir, filepath.Join(dir, "download")},
	} {
		if got := DownloadDest(tc.key, tc.dest); got != tc.want {
			t.Errorf("DownloadDest(%q, %q) = %q, want %q", tc.key, tc.dest, got, tc.want)
		}
	}
	files, err := DownloadTo("b", []string{"x/a.txt", "y/a.txt", "y/a (1).txt", "z/a.txt"}, nil, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f.Dest))
	}
	if strings.Join(got, "|") != "a.txt|a (1).txt|a (1) (1).txt|a (2).txt" {
		t.Errorf("several objects of one name go to %q: one replaces another", got)
	}
	if _, err := DownloadTo("b", []string{"a", "b"}, nil, filepath.Join(dir, "nope"), dir); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("several objects into a missing directory: %v", err)
	}
}

// A batch writes every object byte-equal; a file that is there is kept
// with NoClobber and replaced, keeping its mode, without.
func TestDownloadBatchOnTheSandbox(t *testing.T) {
	c := sandboxS3(t, "")
	prefix := testenv.Unique("dl") + "/"
	bodies := map[string][]byte{}
	for i, size := range []int{0, 10, 3 << 20} {
		k := prefix + "f" + strconv.Itoa(i) + ".bin"
		bodies[k] = bytes.Repeat([]byte{byte('a' + i)}, size)
		put(t, c, k, bodies[k])
	}
	dir := t.TempDir()
	keep := filepath.Join(dir, "f1.bin")
	os.WriteFile(keep, []byte("mine"), 0o600)
	files, err := DownloadTo("sandbox", []string{prefix + "f0.bin", prefix + "f1.bin", prefix + "f2.bin"}, nil, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	files[1].NoClobber = true
	done := drain(Download(context.Background(), c, files, DownloadOptions{}))
	if done[0].Outcome != Downloaded || done[2].Outcome != Downloaded || done[1].Outcome != DownloadKept {
		t.Fatalf("outcomes: %+v", done)
	}
	for i, f := range files {
		got, _ := os.ReadFile(f.Dest)
		if i != 1 && !bytes.Equal(got, bodies[f.Key]) {
			t.Errorf("%s: %d bytes, want %d", f.Dest, len(got), len(bodies[f.Key]))
		}
	}
	if got, _ := os.ReadFile(keep); string(got) != "mine" {
		t.Fatalf("NoClobber replaced the file: %q", got)
	}
	files[1].NoClobber = false
	done = drain(Download(context.Background(), c, files[1:2], DownloadOptions{}))
	got, _ := os.ReadFile(keep)
	st, _ := os.Stat(keep)
	if done[0].Outcome != Downloaded || !bytes.Equal(got, bodies[prefix+"f1.bin"]) || st.Mode().Perm() != 0o600 {
		t.Fatalf("replace: %+v, %q, mode %v", done[0], got, st.Mode())
	}
}

// A download stopped while its bytes arrive says so and leaves nothing:
// no file at the destination, no temporary file beside it; the files not
// started say so too.
func TestDownloadStoppedLeavesNothing(t *testing.T) {
	sb := testenv.Sandbox(t)
	key := testenv.Unique("dl-stop") + "/slow.bin"
	put(t, sandboxS3(t, ""), key, bytes.Repeat([]byte("z"), 1<<20))
	started := make(chan struct{}, 8)
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "slow.bin") {
			return false
		}
		// Half the body, then nothing until the client goes.
		w.Header().Set("Content-Length", strconv.Itoa(1<<20))
		w.WriteHeader(http.StatusOK)
		w.Write(bytes.Repeat([]byte("z"), 1<<19))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
		return true
	})
	c := sandboxS3(t, proxy.URL)
	dir := t.TempDir()
	files := PlanDownloads("sandbox", []string{key, key, key, key, key, key}, nil, dir)
	ctx, cancel := context.WithCancel(context.Background())
	b := Download(ctx, c, files, DownloadOptions{})
	<-started
	cancel()
	done := drain(b)
	if len(done) != len(files) {
		t.Fatalf("%d of %d files said how they ended", len(done), len(files))
	}
	stopped := 0
	for _, ev := range done {
		switch ev.Outcome {
		case DownloadStopped:
			stopped++
			if !errors.Is(ev.Err, ErrDownloadStopped) {
				t.Errorf("a stopped file says %v", ev.Err)
			}
		case DownloadNotStarted:
		default:
			t.Errorf("file %d: outcome %v (%v)", ev.Index, ev.Outcome, ev.Err)
		}
	}
	if stopped == 0 {
		t.Error("no file was stopped while running")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a stopped batch left %v", left)
	}
}

// A file given a directory as its destination is written where its event
// says: the key's name by DownloadName inside it ("a/.." is "download"),
// which the aws layer once worked out again by another rule.
func TestDownloadIntoDirectoryWritesWhereItSays(t *testing.T) {
	c := sandboxS3(t, "")
	key := testenv.Unique("dl") + "/.."
	put(t, c, key, []byte("dots"))
	dir := t.TempDir()
	done := drain(Download(context.Background(), c, []DownloadFile{{Bucket: "sandbox", Key: key, Dest: dir}}, DownloadOptions{}))
	want := filepath.Join(dir, "download")
	if done[0].Outcome != Downloaded || done[0].Dest != want {
		t.Fatalf("done %+v, want %s downloaded", done[0], want)
	}
	if b, err := os.ReadFile(want); err != nil || string(b) != "dots" {
		t.Fatalf("%s holds %q (%v)", want, b, err)
	}
}
