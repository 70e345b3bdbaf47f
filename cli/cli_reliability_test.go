package cli

// Reliability tests of the command line: faults injected into a
// real S3 server's path, hostile object keys on a real S3 (moto), full and
// read-only file systems, and secrets that must never reach any output.
// Every endpoint is on 127.0.0.1.

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/internal/testenv"

	"github.com/cfsign/cfsign/aws"
)

// Credentials the reliability tests put in the process environment (the
// AWS SDK reads it) and in the Env: recognisable, so a leak is found.
const (
	relAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	relSecretKey   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	relSessionTok  = "FwoGZXIvYXdzEJrSESSIONTOKENsecretvalue0123456789"
)

// relCreds sets static AWS credentials for the SDK and the Env.
func relCreds(t *testing.T, te *testEnv) {
	t.Helper()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": relAccessKeyID, "AWS_SECRET_ACCESS_KEY": relSecretKey} {
		t.Setenv(k, v)
		te.set(k, v)
	}
	t.Setenv("AWS_REGION", "us-east-1")
}

// sandboxCreds sets the shared sandbox's credentials for the SDK and the Env.
func sandboxCreds(t *testing.T, te *testEnv, sb *sandbox.Sandbox) {
	t.Helper()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": sb.AccessKeyID, "AWS_SECRET_ACCESS_KEY": sb.SecretAccessKey} {
		t.Setenv(k, v)
		te.set(k, v)
	}
	t.Setenv("AWS_REGION", sb.Region)
}

// relSandboxClient is an aws.Client straight to the shared sandbox's S3.
func relSandboxClient(t *testing.T) (*aws.Client, *sandbox.Sandbox) {
	t.Helper()
	s := testenv.Sandbox(t)
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: s.Region, EndpointURL: s.S3Endpoint,
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// relStamp makes keys unique within the shared sandbox.
func relStamp(name string) string { return testenv.Unique(name) }

// The S3 server (moto, behind a proxy the test kills) dies while `cfsign
// upload` has parts in flight: one line on stderr and exit 1 within seconds,
// no panic; the line names the multipart upload left on the server and the
// command that removes it, and that command works once the server is back.
func TestReliabilityUploadServerDies(t *testing.T) {
	moto := testenv.Moto(t)
	direct, bucket := relMotoBucket(t, moto)
	arrived := make(chan struct{})
	var once sync.Once
	proxy := testenv.NewFaultProxy(t, moto, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2" {
			once.Do(func() { close(arrived) })
			<-r.Context().Done() // hold the part until the server "dies"
			return true
		}
		return false
	})
	te := newTestEnv(t)
	relCreds(t, te)
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	key := relStamp("dies") + ".bin"
	done := make(chan result, 1)
	go func() {
		done <- te.run("upload", big, "s3://"+bucket+"/"+key, "--endpoint-url", proxy.URL, "--part-size", "5MiB", "--concurrency", "2")
	}()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("part 2 never reached the server")
	}
	proxy.Kill()
	start := time.Now()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("cfsign upload still running 30s after the server died")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the error came %s after the server died", d)
	}
	t.Logf("stderr: %s", r.stderr)
	r.oneLineError(t, ExitError, "could not be aborted")
	m := regexp.MustCompile(`aws s3api abort-multipart-upload --endpoint-url (\S+) --bucket ` + bucket + ` --key "([^"]+)" --upload-id ([^\s;]+)`).FindStringSubmatch(r.stderr)
	if m == nil || m[1] != proxy.URL || m[2] != key {
		t.Fatalf("the error does not name the abort command for %s: %q", key, r.stderr)
	}
	if _, err := direct.Head(context.Background(), bucket, key); err == nil {
		t.Error("a half-uploaded object became visible")
	}
	// The server is back: the named command removes the multipart upload.
	// (A later cfsign run cannot: pending aborts live in the process.)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("no aws CLI to run the named command")
	}
	ups, _ := direct.ListMultipartUploads(context.Background(), bucket)
	if !relContains(ups, key) {
		t.Fatalf("the multipart upload is not on the server: %q", ups)
	}
	proxy.Restart() // the server is back, at the endpoint cfsign used
	cmd := exec.Command("aws", "s3api", "abort-multipart-upload", "--endpoint-url", m[1],
		"--bucket", bucket, "--key", m[2], "--upload-id", m[3])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the named command failed: %v\n%s", err, out)
	}
	if ups, _ = direct.ListMultipartUploads(context.Background(), bucket); relContains(ups, key) {
		t.Fatalf("upload still there after the named command: %q", ups)
	}
}

func relContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A server that accepts connections and never answers: with --timeout (or
// CFSIGN_TIMEOUT) the CLI gives up after 4 attempts of that long, with one
// line saying the server did not answer. (The default is 10s an attempt.)
func TestReliabilityServerNeverAnswers(t *testing.T) {
	te := newTestEnv(t)
	relCreds(t, te)
	silent := testenv.Silent(t)
	f := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(f, []byte("hello"), 0o644)
	cases := []struct {
		name string
		env  string
		args []string
	}{
		{"ls --timeout", "", []string{"ls", "s3://bucket/", "--endpoint-url", silent, "--timeout", "250ms"}},
		{"ls CFSIGN_TIMEOUT", "250ms", []string{"ls", "s3://bucket/", "--endpoint-url", silent}},
		{"upload", "", []string{"upload", f, "s3://bucket/f.txt", "--endpoint-url", silent, "--timeout", "250ms"}},
		{"download", "", []string{"download", "s3://bucket/f.txt", t.TempDir() + "/", "--endpoint-url", silent, "--timeout", "250ms"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			te.set("CFSIGN_TIMEOUT", tc.env)
			start := time.Now()
			r := te.run(tc.args...)
			r.oneLineError(t, ExitError, "did not answer")
			if !strings.Contains(r.stderr, "timed out") {
				t.Errorf("stderr %q does not say timed out", r.stderr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s with a 250ms timeout", d)
			}
		})
	}
	te.set("CFSIGN_TIMEOUT", "")
	te.run("ls", "s3://b/", "--endpoint-url", silent, "--timeout", "soon").oneLineError(t, ExitUsage, `--timeout "soon"`)
	te.set("CFSIGN_TIMEOUT", "-1s")
	te.run("ls", "s3://b/", "--endpoint-url", silent).oneLineError(t, ExitUsage, "CFSIGN_TIMEOUT")
}

// Nothing listens on the endpoint: one line at once, naming the fix.
func TestReliabilityConnectionRefused(t *testing.T) {
	te := newTestEnv(t)
	relCreds(t, te)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	start := time.Now()
	te.run("ls", "s3://bucket/", "--endpoint-url", dead).oneLineError(t, ExitError, "connection refused: is the server running?")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s", d)
	}
}

// Credential trouble, each at the command line and each a line that says
// what to do: a missing profile, no credentials at all, an SSO session that
// needs `aws sso login`, keys S3 rejects, an expired session token, and
// AWS_CA_BUNDLE (honoured when good, named when broken).
func TestReliabilityCredentialErrors(t *testing.T) {
	s := testenv.Sandbox(t)
	cfgDir := t.TempDir()
	cfg := filepath.Join(cfgDir, "config")
	os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n"+
		"[profile work]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"+
		"sso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n"), 0o600)

	clear := func(t *testing.T, te *testEnv) {
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
			t.Setenv(k, "")
		}
		t.Setenv("HOME", te.vars["HOME"]) // the SDK's SSO token cache lives under $HOME
		t.Setenv("AWS_CONFIG_FILE", cfg)
		te.set("AWS_CONFIG_FILE", cfg)
	}
	t.Run("missing profile", func(t *testing.T) {
		te := newTestEnv(t)
		clear(t, te)
		te.run("ls", "s3://sandbox/", "--profile", "nope", "--endpoint-url", s.S3Endpoint).
			oneLineError(t, ExitError, `AWS profile "nope" not found in ~/.aws/config (or AWS_CONFIG_FILE): check the name or run aws configure --profile nope`)
	})
	t.Run("no credentials", func(t *testing.T) {
		te := newTestEnv(t)
		clear(t, te)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
		te.run("ls", "s3://sandbox/", "--endpoint-url", s.S3Endpoint).
			oneLineError(t, ExitError, "no AWS credentials found: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws configure")
	})
	t.Run("sso login needed", func(t *testing.T) {
		te := newTestEnv(t)
		clear(t, te)
		te.run("ls", "s3://sandbox/", "--profile", "work", "--endpoint-url", s.S3Endpoint).
			oneLineError(t, ExitError, "the SSO session for profile work has expired: run aws sso login --profile work")
	})
	for code, want := range map[string]string{
		"InvalidAccessKeyId":    "AWS credentials rejected (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or run aws configure",
		"SignatureDoesNotMatch": "AWS credentials rejected (SignatureDoesNotMatch)",
		"ExpiredToken":          "the AWS session token has expired (ExpiredToken): refresh your credentials (aws sso login",
		"AccessDenied":          "access denied by S3 at 127.0.0.1:",
	} {
		t.Run(code, func(t *testing.T) {
			te := newTestEnv(t)
			relCreds(t, te)
			te.run("ls", "s3://sandbox/", "--endpoint-url", testenv.Refusing(t, http.StatusForbidden, code)).oneLineError(t, ExitError, want)
		})
	}
	t.Run("the sandbox refuses other credentials", func(t *testing.T) {
		te := newTestEnv(t)
		relCreds(t, te)
		te.run("ls", "s3://sandbox/", "--endpoint-url", s.S3Endpoint).oneLineError(t, ExitError, "AWS credentials rejected (InvalidAccessKeyId)")
	})
	t.Run("CA bundle honoured", func(t *testing.T) {
		te := newTestEnv(t)
		sandboxCreds(t, te, s)
		if os.Getenv("AWS_CA_BUNDLE") == "" {
			t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
		}
		te.run("ls", "--endpoint-url", s.S3Endpoint).mustOK(t)
	})
	t.Run("CA bundle broken", func(t *testing.T) {
		te := newTestEnv(t)
		relCreds(t, te)
		bad := filepath.Join(t.TempDir(), "ca.pem")
		os.WriteFile(bad, []byte("not a certificate"), 0o600)
		t.Setenv("AWS_CA_BUNDLE", bad)
		te.run("ls", "--endpoint-url", s.S3Endpoint).oneLineError(t, ExitError, "AWS_CA_BUNDLE="+bad+" could not be loaded as PEM certificates: fix the file or unset AWS_CA_BUNDLE")
	})
}

