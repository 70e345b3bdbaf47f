package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptrace"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sandboxProcess is a sandbox running in a process of its own (this test
// binary, see TestMain), so a test can kill it.
type sandboxProcess struct {
	*Sandbox
	cmd    *exec.Cmd
	stderr sbLog        // written by the process as it runs
	wait   func() error // once
}

// startProcess starts a sandbox process on dir and waits for its Info line.
func startProcess(t *testing.T, dir string) *sandboxProcess {
	t.Helper()
	p := &sandboxProcess{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	p.cmd.Env = append(os.Environ(), asSandbox+"="+dir)
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.wait = sync.OnceValue(p.cmd.Wait)
	t.Cleanup(p.stop)
	line, err := bufio.NewReader(out).ReadBytes('\n')
	var info Info
	if err != nil || json.Unmarshal(line, &info) != nil {
		p.stop()
		t.Fatalf("sandbox process: %v %q\n%s", err, line, p.stderr.String())
	}
	p.Sandbox = &Sandbox{S3Endpoint: info.S3Endpoint, Bucket: info.Bucket, Region: info.Region,
		AccessKeyID: info.AccessKeyID, SecretAccessKey: info.SecretAccessKey}
	return p
}

// kill sends the process SIGKILL, as kill -9 does.
func (p *sandboxProcess) kill() { p.cmd.Process.Kill() }

// stop kills the process and waits for it to end.
func (p *sandboxProcess) stop() {
	p.kill()
	p.wait()
}

// A sandbox killed (SIGKILL) while it completes a multipart upload loses
// nothing: after a restart the object is there whole, or the upload is
// still there with every part and completes; either way no file is left
// that no record names. The kill lands a little later each time after the
// Complete request reached the server, across the Complete's links,
// syncs and commit.
func TestCompleteSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	part := sbRandom(t, 5<<20)
	parts := [][]byte{part, []byte("the last part")}
	whole := bytes.Join(parts, nil)
	ctx := context.Background()
	outcomes := map[string]int{}
	for i, us := range []int{0, 200, 400, 700, 1200, 3000} {
		delay := time.Duration(us) * time.Microsecond
		p := startProcess(t, dir)
		c := sbClient(p.Sandbox)
		key := fmt.Sprintf("crash/%d.bin", i)
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &p.Bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		var done []s3types.CompletedPart
		for n, body := range parts {
			out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &p.Bucket, Key: &key, UploadId: up.UploadId,
				PartNumber: sdkaws.Int32(int32(n + 1)), Body: bytes.NewReader(body)})
			if err != nil {
				t.Fatal(err)
			}
			done = append(done, s3types.CompletedPart{PartNumber: sdkaws.Int32(int32(n + 1)), ETag: out.ETag})
		}
		complete := &s3.CompleteMultipartUploadInput{Bucket: &p.Bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}}
		sent := make(chan struct{})
		trace := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(sent) }})
		answered := make(chan error, 1)
		go func() {
			_, err := c.CompleteMultipartUpload(trace, complete, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
			answered <- err
		}()
		<-sent
		time.AfterFunc(delay, p.kill) // the moment the kill lands, not a wait
		p.wait()
		<-answered

		p = startProcess(t, dir)
		c = sbClient(p.Sandbox)
		if strings.Contains(p.stderr.String(), "was not closed cleanly") {
			outcomes["store checked"]++
		}
		ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &p.Bucket, Prefix: &key})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &p.Bucket, Key: &key}); err == nil {
			outcomes["complete"]++
			if len(ups.Uploads) != 0 {
				t.Errorf("kill after %v: the object is there and its upload still listed", delay)
			}
			if files := dataFiles(t, dir); len(files) != len(parts) {
				t.Errorf("kill after %v: files %q, want the object's %d segments", delay, files, len(parts))
			}
		} else {
			outcomes["upload kept"]++
			if len(ups.Uploads) != 1 {
				t.Fatalf("kill after %v: no object and %d uploads listed", delay, len(ups.Uploads))
			}
			lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &p.Bucket, Key: &key, UploadId: up.UploadId})
			if err != nil || len(lp.Parts) != len(parts) {
				t.Fatalf("kill after %v: parts %+v %v", delay, lp, err)
			}
			if files := dataFiles(t, dir); len(files) != len(parts) {
				t.Errorf("kill after %v: files %q, want the upload's %d parts only", delay, files, len(parts))
			}
			if _, err := c.CompleteMultipartUpload(ctx, complete); err != nil {
				t.Fatalf("kill after %v: Complete after the restart: %v", delay, err)
			}
		}
		if got, _ := sbGet(t, c, p.Bucket, key); !bytes.Equal(got, whole) {
			t.Fatalf("kill after %v: object of %d bytes, not the upload", delay, len(got))
		}
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &p.Bucket, Key: &key}); err != nil {
			t.Fatal(err)
		}
		if files := dataFiles(t, dir); len(files) != 0 {
			t.Errorf("kill after %v: files left after the delete: %q", delay, files)
		}
		p.stop()
	}
	t.Logf("outcomes: %v", outcomes)
}

