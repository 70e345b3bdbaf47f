package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/internal/testenv"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/keys"
)

func TestKeysGenerateAndShow(t *testing.T) {
	te := newTestEnv(t)
	r := te.run("keys", "generate").mustOK(t)
	dir := filepath.Join(te.vars["XDG_CONFIG_HOME"], "cfsign", "keys")
	priv := filepath.Join(dir, keys.PrivateFile)
	for _, w := range []string{"private key: " + priv, "public key:  " + filepath.Join(dir, keys.PublicFile), "fingerprint: SHA256:"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("generate output lacks %q: %q", w, r.stdout)
		}
	}
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key: %v %v", st, err)
	}
	fp := r.stdout[strings.Index(r.stdout, "SHA256:"):]
	fp = fp[:strings.IndexByte(fp, '\n')]
	// A second generate refuses to replace the pair; --force does.
	te.run("keys", "generate").oneLineError(t, ExitError, "--force")
	// keys show with the default key, and with the public file.
	for _, args := range [][]string{{"keys", "show"}, {"keys", "show", filepath.Join(dir, keys.PublicFile)}} {
		r = te.run(args...).mustOK(t)
		if !strings.HasPrefix(r.stdout, "-----BEGIN PUBLIC KEY-----") || !strings.Contains(r.stdout, "fingerprint: "+fp) {
			t.Errorf("%v: %q", args, r.stdout)
		}
		if strings.Contains(r.stdout, "PRIVATE") {
			t.Errorf("keys show printed private material")
		}
	}
	r = te.run("keys", "generate", "--force", "--type", "ecdsa").mustOK(t)
	if strings.Contains(r.stdout, fp) || !strings.Contains(r.stdout, "ECDSA P-256") {
		t.Errorf("--force --type ecdsa: %q", r.stdout)
	}
	// A private key readable by others: shown with a warning on stderr.
	os.Chmod(priv, 0o644)
	r = te.run("keys", "show").mustOK(t)
	if !strings.Contains(r.stderr, "warning") {
		t.Errorf("no permission warning: %q", r.stderr)
	}
	// Errors: missing and garbage files.
	te.run("keys", "show", filepath.Join(dir, "nope.pem")).oneLineError(t, ExitError, "the KEY_FILE argument: no such file")
	junk := filepath.Join(t.TempDir(), "junk.pem")
	os.WriteFile(junk, []byte("not a key"), 0o600)
	te.run("keys", "show", junk).oneLineError(t, ExitError, "keys show")
	newTestEnv(t).run("keys", "show").oneLineError(t, ExitError, "keys generate")
}

