package cli

// cfsign reports only what happened, and never a secret.

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/testenv"
)

// leaks returns the first 16-byte window of secret found in out, if any.
func leaks(out, secret string) string {
	for i := 0; i+16 <= len(secret); i += 8 {
		if w := secret[i : i+16]; strings.Contains(out, w) {
			return w
		}
	}
	return ""
}

// A private key given as base64-encoded PEM or as a PEM body without its
// BEGIN/END lines, through the flag, the environment or the config file,
// is used as key text; a broken one fails with one line that names where
// it came from and never repeats it, not even with --debug after the
// command.
func TestSecretKeyTextNeverEchoed(t *testing.T) {
	rsaKey, ecKey := testKeys(t)
	pemRSA, _ := os.ReadFile(rsaKey)
	pemEC, _ := os.ReadFile(ecKey)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	body := func(p []byte) string { // the PEM body without BEGIN/END lines
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
			if !strings.HasPrefix(l, "-----") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	values := []struct {
		name, value string
		ok          bool
	}{
		{"base64 PEM rsa", b64(pemRSA), true},
		{"base64 PEM ecdsa", b64(pemEC), true},
		{"PEM body rsa", body(pemRSA), true},
		{"PEM body one line", strings.ReplaceAll(body(pemEC), "\n", ""), true},
		{"base64 of half a PEM", b64(pemRSA[:len(pemRSA)/2]), false},
		{"PEM body cut short", body(pemRSA)[:300], false},
		{"base64 of the public key", b64([]byte(strings.Replace(string(pemRSA), "PRIVATE", "PUBLIC", -1))), false},
	}
	sign := []string{"sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", keyPairID}
	for _, v := range values {
		for _, src := range []string{"--private-key", "CFSIGN_PRIVATE_KEY", "config.toml"} {
			t.Run(v.name+"/"+src, func(t *testing.T) {
				te := newTestEnv(t)
				args := append([]string{}, sign...)
				switch src {
				case "--private-key":
					args = append(args, "--private-key", v.value)
				case "CFSIGN_PRIVATE_KEY":
					te.set("CFSIGN_PRIVATE_KEY", v.value)
				default:
					cfg := filepath.Join(t.TempDir(), "config.toml")
					os.WriteFile(cfg, []byte("private_key = '''"+v.value+"'''\n"), 0o600)
					te.set("CFSIGN_CONFIG", cfg)
				}
				args = append(args, "--debug")
				r := te.run(args...)
				if w := leaks(r.stdout+r.stderr, v.value); w != "" {
					t.Errorf("output repeats the key text (%q):\nstdout %q\nstderr %q", w, r.stdout, r.stderr)
				}
				if v.ok {
					r.mustOK(t)
					if !strings.Contains(r.stdout, "Signature=") {
						t.Errorf("no signed URL: %q", r.stdout)
					}
					return
				}
				if r.code != ExitError || r.stdout != "" {
					t.Errorf("exit %d stdout %q, want 1 and nothing", r.code, r.stdout)
				}
				var errLines []string
				for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
					if !strings.HasPrefix(l, "cfsign debug:") {
						errLines = append(errLines, l)
					}
				}
				if len(errLines) != 1 || !strings.Contains(errLines[0], src) {
					t.Errorf("want one line naming %s, got %q", src, errLines)
				}
			})
		}
	}
}