// A sandbox killed (SIGKILL) while it adds a version to a versioned
// bucket, by a PUT or a Complete, loses nothing: after a restart the new
// version is there whole (always, when the write was answered) or not at
// all, the versions before it are all there and read back, an upload cut
// short still completes, and no file is left that no version or upload
// names.
func TestVersionedWritesSurviveKill(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	key := "versioned.bin"
	type version struct {
		body  []byte
		files int // the version's data files
	}
	kept := map[string]version{} // by version ID
	outcomes := map[string]int{}
	for i, us := range []int{0, 5000, 60000, 0, 700, 3000} {
		delay := time.Duration(us) * time.Microsecond
		multipart := i >= 3
		p := startProcess(t, dir)
		c := sbClient(p.Sandbox)
		if i == 0 {
			if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &p.Bucket,
				VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
				t.Fatal(err)
			}
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &p.Bucket, Key: &key, Body: strings.NewReader("the first version")})
			if err != nil {
				t.Fatal(err)
			}
			kept[sdkaws.ToString(out.VersionId)] = version{[]byte("the first version"), 1}
		}

		// The write, and the kill a little after it reached the server.
		body := sbRandom(t, 5<<20)
		files := 1
		var upload *string
		var complete *s3.CompleteMultipartUploadInput
		if multipart {
			parts := [][]byte{body, []byte("and the last part")}
			body, files = bytes.Join(parts, nil), len(parts)
			up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &p.Bucket, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			upload = up.UploadId
			var done []s3types.CompletedPart
			for n, part := range parts {
				out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &p.Bucket, Key: &key, UploadId: upload,
					PartNumber: sdkaws.Int32(int32(n + 1)), Body: bytes.NewReader(part)})
				if err != nil {
					t.Fatal(err)
				}
				done = append(done, s3types.CompletedPart{PartNumber: sdkaws.Int32(int32(n + 1)), ETag: out.ETag})
			}
			complete = &s3.CompleteMultipartUploadInput{Bucket: &p.Bucket, Key: &key, UploadId: upload,
				MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}}
		}
		sent := make(chan struct{})
		trace := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(sent) }})
		answered := make(chan string, 1) // the version ID answered, "" for none
		go func() {
			once := func(o *s3.Options) { o.RetryMaxAttempts = 1 }
			var id *string
			if multipart {
				if out, err := c.CompleteMultipartUpload(trace, complete, once); err == nil {
					id = out.VersionId
				}
			} else if out, err := c.PutObject(trace, &s3.PutObjectInput{Bucket: &p.Bucket, Key: &key, Body: bytes.NewReader(body)}, once); err == nil {
				id = out.VersionId
			}
			answered <- sdkaws.ToString(id)
		}()
		<-sent
		time.AfterFunc(delay, p.kill)
		p.wait()
		answeredID := <-answered

		p = startProcess(t, dir)
		c = sbClient(p.Sandbox)
		list, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &p.Bucket})
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("kill %v after a versioned %s", delay, map[bool]string{true: "Complete", false: "PUT"}[multipart])
		var newID string
		for _, v := range list.Versions {
			id := sdkaws.ToString(v.VersionId)
			if _, ok := kept[id]; ok {
				continue
			}
			if newID != "" || !sdkaws.ToBool(v.IsLatest) {
				t.Fatalf("%s: versions %q and %q, want at most one new, the latest", what, newID, id)
			}
			newID = id
		}
		if len(list.Versions) != len(kept)+map[bool]int{true: 1, false: 0}[newID != ""] {
			t.Fatalf("%s: %d versions listed, want the %d before and at most one new", what, len(list.Versions), len(kept))
		}
		if answeredID != "" && answeredID != newID {
			t.Fatalf("%s: version %s was answered, and after the restart the new version is %q", what, answeredID, newID)
		}
		wantFiles := 0
		ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &p.Bucket})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case newID != "":
			outcomes["version kept"]++
		case multipart:
			outcomes["upload kept"]++
			if len(ups.Uploads) != 1 {
				t.Fatalf("%s: no new version and %d uploads", what, len(ups.Uploads))
			}
			wantFiles += files // the parts, until the Complete below
		default:
			outcomes["version not made"]++
		}
		for _, v := range kept {
			wantFiles += v.files
		}
		if newID != "" {
			wantFiles += files
		}
		if got := dataFiles(t, dir); len(got) != wantFiles {
			t.Errorf("%s: data files %q, want %d", what, got, wantFiles)
		}
		if newID == "" && multipart {
			out, err := c.CompleteMultipartUpload(ctx, complete)
			if err != nil {
				t.Fatalf("%s: Complete after the restart: %v", what, err)
			}
			newID = sdkaws.ToString(out.VersionId)
		}
		if newID != "" {
			kept[newID] = version{body, files}
		}
		for id, v := range kept {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &p.Bucket, Key: &key, VersionId: &id})
			if err != nil {
				t.Fatalf("%s: version %s: %v", what, id, err)
			}
			got, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(got, v.body) {
				t.Fatalf("%s: version %s reads %d bytes, not its own %d", what, id, len(got), len(v.body))
			}
		}
		p.stop()
	}
	t.Logf("outcomes: %v", outcomes)
}
