package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws"
)

// Uploader uploads one file. *aws.Client satisfies it.
type Uploader interface {
	Upload(ctx context.Context, req aws.UploadRequest, progress func(aws.Progress)) (aws.ObjectInfo, error)
}

// abortRetrier retries the aborts of multipart uploads that failed while
// the server was unreachable. *aws.Client satisfies it.
type abortRetrier interface {
	RetryAborts(ctx context.Context) error
}

// UploadFile is one file of a batch.
type UploadFile struct {
	Req  aws.UploadRequest
	Size int64
}

// UploadOptions tune a batch.
type UploadOptions struct {
	// PartSize and Concurrency override the choice from the file size;
	// MemoryBudget bounds the part buffers (0: aws.DefaultMemoryBudget).
	PartSize     int64
	Concurrency  int
	MemoryBudget int64
	// NoClobber keeps every object that is there: a file whose key names
	// one is Skipped, looked for before it is sent and checked again by S3
	// as it stores (If-None-Match).
	NoClobber bool
	// StopOnError makes the first failure stop the rest, as a script
	// wants; otherwise each file goes on its own, as a screen that offers
	// a retry wants.
	StopOnError bool
	// Abandon is closed when the reader stops reading (the app quit): the
	// batch then stops sending.
	Abandon <-chan struct{}
	// StopLimit bounds the wait, once stopped, for files to say how they
	// ended (0: 30 s); a file still silent then is Unknown.
	StopLimit time.Duration
}

// EventKind is what an upload event says.
type EventKind int

// The kinds of upload event.
const (
	// Started: the file's transfer began; Plan says how it goes.
	Started EventKind = iota
	// Progress: Sent of Total bytes are on the wire.
	Progress
	// Done: the file ended, as Outcome says (Err why not Uploaded).
	Done
	// AbortsRetried: after failures, the aborts that had failed were tried
	// again; Err is set when some still failed (their commands to run by
	// hand are in it).
	AbortsRetried
)

// Outcome is how a file of a batch ended, as the server was seen to hold it.
type Outcome int

// The outcomes.
const (
	NotStarted Outcome = iota // never sent: nothing on the server
	Uploaded                  // the object exists
	Landed                    // stopped or failed, but S3 had completed it: the object exists
	Stopped                   // stopped or failed, and the server holds nothing of it (seen, not assumed)
	Unknown                   // stopped or failed, and what the server holds is unknown (Err says)
	Skipped                   // NoClobber: an object had the key, and it was kept
)

// UploadEvent is one thing that happened to one file of a batch.
type UploadEvent struct {
	Kind    EventKind
	Index   int // the file, by its index in the batch
	Plan    aws.UploadPlan
	Sent    int64
	Total   int64
	Outcome Outcome
	Err     error
	Info    aws.ObjectInfo
	Elapsed time.Duration
	// Stopped: the batch was stopped (cancelled) when the file ended.
	Stopped bool
}

// Transfers runs upload batches. Its batches share one gate for multipart
// uploads, so at most one multipart upload, with its part buffers within
// the memory budget, runs at a time, however many batches run; small
// files go several at once.
type Transfers struct {
	gate chan struct{}

	mu     sync.Mutex
	active int   // batches running
	prev   int64 // the memory limit before the first of them
}

// NewTransfers makes an idle Transfers.
func NewTransfers() *Transfers { return &Transfers{gate: make(chan struct{}, 1)} }

// FileWorkers is how many files of a batch upload at once. Small files are
// dominated by per-request latency, so several go together; a multipart
// upload already sends its parts in parallel, so those go one at a time.
const FileWorkers = 8

// memorySlack is the memory beyond the part buffers' budget that the
// runtime's soft limit allows while uploads run: the program, the HTTP
// layer and the file list.
const memorySlack = 128 << 20

// defaultStopLimit bounds the wait for stopped uploads to report what the
// server holds; the aws layer's own bounds (abort, HEAD) are shorter.
const defaultStopLimit = 30 * time.Second

// ErrNotStarted is the error of a file the batch stopped before it ran.
var ErrNotStarted = errors.New("not started")

