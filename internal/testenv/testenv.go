// Package testenv is the test support every cfsign package shares: an
// isolated process environment, a moto server on loopback, the in-process
// sandbox, and servers that misbehave on purpose (a fault proxy, a server
// that never answers, one that refuses everything). It is imported by tests
// only. Everything it starts listens on 127.0.0.1.
//
// It must not import the client package aws: that package's own tests import
// this one.
package testenv

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox"
)

// Main runs a package's tests in an isolated environment and stops what the
// run started (moto, the shared sandbox), then the cleanups, then exits. Call
// it from TestMain.
//
// Loopback only: the AWS SDK must never probe the EC2 metadata address, nor
// read the developer's own AWS profile or endpoint overrides.
func Main(m *testing.M, cleanups ...func()) {
	Isolate()
	code := m.Run()
	stopMoto()
	stopSandbox()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// Isolate points the AWS SDK away from the developer's files and from the
// EC2 metadata service, for the whole process.
func Isolate() {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	for _, v := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDFRONT"} {
		os.Unsetenv(v)
	}
}

// unavailable fails the test under CI, where every tool must be present, and
// skips it elsewhere.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v", what, err)
	}
	t.Skipf("%s unavailable: %v", what, err)
}

var moto struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
}

// Moto returns the URL of a moto server on loopback: the one .ci/run started
// (CFSIGN_MOTO_URL), or one started for this test binary and stopped by Main.
func Moto(t testing.TB) string {
	t.Helper()
	moto.once.Do(func() {
		if u := os.Getenv("CFSIGN_MOTO_URL"); u != "" {
			moto.url = u
			return
		}
		moto.url, moto.cmd, moto.err = startMoto()
	})
	if moto.err != nil {
		unavailable(t, "moto server", moto.err)
	}
	return moto.url
}

func startMoto() (string, *exec.Cmd, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if resp, err := http.Get(u + "/moto-api/"); err == nil {
			resp.Body.Close()
			return u, cmd, nil
		}
		time.Sleep(100 * time.Millisecond) // polling a child's port: there is no event to wait on
	}
	cmd.Process.Kill()
	cmd.Wait()
	return "", nil, fmt.Errorf("moto did not answer on %s within 30s", u)
}

func stopMoto() {
	if moto.cmd != nil && moto.cmd.Process != nil {
		moto.cmd.Process.Kill()
		moto.cmd.Wait()
	}
}

var stamp struct {
	mu sync.Mutex
	n  int
}

// Unique returns name with a suffix no other call in this process (or a
// recent one) returns: for bucket names and keys on shared servers.
func Unique(name string) string {
	stamp.mu.Lock()
	stamp.n++
	n := stamp.n
	stamp.mu.Unlock()
	return fmt.Sprintf("%s-%s-%d", name, strconv.FormatInt(time.Now().UnixNano(), 36), n)
}

// Bucket creates a fresh bucket named after prefix on an S3 server that takes
// unsigned requests (moto, the sandbox does not) and returns its name.
func Bucket(t testing.TB, endpoint, prefix string) string {
	t.Helper()
	bucket := strings.ToLower(Unique(prefix))
	req, err := http.NewRequest(http.MethodPut, endpoint+"/"+bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create bucket %s at %s: %s", bucket, endpoint, resp.Status)
	}
	return bucket
}

var shared struct {
	once sync.Once
	dir  string
	sb   *sandbox.Sandbox
	err  error
}

// Sandbox is one in-memory sandbox shared by the whole test binary and
// stopped by Main. Tests that share it use unique keys (Unique).
func Sandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "cfsign-test-sandbox-")
		if shared.err != nil {
			return
		}
		shared.sb, shared.err = sandbox.Start(context.Background(), sandbox.Options{DataDir: shared.dir, Memory: true})
	})
	if shared.err != nil {
		t.Fatalf("start sandbox: %v", shared.err)
	}
	return shared.sb
}

func stopSandbox() {
	if shared.sb != nil {
		shared.sb.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// NewSandbox starts a sandbox of the test's own, in memory unless opts say
// otherwise, in a fresh directory; it is closed when the test ends.
func NewSandbox(t testing.TB, opts ...func(*sandbox.Options)) *sandbox.Sandbox {
	t.Helper()
	o := sandbox.Options{DataDir: t.TempDir(), Memory: true}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb, err := sandbox.Start(ctx, o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// SandboxOpener hands out sb as an application session's sandbox (it is
// the test's to stop).
func SandboxOpener(sb *sandbox.Sandbox) func(context.Context) (*sandbox.Sandbox, func(), error) {
	return func(context.Context) (*sandbox.Sandbox, func(), error) { return sb, func() {}, nil }
}

// FaultProxy is a reverse proxy in front of a real server. Its hook sees
// every request first and returns true when it answered (or swallowed) it
// itself: a fault. Kill closes the listener and every connection at once, as
// when a server dies; Restart serves again on the same address.
type FaultProxy struct {
	URL string // http://127.0.0.1:PORT

	t      testing.TB
	target *url.URL
	hook   func(w http.ResponseWriter, r *http.Request) bool
	addr   string

	mu  sync.Mutex
	srv *http.Server
}

// NewFaultProxy starts a proxy to target; it is killed when the test ends.
// hook may be nil (a plain proxy).
func NewFaultProxy(t testing.TB, target string, hook func(w http.ResponseWriter, r *http.Request) bool) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{t: t, target: u, hook: hook, addr: "127.0.0.1:0"}
	p.Restart()
	t.Cleanup(p.Kill)
	return p
}

// Restart serves on the proxy's address (a new one on the first call).
func (p *FaultProxy) Restart() {
	p.t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", p.addr, err)
	}
	p.addr = l.Addr().String()
	p.URL = "http://" + p.addr
	rp := httputil.NewSingleHostReverseProxy(p.target)
	rp.ErrorLog = quiet
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.hook != nil && p.hook(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}), ErrorLog: quiet}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(l)
}

// Kill closes the listener and every open connection at once.
func (p *FaultProxy) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		p.srv.Close()
		p.srv = nil
	}
}

var quiet = log.New(io.Discard, "", 0)

// Silent is a server that accepts connections and never answers; it returns
// its URL. Everything is closed when the test ends.
func Silent(t testing.TB) string {
	t.Helper()
	u, _ := SilentWatched(t)
	return u
}

// SilentWatched is Silent that also signals (without blocking) each
// connection it accepts.
func SilentWatched(t testing.TB) (string, <-chan struct{}) {
	t.Helper()
	accepted := make(chan struct{}, 1)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never read, never answered
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	return "http://" + l.Addr().String(), accepted
}

// Refusing is an S3 endpoint that answers every request with one error, as
// real S3 does for rejected credentials; it returns its URL.
func Refusing(t testing.TB, status int, code string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		S3Error(w, r, status, code, "refused")
	}), ErrorLog: quiet}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// S3Error answers like S3 does with an error, after reading the request body
// as S3 does (a server that answers early and drops the body makes the client
// see a broken connection instead of the error).
func S3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fault</RequestId></Error>`, code, msg)
}

// IsPart reports whether r is an S3 UploadPart request.
func IsPart(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != ""
}
