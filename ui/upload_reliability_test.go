package ui

// Reliability of the terminal app against real servers (issue 7): the S3
// server dying mid-upload, and one that never answers. Loopback only.

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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
)

// relMoto starts a moto server on loopback for one test (or uses
// CFSIGN_MOTO_URL's); outside CI a missing moto skips.
func relMoto(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("CFSIGN_MOTO_URL"); u != "" {
		return u
	}
	skip := func(err error) {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto server: %v", err)
		}
		t.Skipf("moto server unavailable: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		skip(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if resp, err := http.Get(u + "/moto-api/"); err == nil {
			resp.Body.Close()
			return u
		}
		time.Sleep(100 * time.Millisecond) // polling a child's port: no event to wait on
	}
	skip(fmt.Errorf("moto did not answer on %s", u))
	return ""
}

// relProxy is a reverse proxy the test can kill (listener and connections
// closed at once, as when a server dies) and restart on the same address.
type relProxy struct {
	t      *testing.T
	target *url.URL
	hook   func(p *relProxy, w http.ResponseWriter, r *http.Request) bool
	addr   string
	URL    string
	mu     sync.Mutex
	srv    *http.Server
}

func newRelProxy(t *testing.T, target string, hook func(p *relProxy, w http.ResponseWriter, r *http.Request) bool) *relProxy {
	u, _ := url.Parse(target)
	p := &relProxy{t: t, target: u, hook: hook, addr: "127.0.0.1:0"}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *relProxy) start() {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", p.addr, err)
	}
	p.addr = l.Addr().String()
	p.URL = "http://" + p.addr
	rp := httputil.NewSingleHostReverseProxy(p.target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.hook != nil && p.hook(p, w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}), ErrorLog: log.New(io.Discard, "", 0)}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(l)
}

func (p *relProxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		p.srv.Close()
		p.srv = nil
	}
}

// The S3 server (moto) dies while the upload view sends parts: the item
// fails with a one-line error and the status line offers r to retry; once
// the server is back, r uploads the file and the multipart upload the dead
// server kept is aborted, so nothing is left behind.
func TestReliabilityUploadViewServerDiesThenRetry(t *testing.T) {
	moto := relMoto(t)
	bucket := fmt.Sprintf("rel-ui-%d", time.Now().UnixNano())
	req, _ := http.NewRequest(http.MethodPut, moto+"/"+bucket, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	var once sync.Once
	proxy := newRelProxy(t, moto, func(p *relProxy, w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2" {
			killed := false
			once.Do(func() { killed = true; go p.kill() })
			if killed {
				<-r.Context().Done()
				return true
			}
		}
		return false
	})
	opts := func(endpoint string) aws.ClientOptions {
		return aws.ClientOptions{Region: "us-east-1", EndpointURL: endpoint, AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test"}
	}
	c, err := aws.NewClient(context.Background(), opts(proxy.URL))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := aws.NewClient(context.Background(), opts(moto))
	if err != nil {
		t.Fatal(err)
	}
	h := newUpHarness(t)
	h.v.deps.Uploader = c
	h.v.bucket = bucket
	big := make([]byte, 40<<20) // 16 MiB parts: three of them
	if err := os.WriteFile(filepath.Join(h.dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.typ("big.bin")
	h.press("enter")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the failure took %s to show", d)
	}
	if _, ok := vtFind[uploadsDoneMsg](h.nav); ok {
		t.Fatal("finished although the server died")
	}
	st, _ := vtFind[statusMsg](h.nav)
	if !st.err || !strings.Contains(st.text, "r retries") {
		t.Fatalf("status %+v", st)
	}
	if len(h.v.items) != 1 || h.v.items[0].state != itemFailed || h.v.items[0].err == nil ||
		strings.Contains(h.v.items[0].err.Error(), "\n") {
		t.Fatalf("items %+v", h.v.items)
	}
	t.Logf("error shown: %v", h.v.items[0].err)
	btCheckFrame(t, h.v.View(), 80, 24)
	if ups, _ := direct.ListMultipartUploads(context.Background(), bucket); len(ups) != 1 {
		t.Fatalf("while the server is down it should hold one upload: %q", ups)
	}

	proxy.start() // the server is back
	h.nav = nil
	h.sent = map[string][]int64{}
	h.press("r")
	done, ok := vtFind[uploadsDoneMsg](h.nav)
	if !ok || len(done.keys) != 1 {
		t.Fatalf("retry did not finish: %+v; items %+v", h.nav, h.v.items)
	}
	if info, err := direct.Head(context.Background(), bucket, done.keys[0]); err != nil || info.Size != int64(len(big)) {
		t.Fatalf("head %+v %v", info, err)
	}
	if ups, err := direct.ListMultipartUploads(context.Background(), bucket); err != nil || len(ups) != 0 {
		t.Fatalf("multipart uploads left behind: %q %v", ups, err)
	}
}

// A server that accepts connections and never answers: esc stops the
// browser's listing at once, and the request really ends (its context is
// cancelled), long before any timeout.
func TestReliabilityBrowserEscStopsHungListing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	accepted := make(chan struct{}, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: "us-east-1", EndpointURL: "http://" + l.Addr().String(),
		AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	env := btEnv()
	env.timeout = time.Minute
	b := newBrowserView(Deps{Lister: c, Settings: config.Settings{Bucket: "media"}}, newStyles(false), env)
	cmd := b.Init()
	ended := make(chan struct{})
	go func() { vtRun(cmd); close(ended) }()
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the listing never reached the server")
	}
	start := time.Now()
	b.Update(vtKey("esc"))
	if b.loading {
		t.Fatal("esc did not stop the listing")
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the hung request still runs 5s after esc")
	}
	t.Logf("request ended %s after esc", time.Since(start))
}