// relMotoBucket creates a fresh bucket on moto and a client for it.
func relMotoBucket(t *testing.T, moto string) (*aws.Client, string) {
	t.Helper()
	bucket := testenv.Bucket(t, moto, "rel")
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: "us-east-1", EndpointURL: moto,
		AccessKeyID: relAccessKeyID, SecretAccessKey: relSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return c, bucket
}

// relCheckTerminalSafe fails when out could drive a terminal: a C0 or C1
// control character other than newline, DEL, invalid UTF-8, or a bidi
// override.
func relCheckTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8 reached the terminal: %q", what, out)
	}
	for _, c := range out {
		if (c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == '\u202e' || c == '\u202d' {
			t.Errorf("%s: %U reached the terminal: %q", what, c, out)
			return
		}
	}
}

// Hostile object keys on a real S3 (moto keeps control characters, as S3
// does): on a terminal `ls` shows each quoted and escaped, one row per key,
// nothing that sets the title, clears the screen or forges a row; piped it
// prints them raw for scripts, and --json round-trips them. `rm` and
// `download` escape them too, and an error about one is one line.
func TestReliabilityHostileKeysOnTerminal(t *testing.T) {
	moto := testenv.Moto(t)
	te := newTestEnv(t)
	relCreds(t, te)
	c, bucket := relMotoBucket(t, moto)
	long := "long/" + strings.Repeat("k", 1024-len("long/"))
	hostile := []string{
		"title\x1b]0;pwned\x07.txt",
		"clear\x1b[2J\x1b[H.txt",
		"cr\rforged  row.txt",
		"tab\tand\x08backspace",
		"c1\u009b31m",
		"bidi\u202eexe.txt",
		long,
	}
	f := filepath.Join(t.TempDir(), "x")
	os.WriteFile(f, []byte("x"), 0o644)
	for _, k := range hostile {
		if _, err := c.Upload(context.Background(), aws.UploadRequest{Path: f, Bucket: bucket, Key: k}, nil); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	args := []string{"ls", "s3://" + bucket + "/", "--recursive", "--endpoint-url", moto}

	// Piped: raw keys, one a line, for scripts.
	r := te.run(args...).mustOK(t)
	if got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); len(got) != len(hostile) || !relSameSet(got, hostile) {
		t.Errorf("piped ls is not the raw keys:\n%q", got)
	}
	// JSON: each key round-trips (base64 beside it when not UTF-8).
	r = te.run(append(args, "--json")...).mustOK(t)
	if n := strings.Count(r.stdout, "\n"); n != len(hostile) {
		t.Errorf("--json: %d lines for %d keys", n, len(hostile))
	}

	// A terminal: escaped, one row per key.
	te.env.StdoutTTY = true
	r = te.run(args...).mustOK(t)
	relCheckTerminalSafe(t, "ls", r.stdout)
	rows := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(rows) != len(hostile) {
		t.Errorf("%d rows for %d keys:\n%s", len(rows), len(hostile), r.stdout)
	}
	for _, k := range hostile {
		want := escapeKey(k) // as the app shows it, quoted
		if k == long {
			want = k
		}
		if !strings.Contains(r.stdout, want) {
			t.Errorf("terminal ls lacks %s", want)
		}
	}
	if !strings.Contains(r.stdout, long) {
		t.Error("the 1,024-byte key was cut")
	}
	// Not recursive, the buckets list, rm and download: escaped as well.
	r = te.run("ls", "s3://"+bucket+"/", "--endpoint-url", moto).mustOK(t)
	relCheckTerminalSafe(t, "ls folder", r.stdout)
	dl := t.TempDir()
	r = te.run("download", "s3://"+bucket+"/"+hostile[0], dl+"/", "--endpoint-url", moto).mustOK(t)
	relCheckTerminalSafe(t, "download", r.stdout)
	if _, err := os.Stat(filepath.Join(dl, hostile[0])); err != nil {
		t.Errorf("download did not write the file under its own name: %v", err)
	}
	r = te.run("rm", "s3://"+bucket+"/"+hostile[1], "--endpoint-url", moto).mustOK(t)
	relCheckTerminalSafe(t, "rm", r.stdout)
	if !strings.Contains(r.stdout, strconv.Quote("s3://"+bucket+"/"+hostile[1])) {
		t.Errorf("rm output not escaped: %q", r.stdout)
	}
	// Errors about hostile keys (a newline too, which S3 itself refuses to
	// store): one escaped line on stderr saying the object is missing, even
	// though moto's 404 for such a key is XML the SDK cannot parse.
	for _, k := range []string{"gone\x1b]0;pwned\x07", "two\nlines\r\x1b[2J"} {
		r = te.run("download", "s3://"+bucket+"/"+k, filepath.Join(t.TempDir(), "out"), "--endpoint-url", moto)
		r.oneLineError(t, ExitError, "no object")
		relCheckTerminalSafe(t, "download error", r.stderr)
	}
}