// Batch is a running upload batch.
type Batch struct {
	// Events streams what happens to the files: a Started event when a
	// file's transfer begins, Progress as bytes go out (bytes actually
	// sent), and one Done per file, always, saying what the server holds.
	// It closes once every file has ended, or StopLimit after a stop.
	Events <-chan UploadEvent
	// Done is closed when the batch's work is over: every upload returned,
	// its abort included, or StopLimit after a stop. A reader that stopped
	// reading (Abandon) can still wait on it.
	Done <-chan struct{}
}

// Upload uploads files as one batch. Cancelling ctx stops it: files in
// flight are aborted and looked for, files not started say so.
func (t *Transfers) Upload(ctx context.Context, up Uploader, files []UploadFile, opts UploadOptions) Batch {
	ch := make(chan UploadEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		t.holdMemory(opts.MemoryBudget)
		defer t.releaseMemory()
		t.run(ctx, up, files, opts, ch)
	}()
	return Batch{Events: ch, Done: done}
}

// holdMemory makes the runtime's soft memory limit the part buffers'
// budget plus slack while batches run (unless GOMEMLIMIT says otherwise):
// the garbage the transfer manager makes must not pile up past it.
func (t *Transfers) holdMemory(budget int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if budget <= 0 {
		budget = aws.DefaultMemoryBudget
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.active == 0 {
		t.prev = debug.SetMemoryLimit(budget + memorySlack)
	}
	t.active++
}

func (t *Transfers) releaseMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.active--; t.active == 0 {
		debug.SetMemoryLimit(t.prev)
	}
}

func (t *Transfers) run(ctx context.Context, up Uploader, files []UploadFile, opts UploadOptions, ch chan<- UploadEvent) {
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	abandon := make(chan struct{}) // closed when run returns
	defer close(abandon)
	in := make(chan UploadEvent)
	send := func(ev UploadEvent) {
		select {
		case in <- ev:
		case <-opts.Abandon:
		case <-abandon:
		}
	}
	queue := make(chan int)
	var wg sync.WaitGroup
	for range min(FileWorkers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				send(t.one(bctx, up, i, files[i], opts, send))
			}
		}()
	}
	allDone := make(chan struct{})
	go func() {
		defer close(allDone)
		for n := range files {
			select {
			case queue <- n:
				continue
			case <-bctx.Done():
			}
			for rest := n; rest < len(files); rest++ {
				send(UploadEvent{Kind: Done, Index: rest, Outcome: NotStarted, Err: ErrNotStarted, Stopped: true})
			}
			break
		}
		close(queue)
		wg.Wait()
	}()

	ended := make([]bool, len(files))
	failed := false
	stop := bctx.Done()
	var limit <-chan time.Time
	// forward hands ev to the reader; once the reader has gone, nothing
	// more is sent, but the batch still waits for its uploads (and their
	// aborts) to end.
	abandoned := false
	forward := func(ev UploadEvent) {
		if abandoned {
			return
		}
		select {
		case ch <- ev:
		case <-opts.Abandon:
			abandoned = true
		}
	}
	for {
		select {
		case ev := <-in:
			if ev.Kind == Done {
				ended[ev.Index] = true
				if ev.Outcome != Uploaded && ev.Outcome != Landed && ev.Outcome != Skipped {
					failed = true
					if opts.StopOnError && ev.Outcome != NotStarted {
						cancel()
					}
				}
			}
			forward(ev)
		case <-stop:
			stop = nil
			d := opts.StopLimit
			if d <= 0 {
				d = defaultStopLimit
			}
			tm := time.NewTimer(d)
			defer tm.Stop()
			limit = tm.C
		case <-limit:
			for i, f := range files {
				if ended[i] {
					continue
				}
				err := fmt.Errorf("the server did not confirm the stop of %s within %s: it may still land; list the folder to see", f.Req.Key, opts.stopLimit())
				forward(UploadEvent{Kind: Done, Index: i, Outcome: Unknown, Err: err, Stopped: true})
			}
			return
		case <-allDone:
			if failed {
				if r, ok := up.(abortRetrier); ok {
					// A multipart abort that failed (server unreachable) is
					// tried once more, outside the stopped context.
					actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := r.RetryAborts(actx)
					acancel()
					forward(UploadEvent{Kind: AbortsRetried, Err: err})
				}
			}
			return
		}
	}
}

func (o UploadOptions) stopLimit() time.Duration {
	if o.StopLimit > 0 {
		return o.StopLimit
	}
	return defaultStopLimit
}