func TestS3CommandsOnSandbox(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	s := testenv.Sandbox(t)
	dir := t.TempDir()
	small := filepath.Join(dir, "small file.txt")
	os.WriteFile(small, []byte("hello, sandbox\n"), 0o644)
	big := filepath.Join(dir, "big.bin")
	bigData := make([]byte, 16<<20+123) // 4 parts of 5 MiB
	rand.Read(bigData)
	os.WriteFile(big, bigData, 0o644)
	sub := filepath.Join(dir, "tree", "sub")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "c.txt"), []byte("c"), 0o644)

	prefix := "cli-test-" + time.Now().Format("150405.000000") + "/"
	r := te.run("upload", small, big, filepath.Join(dir, "tree"), "s3://sandbox/"+prefix, "--part-size", "5MiB", "--concurrency", "3", "--sandbox").mustOK(t)
	wantKeys := []string{prefix + "small file.txt", prefix + "big.bin", prefix + "tree/sub/c.txt"}
	for _, k := range wantKeys {
		if !strings.Contains(r.stdout, "s3://sandbox/"+k+"\n") {
			t.Errorf("upload stdout lacks %s: %q", k, r.stdout)
		}
	}
	if strings.Count(r.stderr, "uploaded /") != 3 || !strings.HasSuffix(strings.SplitAfter(r.stderr, "\n")[3], "\n") ||
		!strings.HasPrefix(strings.SplitAfter(r.stderr, "\n")[3], "uploaded 3 files (16 MiB) in ") {
		t.Errorf("want a summary line per file on stderr, then one total line: %q", r.stderr)
	}

	// Recursive listing, raw keys one a line when piped.
	r = te.run("ls", "s3://sandbox/"+prefix, "--recursive", "--sandbox").mustOK(t)
	got := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(got) != 3 {
		t.Fatalf("ls --recursive: %q", r.stdout)
	}
	// Non-recursive: folders too.
	r = te.run("ls", "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	if !strings.Contains(r.stdout, prefix+"tree/\n") || !strings.Contains(r.stdout, prefix+"big.bin\n") {
		t.Errorf("ls: %q", r.stdout)
	}
	// JSON.
	r = te.run("ls", "s3://sandbox/"+prefix+"big", "--json", "--sandbox").mustOK(t)
	var e lsEntry
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &e); err != nil || e.Size != int64(len(bigData)) || e.Key != prefix+"big.bin" {
		t.Errorf("ls --json: %q %v", r.stdout, err)
	}
	// Buckets.
	r = te.run("ls", "--sandbox").mustOK(t)
	if !strings.Contains(r.stdout, "sandbox\n") {
		t.Errorf("ls buckets: %q", r.stdout)
	}
	// Download byte-equal, into a directory.
	out := t.TempDir()
	r = te.run("download", "s3://sandbox/"+prefix+"big.bin", out+"/", "--sandbox").mustOK(t)
	data, err := os.ReadFile(filepath.Join(out, "big.bin"))
	if err != nil || !bytes.Equal(data, bigData) {
		t.Fatalf("download not byte-equal: %v (%d bytes)", err, len(data))
	}
	te.run("download", "s3://sandbox/"+prefix+"missing", filepath.Join(out, "m"), "--sandbox").oneLineError(t, ExitError, "missing")
	if _, err := os.Stat(filepath.Join(out, "m")); err == nil {
		t.Error("failed download left a file")
	}
	// Presign and fetch.
	r = te.run("presign", "s3://sandbox/"+prefix+"small file.txt", "--expires", "10m", "--sandbox").mustOK(t)
	body := httpGet(t, strings.TrimSpace(r.stdout), 200)
	if body != "hello, sandbox\n" {
		t.Errorf("presigned GET body %q", body)
	}
	te.run("presign", "s3://sandbox/k", "--expires", "8d", "--sandbox").oneLineError(t, ExitError, "7")
	// A CloudFront signed URL for the sandbox edge serves the object.
	r = te.run("sign", "s3://sandbox/"+prefix+"small file.txt", "--expires", "10m", "--sandbox").mustOK(t)
	if !strings.HasPrefix(r.stdout, s.EdgeURL+"/") {
		t.Errorf("sandbox sign: %q", r.stdout)
	}
	if body := httpGet(t, strings.TrimSpace(r.stdout), 200); body != "hello, sandbox\n" {
		t.Errorf("edge body %q", body)
	}
	// doctor: a good link and an expired one.
	r = te.run("doctor", "s3://sandbox/"+prefix+"small file.txt", "--sandbox").mustOK(t)
	if !strings.Contains(r.stdout, "link answers HTTP 200") {
		t.Errorf("doctor: %q", r.stdout)
	}
	te.env.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	expired := strings.TrimSpace(te.run("sign", "s3://sandbox/"+prefix+"small file.txt", "--expires", "10m", "--sandbox").mustOK(t).stdout)
	te.env.Now = nil
	r = te.run("doctor", expired, "--sandbox")
	if r.code != ExitError || !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "403") {
		t.Errorf("doctor expired: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// On the sandbox, doctor also says which check of the edge failed.
	if !strings.Contains(r.stdout, "sandbox edge: check expired failed: expired at") {
		t.Errorf("doctor expired on the sandbox does not give the edge's reason: %q", r.stdout)
	}
	// rm one key, then the rest by prefix.
	r = te.run("rm", "s3://sandbox/"+prefix+"big.bin", "--sandbox").mustOK(t)
	if !strings.Contains(r.stdout, "deleted s3://sandbox/"+prefix+"big.bin") {
		t.Errorf("rm: %q", r.stdout)
	}
	r = te.run("rm", "--recursive", "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	if !strings.Contains(r.stdout, "deleted 2 objects") {
		t.Errorf("rm --recursive: %q", r.stdout)
	}
	if r = te.run("ls", "s3://sandbox/"+prefix, "--recursive", "--sandbox").mustOK(t); r.stdout != "" {
		t.Errorf("objects left: %q", r.stdout)
	}
}

// Counts read as English: rm --recursive of one object says "1 object".
func TestRmRecursiveCountsOneObject(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	prefix := fmt.Sprintf("one-%d/", time.Now().UnixNano())
	f := filepath.Join(t.TempDir(), "only.txt")
	os.WriteFile(f, []byte("only\n"), 0o644)
	te.run("upload", f, "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	r := te.run("rm", "--recursive", "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	if want := "deleted 1 object under s3://sandbox/" + prefix + "\n"; r.stdout != want {
		t.Errorf("rm --recursive stdout %q, want %q", r.stdout, want)
	}
	if r = te.run("ls", "s3://sandbox/"+prefix, "--recursive", "--sandbox").mustOK(t); r.stdout != "" {
		t.Errorf("objects left: %q", r.stdout)
	}
}

func TestLsEscapesKeysOnTerminal(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	s := testenv.Sandbox(t)
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: s.Region, EndpointURL: s.S3Endpoint,
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "x")
	os.WriteFile(f, []byte("x"), 0o644)
	// gofakes3 rewrites control characters, so use invalid UTF-8 and a bidi override,
	// which it keeps (moto covers control characters in the aws tests).
	prefix := "esc-" + time.Now().Format("150405.000000") + "/"
	key := prefix + "a\u202eb"
	if _, err := c.Upload(context.Background(), aws.UploadRequest{Path: f, Bucket: s.Bucket, Key: key}, nil); err != nil {
		t.Fatal(err)
	}
	r := te.run("ls", "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	if r.stdout != key+"\n" {
		t.Errorf("piped ls not raw: %q", r.stdout)
	}
	te.env.StdoutTTY = true
	r = te.run("ls", "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	if strings.Contains(r.stdout, "\u202e") || !strings.Contains(r.stdout, `"`+prefix+`a\u202eb"`) {
		t.Errorf("terminal ls not escaped: %q", r.stdout)
	}
}

func TestUploadInterruptedAbortsMultipart(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	s := testenv.Sandbox(t)
	big := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 64<<20)
	os.WriteFile(big, data, 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel as soon as the first progress event arrives: the bar's writer
	// sees it (stderr is a "terminal" here).
	pr, pw := io.Pipe()
	te.env.StderrTTY = true
	go func() {
		buf := make([]byte, 1)
		pr.Read(buf)
		cancel()
		io.Copy(io.Discard, pr)
	}()
	var out bytes.Buffer
	env := te.env
	env.Stdout, env.Stderr = &out, pw
	vars := te.vars
	env.Getenv = func(k string) string { return vars[k] }
	key := "interrupt-" + time.Now().Format("150405.000000") + ".bin"
	code := Main(ctx, []string{"upload", big, "s3://sandbox/" + key, "--part-size", "5MiB", "--concurrency", "2", "--sandbox"}, env)
	pw.Close()
	if code != ExitInterrupted {
		t.Fatalf("exit %d after Ctrl-C", code)
	}
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: s.Region, EndpointURL: s.S3Endpoint,
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	ups, err := c.ListMultipartUploads(context.Background(), s.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if strings.Contains(u, key) {
			t.Errorf("multipart upload left behind: %v", ups)
		}
	}
	if _, err := c.Head(context.Background(), s.Bucket, key); err == nil {
		t.Error("interrupted upload left an object")
	}
}

func TestSandboxCommandJSON(t *testing.T) {
	te := newTestEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	env := te.env
	env.Stdout, env.Stderr = pw, io.Discard
	vars := te.vars
	env.Getenv = func(k string) string { return vars[k] }
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"sandbox", "--json", "--memory", "--data", t.TempDir()}, env)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info sandbox.Info
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line is not JSON: %q", line)
	}
	if info.Bucket != "sandbox" || !strings.HasPrefix(info.S3Endpoint, "http://127.0.0.1:") ||
		!strings.HasPrefix(info.EdgeURL, "http://127.0.0.1:") || !strings.HasPrefix(info.KeyPairID, "K") || info.PrivateKey == "" {
		t.Errorf("info %+v", info)
	}
	// It serves: an unsigned request gets CloudFront's 403.
	httpGet(t, info.EdgeURL+"/x", 403)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after stop", code)
	}
}

func httpGet(t *testing.T, u string, status int) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d: %s", u, resp.StatusCode, status, b)
	}
	return string(b)
}

// A folder of many small files uploads them several at a time, each once,
// each listed.
func TestUploadManySmallFiles(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	dir := filepath.Join(t.TempDir(), "many")
	os.MkdirAll(dir, 0o755)
	const n = 120
	for i := range n {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", i)), []byte(fmt.Sprint(i)), 0o644)
	}
	prefix := "cli-many-" + time.Now().Format("150405.000000") + "/"
	r := te.run("upload", dir, "s3://sandbox/"+prefix, "--sandbox").mustOK(t)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(lines) != n || len(seen) != n {
		t.Fatalf("%d lines, %d distinct; want %d", len(lines), len(seen), n)
	}
	r = te.run("ls", "s3://sandbox/"+prefix, "--recursive", "--sandbox").mustOK(t)
	if got := strings.Count(r.stdout, "\n"); got != n {
		t.Fatalf("listed %d objects, want %d", got, n)
	}
}