// --debug after the command opens the debug log, as before it (the README
// says global flags go before or after), and the log shows an endpoint
// with its user:password redacted.
func TestDebugFlagAfterCommandAndURLUserinfo(t *testing.T) {
	rsaKey, _ := testKeys(t)
	te := newTestEnv(t)
	r := te.run("sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", keyPairID,
		"--private-key", rsaKey, "--debug").mustOK(t)
	if !strings.Contains(r.stderr, "cfsign debug: ") || !strings.Contains(r.stderr, "command sign") {
		t.Errorf("--debug after the command wrote no log: %q", r.stderr)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	for _, args := range [][]string{
		{"--debug", "ls", "s3://b/", "--endpoint-url", "http://user:SECRETPASS@127.0.0.1:1", "--timeout", "2s"},
		{"ls", "s3://b/", "--endpoint-url", "http://user:SECRETPASS@127.0.0.1:1", "--timeout", "2s", "--debug"},
	} {
		r = te.run(args...)
		if r.code != ExitError {
			t.Errorf("%q: exit %d", args, r.code)
		}
		if !strings.Contains(r.stderr, "endpoint http://127.0.0.1:1") {
			t.Errorf("%q: the debug log does not show the endpoint: %q", args, r.stderr)
		}
		if strings.Contains(r.stderr, "SECRETPASS") || strings.Contains(r.stderr, "user") {
			t.Errorf("%q: the password reached stderr: %q", args, r.stderr)
		}
	}
}

// rm prints only what S3 confirmed deleted, with exact counts, and exits
// non-zero when anything remains. On moto (which keeps control characters
// in keys, as S3 does): hostile keys, which DeleteObjects' XML cannot carry,
// are really gone after rm says so; through a fault proxy, DeleteObjects'
// per-key errors and a reply that names no key are not taken as deletes.
func TestRmReportsOnlyWhatWasDeleted(t *testing.T) {
	moto := testenv.Moto(t)
	te := newTestEnv(t)
	relCreds(t, te)
	c, bucket := relMotoBucket(t, moto)
	ctx := context.Background()
	f := filepath.Join(t.TempDir(), "x")
	os.WriteFile(f, []byte("x"), 0o644)
	put := func(keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, err := c.Upload(ctx, aws.UploadRequest{Path: f, Bucket: bucket, Key: k}, nil); err != nil {
				t.Fatalf("put %q: %v", k, err)
			}
		}
	}
	exists := func(k string) bool {
		t.Helper()
		_, err := c.Head(ctx, bucket, k)
		return err == nil
	}
	s3u := func(k string) string { return "s3://" + bucket + "/" + k }

	// One hostile key.
	ctl := "h/ctl\x1b]0;pwned\x07.txt"
	put(ctl)
	r := te.run("rm", s3u(ctl), "--endpoint-url", moto).mustOK(t)
	if r.stdout != "deleted "+s3u(ctl)+"\n" {
		t.Errorf("rm stdout %q", r.stdout)
	}
	if exists(ctl) {
		t.Errorf("rm said deleted, but %q remains", ctl)
	}

	// A prefix of hostile and plain keys.
	rec := []string{"r/a\x1b[2J.txt", "r/b\x07.txt", "r/tab\there.txt", "r/plain.txt"}
	put(rec...)
	r = te.run("rm", "--recursive", s3u("r/"), "--endpoint-url", moto).mustOK(t)
	if want := fmt.Sprintf("deleted %d objects under %s\n", len(rec), s3u("r/")); r.stdout != want {
		t.Errorf("rm --recursive stdout %q, want %q", r.stdout, want)
	}
	for _, k := range rec {
		if exists(k) {
			t.Errorf("rm --recursive said deleted, but %q remains", k)
		}
	}

	// DeleteObjects answers with a per-key error for one key and nothing
	// for the other; DeleteObject of a hostile key is refused.
	refused := "f/ctl\x1b[1m.txt"
	put("f/one.txt", "f/two.txt", refused, "f/ok.txt")
	proxy := testenv.NewFaultProxy(t, moto, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Has("delete") {
			body, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(body), "f/one.txt") {
				return false
			}
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>f/one.txt</Key><Code>AccessDenied</Code><Message>denied</Message></Error></DeleteResult>`)
			return true
		}
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "ctl") {
			testenv.S3Error(w, r, http.StatusForbidden, "AccessDenied", "denied")
			return true
		}
		return false
	})
	r = te.run("rm", s3u("f/one.txt"), s3u("f/two.txt"), s3u(refused), "--endpoint-url", proxy.URL)
	if r.code != ExitError || r.stdout != "" {
		t.Errorf("partial rm: exit %d stdout %q, want 1 and no deleted lines", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "0 deleted, 3 not deleted") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("partial rm stderr %q", r.stderr)
	}
	for _, k := range []string{"f/one.txt", "f/two.txt", refused} {
		if !exists(k) {
			t.Errorf("%q is gone, though S3 refused it", k)
		}
	}
	r = te.run("rm", "--recursive", s3u("f/"), "--endpoint-url", proxy.URL)
	if r.code != ExitError {
		t.Errorf("partial rm --recursive: exit %d", r.code)
	}
	// The proxy answers the whole page's DeleteObjects: nothing is deleted.
	if r.stdout != "deleted 0 objects under "+s3u("f/")+"\n" || !strings.Contains(r.stderr, "0 deleted, 4 not deleted") {
		t.Errorf("partial rm --recursive: stdout %q stderr %q", r.stdout, r.stderr)
	}
	if !exists("f/ok.txt") {
		t.Error("f/ok.txt is gone, though S3 did not report it deleted")
	}
}

// Every command ends on SIGINT (exit 130) or SIGTERM (exit 143), whatever
// it is blocked on: stdin that never ends, a FIFO given as the private key,
// a FIFO as the config file. The test binary runs as cfsign in a real
// process; the signal goes once the debug log shows the command started.
func TestSignalsEndBlockedCommands(t *testing.T) {
	rsaKey, _ := testKeys(t)
	dir := t.TempDir()
	fifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		return p
	}
	keyFIFO, configFIFO := fifo("key.fifo"), fifo("config.fifo")
	sign := []string{"sign", "--expires", "1h", "--key-pair-id", keyPairID, "--domain", "d1.cloudfront.net"}
	cases := []struct {
		name string
		args []string
		env  []string
	}{
		{"stdin", append(append([]string{}, sign...), "--private-key", rsaKey, "-", "--debug"), nil},
		{"key FIFO", append(append([]string{}, sign...), "--private-key", keyFIFO, "a.txt", "--debug"), nil},
		{"config FIFO", append(append([]string{}, sign...), "a.txt", "--debug"), []string{"CFSIGN_CONFIG=" + configFIFO}},
	}
	for _, tc := range cases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(tc.name+"/"+sig.String(), func(t *testing.T) {
				cmd := exec.Command(os.Args[0], tc.args...)
				home := t.TempDir()
				cmd.Env = append(os.Environ(), asCfsign+"=1", "HOME="+home, "XDG_CONFIG_HOME="+home+"/config")
				cmd.Env = append(cmd.Env, tc.env...)
				stdin, err := cmd.StdinPipe() // held open: a read that never ends
				if err != nil {
					t.Fatal(err)
				}
				defer stdin.Close()
				stderr, err := cmd.StderrPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				var errText strings.Builder
				go func() {
					sc := bufio.NewScanner(stderr)
					started := false
					for sc.Scan() {
						errText.WriteString(sc.Text() + "\n")
						if !started && strings.Contains(sc.Text(), "command sign") {
							started = true
							cmd.Process.Signal(sig)
						}
					}
					exited <- cmd.Wait()
				}()
				var werr error
				select {
				case werr = <-exited:
				case <-time.After(30 * time.Second): // a bound, not a wait: the bug is "never"
					cmd.Process.Kill()
					<-exited
					t.Fatalf("still running 30s after %v", sig)
				}
				want := 128 + int(sig)
				if code := cmd.ProcessState.ExitCode(); code != want {
					t.Errorf("exit %d (%v), want %d; stderr:\n%s", code, werr, want, errText.String())
				}
				if !strings.Contains(errText.String(), "cfsign: interrupted") || strings.Contains(errText.String(), "goroutine ") {
					t.Errorf("stderr:\n%s", errText.String())
				}
			})
		}
	}
}

// Smaller cases, each a message that must say what
// happened.
func TestMessagesSayWhatHappened(t *testing.T) {
	t.Run("presign past S3's limit", func(t *testing.T) {
		te := newTestEnv(t).withSandbox()
		for _, when := range []string{"2999-01-01", "8d"} {
			r := te.run("presign", "s3://sandbox/k", "--expires", when, "--sandbox")
			r.oneLineError(t, ExitError, "at most 7 days")
			if strings.Contains(r.stderr, "h47m") || strings.Contains(r.stderr, "192h") || strings.Contains(r.stderr, "out of range") {
				t.Errorf("--expires %s: the limit is not in words: %q", when, r.stderr)
			}
		}
	})
	t.Run("one warning prefix", func(t *testing.T) {
		rsaKey, _ := testKeys(t)
		key := filepath.Join(t.TempDir(), "k.pem")
		data, _ := os.ReadFile(rsaKey)
		os.WriteFile(key, data, 0o644)
		r := newTestEnv(t).run("sign", "https://d1.cloudfront.net/a", "--expires", "1h", "--key-pair-id", keyPairID, "--private-key", key).mustOK(t)
		if !strings.HasPrefix(r.stderr, "cfsign: warning: private key ") || strings.Contains(r.stderr, "WARNING") {
			t.Errorf("stderr %q", r.stderr)
		}
	})
	t.Run("keys generate into a dangling symlink", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		os.Symlink(filepath.Join(t.TempDir(), "gone", "dir"), dir)
		r := newTestEnv(t).run("keys", "generate", "--dir", dir)
		r.oneLineError(t, ExitError, "symbolic link")
		if strings.Contains(r.stderr, "make a key pair with") {
			t.Errorf("a hint to make the key pair the command was making: %q", r.stderr)
		}
	})
	t.Run("empty directory upload", func(t *testing.T) {
		te := newTestEnv(t).withSandbox()
		r := te.run("upload", t.TempDir(), "s3://sandbox/"+testenv.Unique("empty")+"/", "--sandbox").mustOK(t)
		if r.stdout != "" || !strings.Contains(r.stderr, "nothing to upload") {
			t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
		}
	})
}

// An upload whose CompleteMultipartUpload landed on the server is reported
// as done, whatever happened to the answer: lost to a 500 and retried into
// NoSuchUpload, or cut off by Ctrl-C while S3 completed it
// (#1). cfsign looks (HEAD: size and ETag) instead of assuming, exits 0,
// lists the object on stdout and says on stderr what happened.
func TestUploadThatLandedIsReportedComplete(t *testing.T) {
	// S3 may answer a retried Complete with NoSuchUpload (the proxy below
	// does); the sandbox, like S3 mostly, answers it with the object.
	c, sb := relSandboxClient(t)
	server, bucket := sb.S3Endpoint, sb.Bucket
	te := newTestEnv(t)
	sandboxCreds(t, te, sb)
	big := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 12<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.WriteFile(big, data, 0o644)
	isComplete := func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Query().Has("uploadId")
	}
	forward := httputil.NewSingleHostReverseProxy(mustURL(t, server))

	for _, tc := range []struct {
		name, says string
		cancel     bool
	}{
		{"answer lost, retry says NoSuchUpload", "the upload failed only after", false},
		{"ctrl-c while S3 completes", "the upload was stopped only after", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			proxy := testenv.NewFaultProxy(t, server, func(w http.ResponseWriter, r *http.Request) bool {
				if !isComplete(r) {
					return false
				}
				first := false
				once.Do(func() { first = true })
				if !first {
					testenv.S3Error(w, r, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
					return true
				}
				forward.ServeHTTP(httptest.NewRecorder(), r) // S3 completes it...
				if tc.cancel {
					cancel() // ...as the user presses Ctrl-C
					<-r.Context().Done()
					return true
				}
				testenv.S3Error(w, r, http.StatusInternalServerError, "InternalError", "answer lost") // ...and the answer is lost
				return true
			})
			sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://")) // the proxy stands in for the network
			key := testenv.Unique("landed") + ".bin"
			r := te.runCtx(ctx, "upload", big, "s3://"+bucket+"/"+key, "--endpoint-url", proxy.URL, "--part-size", "5MiB")
			if r.code != 0 || strings.TrimSpace(r.stdout) != "s3://"+bucket+"/"+key {
				t.Errorf("exit %d stdout %q stderr %q, want 0 and the object", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.says) {
				t.Errorf("stderr %q lacks %q", r.stderr, tc.says)
			}
			info, err := c.Head(context.Background(), bucket, key)
			if err != nil || info.Size != int64(len(data)) {
				t.Errorf("the object is not complete on the server: %+v %v", info, err)
			}
			if ups, _ := c.ListMultipartUploads(context.Background(), bucket); relContains(ups, key) {
				t.Errorf("a multipart upload is left: %q", ups)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