// one uploads one file of a batch and returns its Done event; its other
// events go out through send.
func (t *Transfers) one(ctx context.Context, up Uploader, i int, f UploadFile, opts UploadOptions, send func(UploadEvent)) UploadEvent {
	q := f.Req
	q.PartSize, q.Concurrency, q.MemoryBudget = opts.PartSize, opts.Concurrency, opts.MemoryBudget
	q.NoClobber = opts.NoClobber
	if h, ok := up.(Objects); ok && opts.NoClobber {
		if _, err := h.Head(ctx, q.Bucket, q.Key); err == nil {
			return UploadEvent{Kind: Done, Index: i, Outcome: Skipped, Err: fmt.Errorf("s3://%s/%s: %w", q.Bucket, q.Key, aws.ErrObjectExists)}
		}
	}
	plan, _ := aws.PlanUpload(f.Size, opts.PartSize, opts.Concurrency, opts.MemoryBudget)
	if plan.Multipart {
		select {
		case t.gate <- struct{}{}:
			defer func() { <-t.gate }()
		case <-ctx.Done():
			return UploadEvent{Kind: Done, Index: i, Outcome: NotStarted, Err: ErrNotStarted, Stopped: true}
		}
	}
	if ctx.Err() != nil { // stopped while this file waited its turn
		return UploadEvent{Kind: Done, Index: i, Outcome: NotStarted, Err: ErrNotStarted, Stopped: true}
	}
	send(UploadEvent{Kind: Started, Index: i, Plan: plan, Total: f.Size})
	start := time.Now()
	info, err := up.Upload(ctx, q, func(p aws.Progress) {
		send(UploadEvent{Kind: Progress, Index: i, Sent: p.Sent, Total: p.Total})
	})
	ev := UploadEvent{Kind: Done, Index: i, Info: info, Elapsed: time.Since(start), Stopped: ctx.Err() != nil}
	switch {
	case err == nil && info.Landed != nil:
		ev.Outcome, ev.Err = Landed, info.Landed
	case err == nil:
		ev.Outcome = Uploaded
	case errors.Is(err, aws.ErrObjectExists):
		ev.Outcome, ev.Err = Skipped, err
	default:
		ev.Outcome, ev.Err = Unknown, err
		var ue *aws.UploadError
		if errors.As(err, &ue) && ue.Clean {
			ev.Outcome = Stopped
		}
	}
	return ev
}

// Multipart reports whether err is of an upload that had started a
// multipart upload (its abort is what left nothing on the server).
func Multipart(err error) bool {
	var ue *aws.UploadError
	return errors.As(err, &ue) && ue.Multipart
}

// Existing looks (HEAD, a few at once) for objects at the keys files
// would upload to, and returns those found, by index.
func Existing(ctx context.Context, c Objects, files []UploadFile) (map[int]aws.ObjectInfo, error) {
	found := map[int]aws.ObjectInfo{}
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(FileWorkers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				info, err := c.Head(ctx, files[i].Req.Bucket, files[i].Req.Key)
				mu.Lock()
				switch {
				case err == nil:
					found[i] = info
				case !aws.IsNotFound(err) && firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return found, firstErr
}

// numbered is p with " (n)" before the extension of its last part (after
// the last sep): "dir/a (1).txt", as browsers name a second download.
func numbered(p, sep string, n int) string {
	dir, name := "", p
	if i := strings.LastIndex(p, sep); i >= 0 {
		dir, name = p[:i+len(sep)], p[i+len(sep):]
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		stem, ext = name[:i], name[i:]
	}
	return fmt.Sprintf("%s%s (%d)%s", dir, stem, n, ext)
}

// FreeKey is a key beside key that names no object, for keeping both: the
// name with " (1)", " (2)", ... before its extension, as browsers name a
// second download.
func FreeKey(ctx context.Context, c Objects, bucket, key string, taken func(string) bool) (string, error) {
	for n := 1; n <= 1000; n++ {
		k := numbered(key, "/", n)
		if taken != nil && taken(k) {
			continue
		}
		_, err := c.Head(ctx, bucket, k)
		if aws.IsNotFound(err) {
			return k, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("no free name beside %s after 1,000 tries", key)
}