// Invalid UTF-8 in a key: S3 keys are UTF-8, and both moto and the
// sandbox store U+FFFD instead, so only a key the user types can hold it.
// Its error line shows \xff escapes; the U+FFFD a server lists is printable.
func TestReliabilityInvalidUTF8Key(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	te.env.StdoutTTY = true
	r := te.run("download", "s3://sandbox/"+relStamp("nope")+"/bad\xff\xfe", filepath.Join(t.TempDir(), "out"), "--sandbox")
	r.oneLineError(t, ExitError, `bad\xff\xfe`)
	relCheckTerminalSafe(t, "download error", r.stderr)
}

func relSameSet(a, b []string) bool {
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// relTmpfs mounts a small tmpfs (a real file system that fills up, and can
// be made read-only; root bypasses permission bits, not these). It skips
// where mounting is not allowed (not root, no CAP_SYS_ADMIN).
func relTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the injected faults in keys and config tests cover these paths", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// relFill writes to dir until the file system is full.
func relFill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling: %v", err)
			}
			return
		}
	}
}

func relRemountRO(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("remount read-only: %v", err)
	}
}

// relListing is every path under dir (relative), for "nothing left behind".
func relListing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// Downloads and key generation on a full disk, a read-only file system and
// a path through a regular file: one line naming the cause, exit 1, and no
// partial or temporary file left behind.
func TestReliabilityDiskFullAndReadOnly(t *testing.T) {
	direct, _ := relSandboxClient(t)
	te := newTestEnv(t).withSandbox()
	obj := filepath.Join(t.TempDir(), "obj.bin")
	os.WriteFile(obj, make([]byte, 3<<20), 0o644)
	key := relStamp("disk") + ".bin"
	if _, err := direct.Upload(context.Background(), aws.UploadRequest{Path: obj, Bucket: "sandbox", Key: key}, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("parent is a file", func(t *testing.T) {
		root := t.TempDir()
		file := filepath.Join(root, "file")
		os.WriteFile(file, []byte("x"), 0o600)
		te.run("download", "s3://sandbox/"+key, filepath.Join(file, "out.bin"), "--sandbox").oneLineError(t, ExitError, "not a directory")
		te.run("keys", "generate", "--dir", filepath.Join(file, "keys")).oneLineError(t, ExitError, "not a directory")
		if got := relListing(t, root); len(got) != 1 {
			t.Errorf("left behind: %q", got)
		}
	})
	t.Run("disk full", func(t *testing.T) {
		dir := relTmpfs(t, "1m") // room for part of the 3 MiB object
		te.run("download", "s3://sandbox/"+key, filepath.Join(dir, "out.bin"), "--sandbox").oneLineError(t, ExitError, "no space left on device")
		if got := relListing(t, dir); len(got) != 0 {
			t.Errorf("download left %q", got)
		}
		relFill(t, dir)
		before := relListing(t, dir)
		te.run("keys", "generate", "--dir", filepath.Join(dir, "keys")).oneLineError(t, ExitError, "no space left on device")
		if got := relListing(t, dir); strings.Join(got, ",") != strings.Join(before, ",") {
			t.Errorf("keys generate left %q", got)
		}
	})
	t.Run("read-only file system", func(t *testing.T) {
		dir := relTmpfs(t, "4m")
		os.Mkdir(filepath.Join(dir, "keys"), 0o700)
		relRemountRO(t, dir)
		te.run("download", "s3://sandbox/"+key, dir+"/", "--sandbox").oneLineError(t, ExitError, "read-only file system")
		te.run("keys", "generate", "--dir", filepath.Join(dir, "keys")).oneLineError(t, ExitError, "read-only file system")
		if got := relListing(t, dir); strings.Join(got, ",") != "keys" {
			t.Errorf("left behind: %q", got)
		}
	})
}

// Secrets never reach any output: several failing commands (and one that
// works) run with AWS keys in the environment, a private key on disk, the
// key's PEM pasted where its path belongs, and the debug log on; stdout,
// stderr and the debug log hold no secret key, session token or private key
// material, and the debug log no signature or full access key ID.
func TestReliabilitySecretsNeverLeak(t *testing.T) {
	te := newTestEnv(t)
	relCreds(t, te)
	t.Setenv("AWS_SESSION_TOKEN", relSessionTok)
	te.set("AWS_SESSION_TOKEN", relSessionTok)
	keyDir := t.TempDir()
	newTestEnv(t).run("keys", "generate", "--dir", keyDir).mustOK(t)
	privPath := filepath.Join(keyDir, "private_key.pem")
	pemBytes, err := os.ReadFile(privPath)
	if err != nil {
		t.Fatal(err)
	}
	pem := string(pemBytes)
	var pemLines []string // the base64 body: any line of it is a leak
	for _, l := range strings.Split(pem, "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			pemLines = append(pemLines, l)
		}
	}
	truncated := filepath.Join(t.TempDir(), "truncated.pem")
	os.WriteFile(truncated, pemBytes[:len(pemBytes)/2], 0o600)
	logPath := filepath.Join(t.TempDir(), "debug.log")
	te.set("CFSIGN_DEBUG", logPath)
	silent := testenv.Silent(t)
	denied := testenv.Refusing(t, http.StatusForbidden, "SignatureDoesNotMatch")
	sign := []string{"sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", "KTESTKEYPAIRID"}

	runs := []struct {
		args  []string
		env   map[string]string
		ok    bool
		panic bool
	}{
		{args: []string{"ls", "s3://b/", "--endpoint-url", denied, "--debug"}},
		{args: []string{"ls", "s3://b/", "--endpoint-url", silent, "--timeout", "200ms"}},
		{args: []string{"presign", "s3://b/k", "--expires", "1h", "--endpoint-url", denied, "--debug"}, ok: true},
		{args: append(sign, "--private-key", pem), ok: true}, // key text is accepted, never echoed
		{args: sign, env: map[string]string{"CFSIGN_PRIVATE_KEY": pem}, ok: true},
		{args: append(sign, "--private-key", pem[:len(pem)/2])},
		{args: append(sign, "--private-key", truncated)},
		{args: append(sign, "--private-key", filepath.Join(keyDir, "public_key.pem"))},
		{args: append(sign, "--private-key", privPath, "--ip", "not-an-ip")},
		{args: append(sign, "--private-key", privPath, "--debug"), ok: true},
		{args: []string{"keys", "show", privPath, "--debug"}, ok: true},
		{args: []string{"verify", "https://d1.cloudfront.net/a.txt?Expires=1&Signature=abc&Key-Pair-Id=K", "--private-key", pem}},
		{args: []string{"--debug"}, panic: true},
	}
	var signature string
	for _, run := range runs {
		for k, v := range run.env {
			te.set(k, v)
		}
		te.env.RunApp = nil
		if run.panic {
			te.env.RunApp = func(context.Context, AppStart) error {
				panic("boom: aws_secret_access_key=" + relSecretKey + " " + pem)
			}
			te.set("AWS_PROFILE", "p")
		}
		r := te.run(run.args...)
		for k := range run.env {
			te.set(k, "")
		}
		if (r.code == 0) != run.ok {
			t.Errorf("%q: exit %d (stderr %q)", run.args, r.code, r.stderr)
		}
		if run.ok && run.args[0] == "sign" {
			i := strings.Index(r.stdout, "Signature=")
			signature = r.stdout[i+len("Signature=") : strings.Index(r.stdout, "&Key-Pair-Id")]
		}
		all := r.stdout + r.stderr
		if run.args[0] == "presign" {
			// A presigned URL made with temporary credentials must carry
			// the session token (X-Amz-Security-Token): that is how S3
			// accepts it, and a warning says the URL is temporary.
			all = strings.Replace(all, "X-Amz-Security-Token="+relSessionTok, "", 1)
		}
		for _, secret := range append([]string{relSecretKey, relSessionTok, "PRIVATE KEY-----"}, pemLines...) {
			if strings.Contains(all, secret) {
				t.Errorf("%.60q: output holds %.30q…:\nstdout %q\nstderr %q", run.args, secret, r.stdout, r.stderr)
			}
		}
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	debugLog := string(logData)
	if !strings.Contains(debugLog, "command sign") || !strings.Contains(debugLog, "panic: boom") {
		t.Errorf("the debug log did not record the runs:\n%s", debugLog)
	}
	if signature == "" {
		t.Fatal("no signature seen")
	}
	for _, secret := range append([]string{relSecretKey, relSessionTok, relAccessKeyID, "PRIVATE KEY-----", signature}, pemLines...) {
		if strings.Contains(debugLog, secret) {
			t.Errorf("the debug log holds %.30q…", secret)
		}
	}
	if st, err := os.Stat(logPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("debug log mode: %v %v", st.Mode(), err)
	}
}

// Signed URLs are bearer tokens: signing and presigning write nothing at
// all under $HOME or the XDG directories (no history, no cache), except the
// expiry ledger 'keys retire' reads: key pair IDs and times, never a URL.
func TestReliabilityNoURLHistory(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	relCreds(t, te)
	keyDir := t.TempDir()
	newTestEnv(t).run("keys", "generate", "--dir", keyDir).mustOK(t)
	home := te.vars["HOME"]
	before := relListing(t, home)
	r := te.run("sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", "KTEST",
		"--private-key", filepath.Join(keyDir, "private_key.pem")).mustOK(t)
	url1 := strings.TrimSpace(r.stdout)
	r = te.run("sign", "s3://sandbox/a.txt", "--expires", "1h", "--sandbox").mustOK(t)
	url2 := strings.TrimSpace(r.stdout)
	r = te.run("presign", "s3://sandbox/a.txt", "--expires", "1h", "--sandbox").mustOK(t)
	url3 := strings.TrimSpace(r.stdout)
	ledger := []string{"state", "state/cfsign", "state/cfsign/signed-expiries.json"}
	if got := relListing(t, home); strings.Join(got, ",") != strings.Join(append(before, ledger...), ",") {
		t.Errorf("signing wrote under HOME: %q, was %q (plus the ledger %q)", got, before, ledger)
	}
	led, _ := os.ReadFile(filepath.Join(home, "state/cfsign/signed-expiries.json"))
	if strings.Contains(string(led), "Signature") || strings.Contains(string(led), "http") || !strings.Contains(string(led), `"KTEST"`) {
		t.Errorf("expiry ledger holds more than key pair IDs and times: %s", led)
	}
	for _, u := range []string{url1, url2, url3} {
		if u == "" || !strings.Contains(u, "Signature=") {
			t.Errorf("not a signed URL: %q", u)
		}
	}
}

// A private key readable by group or others still signs, with a warning
// that names the fix; a 0600 key gives none.
func TestReliabilityKeyPermissionWarning(t *testing.T) {
	te := newTestEnv(t)
	keyDir := t.TempDir()
	newTestEnv(t).run("keys", "generate", "--dir", keyDir).mustOK(t)
	priv := filepath.Join(keyDir, "private_key.pem")
	args := []string{"sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", "KTEST", "--private-key", priv}
	if r := te.run(args...).mustOK(t); r.stderr != "" {
		t.Errorf("0600 key: stderr %q", r.stderr)
	}
	os.Chmod(priv, 0o640)
	r := te.run(args...).mustOK(t)
	if !strings.HasPrefix(r.stderr, "cfsign: warning: ") || !strings.Contains(r.stderr, "chmod 600") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("0640 key: stderr %q", r.stderr)
	}
}
