package ui

// Reliability of the terminal app against real servers: the S3
// server dying mid-upload, and one that never answers. Loopback only.

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
)

// The S3 server (moto) dies while the upload view sends parts: the item
// fails with a one-line error and the status line offers r to retry; once
// the server is back, r uploads the file and the multipart upload the dead
// server kept is aborted, so nothing is left behind.
func TestReliabilityUploadViewServerDiesThenRetry(t *testing.T) {
	moto := testenv.Moto(t)
	bucket := testenv.Bucket(t, moto, "rel-ui")
	var once sync.Once
	var self atomic.Pointer[testenv.FaultProxy] // the hook kills its own proxy
	proxy := testenv.NewFaultProxy(t, moto, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2" {
			killed := false
			once.Do(func() { killed = true; go self.Load().Kill() })
			if killed {
				<-r.Context().Done()
				return true
			}
		}
		return false
	})
	self.Store(proxy)
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

	proxy.Restart() // the server is back
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
	silent, accepted := testenv.SilentWatched(t)
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: "us-east-1", EndpointURL: silent,
		AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	env := btEnv()
	env.timeout = time.Minute
	b := newBrowserView(Deps{Lister: c, Settings: app.Literal(config.Settings{Bucket: "media"})}, newStyles(false), env)
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
