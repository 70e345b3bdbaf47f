package ui

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
)

// budgetProxy watches the multipart uploads that reach a real S3 server:
// how many are open at once, and how many parts are in flight. Parts are
// held (never forwarded) until the client gives up on them, so gigabytes
// never have to be stored to see how the client sends them.
type budgetProxy struct {
	mu       sync.Mutex
	open     map[string]bool // upload IDs created and not yet aborted or completed
	maxOpen  int
	inFlight int
	maxParts int
	changed  chan struct{} // signalled on every change
}

func (p *budgetProxy) hook(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut && q.Get("uploadId") != "" && q.Get("partNumber") != "":
		p.update(func() {
			p.inFlight++
			p.maxParts = max(p.maxParts, p.inFlight)
		})
		<-r.Context().Done() // held until the client stops
		p.update(func() { p.inFlight-- })
		return true
	case r.Method == http.MethodPost && q.Has("uploads"):
		// CreateMultipartUpload: counted as it is asked for.
		p.update(func() {
			p.open[r.URL.Path+"#"+time.Now().String()] = true
			p.maxOpen = max(p.maxOpen, len(p.open))
		})
	case r.Method == http.MethodDelete && q.Get("uploadId") != "":
		p.update(func() {
			for k := range p.open {
				if len(k) > len(r.URL.Path) && k[:len(r.URL.Path)] == r.URL.Path {
					delete(p.open, k)
					break
				}
			}
		})
	}
	return false
}

func (p *budgetProxy) update(f func()) {
	p.mu.Lock()
	f()
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// Uploads started from the app stay within the memory budget, however
// many large files they are: three 1 GiB files go one multipart upload at a
// time, and that one holds no more parts at once than the budget allows.
// (The app once ran three at once, each within the budget: three times it.)
func TestAppUploadsStayWithinTheMemoryBudget(t *testing.T) {
	sb := testenv.NewSandbox(t)
	bp := &budgetProxy{open: map[string]bool{}, changed: make(chan struct{}, 1)}
	proxy := testenv.NewFaultProxy(t, sb.S3Endpoint, bp.hook)
	sb.AllowHost(strings.TrimPrefix(proxy.URL, "http://"))
	ctx := context.Background()
	c, err := aws.NewClient(ctx, aws.ClientOptions{Region: sb.Region, EndpointURL: proxy.URL, AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"a.bin", "b.bin", "c.bin"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 30); err != nil { // sparse: nothing written
			t.Fatal(err)
		}
		f.Close()
	}
	h := newUpHarness(t)
	h.v.deps.Uploader = c
	h.v.deps.background = new(sync.WaitGroup)
	msg := planOne(dir, dir, sb.Bucket, "big/", "")
	if len(msg.reqs) != 3 {
		t.Fatalf("planned %d files: %v", len(msg.reqs), msg.err)
	}
	// The view's own start command, as the app runs it.
	started := vtRun(h.v.planned(msg))
	if len(started) != 1 {
		t.Fatalf("start: %v", started)
	}
	h.v.Update(started[0])
	events := h.v.batches[1].events
	go func() {
		for range events { // the view would draw these
		}
	}()

	plan, _ := aws.PlanUpload(1<<30, 0, 0, 0)
	deadline := time.After(30 * time.Second)
	for settled := false; !settled; {
		select {
		case <-bp.changed:
		case <-deadline:
			t.Fatal("the uploads did not start")
		}
		bp.mu.Lock()
		settled = bp.inFlight >= plan.Concurrency || bp.maxOpen > 1
		bp.mu.Unlock()
	}
	// Give a second upload every chance to open: wait for the next change
	// or a moment of quiet.
	select {
	case <-bp.changed:
	case <-time.After(500 * time.Millisecond):
	}
	bp.mu.Lock()
	maxOpen, maxParts := bp.maxOpen, bp.maxParts
	bp.mu.Unlock()
	h.v.cancelAll()
	waitBackground(h.v.deps.background, 30*time.Second)

	budget := int64(aws.DefaultMemoryBudget)
	if maxOpen != 1 {
		t.Errorf("%d multipart uploads open at once, each holding part buffers: want 1", maxOpen)
	}
	if held := int64(maxParts+2) * plan.PartSize; held > budget {
		t.Errorf("%d parts of %s in flight (+2 buffers) = %s, over the %s budget", maxParts, app.Size(plan.PartSize), app.Size(held), app.Size(budget))
	}
	if maxParts == 0 {
		t.Error("no part was ever sent")
	}
}
