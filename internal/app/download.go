package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws"
)

// Downloader downloads one object to a file. *aws.Client satisfies it:
// through a temporary file renamed at the end, so an error or a cancel
// leaves the destination as it was.
type Downloader interface {
	Download(ctx context.Context, req aws.DownloadRequest, progress func(aws.Progress)) error
}

// DownloadFile is one object of a download batch and the file it goes to.
type DownloadFile struct {
	Bucket, Key string
	// VersionID is the version to download; "" the current one.
	VersionID string
	// Dest is the file written (see DownloadDest).
	Dest string
	// NoClobber keeps a file that is at Dest: the object is then Kept,
	// checked before the transfer and again, atomically, when the file is
	// put in place.
	NoClobber bool
}

// DownloadName is the file name an object downloads under: the key's base
// name, or "download" for a key that has none ("a/..", "/").
func DownloadName(key string) string {
	name := path.Base(key)
	if name == "." || name == ".." || name == "/" {
		return "download"
	}
	return name
}

// DownloadDest is the file key downloads to when the user names dest: the
// key's name in the working directory for "", that name inside dest when
// dest is a directory (or ends in a separator, as a directory to be), else
// dest itself.
func DownloadDest(key, dest string) string {
	name := DownloadName(key)
	if dest == "" {
		return name
	}
	if st, err := os.Stat(dest); err == nil && st.IsDir() || strings.HasSuffix(dest, string(filepath.Separator)) {
		return filepath.Join(dest, name)
	}
	return dest
}

// PlanDownloads makes the files of a batch that downloads keys of bucket
// (with their versions, "" for the current one) into dir, each under its
// name; two keys of one name get the second a free name beside it
// ("a (1).txt"), as browsers name a second download, so one never
// replaces the other.
func PlanDownloads(bucket string, keys, versions []string, dir string) []DownloadFile {
	taken := map[string]bool{}
	files := make([]DownloadFile, len(keys))
	for i, k := range keys {
		dest := filepath.Join(dir, DownloadName(k))
		if taken[dest] {
			dest = freeName(dest, taken)
		}
		taken[dest] = true
		files[i] = DownloadFile{Bucket: bucket, Key: k, Dest: dest}
		if i < len(versions) {
			files[i].VersionID = versions[i]
		}
	}
	return files
}

// freeName is p with " (N)" before its extension, for the first N not in taken.
func freeName(p string, taken map[string]bool) string {
	for n := 1; ; n++ {
		c := numbered(p, string(filepath.Separator), n)
		if !taken[c] {
			return c
		}
	}
}

// ExistingFiles reports, by index, the files of a batch whose destination
// exists already (a file, or a link to one), for the question to ask
// before replacing them.
func ExistingFiles(files []DownloadFile) map[int]bool {
	found := map[int]bool{}
	for i, f := range files {
		if _, err := os.Lstat(f.Dest); err == nil {
			found[i] = true
		}
	}
	return found
}

// DownloadOutcome is how a file of a download batch ended.
type DownloadOutcome int

// The outcomes. Every one but Downloaded leaves the destination as it was:
// the object is written to a temporary file that is removed on any error.
const (
	DownloadNotStarted DownloadOutcome = iota // stopped before it began
	Downloaded                                // the file holds the object
	DownloadKept                              // NoClobber: a file was there, and it was kept
	DownloadStopped                           // stopped while it ran: nothing written
	DownloadFailed                            // failed (Err says why): nothing written
)

// DownloadEvent is one thing that happened to one file of a download batch.
type DownloadEvent struct {
	Kind    EventKind // Started, Progress or Done
	Index   int       // the file, by its index in the batch
	Sent    int64     // bytes received
	Total   int64     // the object's size, -1 before it is known
	Outcome DownloadOutcome
	Err     error
	// Dest is the file written (a directory destination resolved).
	Dest    string
	Elapsed time.Duration
}

// DownloadOptions tune a download batch.
type DownloadOptions struct {
	// Abandon is closed when the reader stops reading (the app quit).
	Abandon <-chan struct{}
	// StopOnError makes the first failure stop the rest, as a script wants.
	StopOnError bool
}

// downloadWorkers is how many files of a batch download at once.
const downloadWorkers = 4

// DownloadBatch is a running download batch.
type DownloadBatch struct {
	// Events streams a Started event when a file's transfer begins,
	// Progress as bytes arrive, and one Done per file, always. It closes
	// once every file has ended.
	Events <-chan DownloadEvent
	// Done is closed when every download has returned.
	Done <-chan struct{}
}

// ErrDownloadStopped is the error of a file that a cancel stopped: its
// temporary file is gone and the destination is as it was.
var ErrDownloadStopped = errors.New("stopped: nothing written")

// Download downloads files as one batch, a few at once. Cancelling ctx
// stops it: files in flight remove their temporary files and say Stopped,
// files not started say so. The same batch runs 'cfsign download' and the
// app's D.
func Download(ctx context.Context, d Downloader, files []DownloadFile, opts DownloadOptions) DownloadBatch {
	ch := make(chan DownloadEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		bctx, cancel := context.WithCancel(ctx)
		defer cancel()
		send := func(ev DownloadEvent) {
			select {
			case ch <- ev:
			case <-opts.Abandon:
			}
		}
		queue := make(chan int)
		var wg sync.WaitGroup
		for range min(downloadWorkers, len(files)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range queue {
					ev := downloadOne(bctx, d, i, files[i], send)
					if opts.StopOnError && ev.Outcome != Downloaded && ev.Outcome != DownloadKept {
						cancel()
					}
					send(ev)
				}
			}()
		}
		for i := range files {
			select {
			case queue <- i:
				continue
			case <-bctx.Done():
			}
			for rest := i; rest < len(files); rest++ {
				send(DownloadEvent{Kind: Done, Index: rest, Outcome: DownloadNotStarted, Err: ErrNotStarted, Dest: files[rest].Dest, Total: -1})
			}
			break
		}
		close(queue)
		wg.Wait()
	}()
	return DownloadBatch{Events: ch, Done: done}
}

// downloadOne downloads one file and returns its Done event; its other
// events go out through send.
func downloadOne(ctx context.Context, d Downloader, i int, f DownloadFile, send func(DownloadEvent)) DownloadEvent {
	if ctx.Err() != nil {
		return DownloadEvent{Kind: Done, Index: i, Outcome: DownloadNotStarted, Err: ErrNotStarted, Dest: f.Dest, Total: -1}
	}
	dest := f.Dest
	if st, err := os.Stat(dest); err == nil && st.IsDir() {
		dest = filepath.Join(dest, DownloadName(f.Key))
	}
	send(DownloadEvent{Kind: Started, Index: i, Dest: dest, Total: -1})
	start := time.Now()
	total := int64(-1)
	err := d.Download(ctx, aws.DownloadRequest{Bucket: f.Bucket, Key: f.Key, VersionID: f.VersionID, Dest: dest, NoClobber: f.NoClobber},
		func(p aws.Progress) {
			total = p.Total
			send(DownloadEvent{Kind: Progress, Index: i, Sent: p.Sent, Total: p.Total, Dest: dest})
		})
	ev := DownloadEvent{Kind: Done, Index: i, Dest: dest, Total: total, Elapsed: time.Since(start), Err: err}
	var exists *aws.ExistsError
	switch {
	case err == nil:
		ev.Outcome = Downloaded
	case errors.As(err, &exists):
		ev.Outcome, ev.Dest = DownloadKept, exists.Path
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		ev.Outcome, ev.Err = DownloadStopped, ErrDownloadStopped
	case ctx.Err() != nil:
		ev.Outcome = DownloadStopped
	default:
		ev.Outcome = DownloadFailed
	}
	return ev
}

// checkDir says why dir cannot take downloads, if it cannot.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// DownloadTo plans a download into the destination the user typed, as the
// app's prompt takes it: for one object a file or a directory (as
// 'cfsign download' takes DEST), for several an existing directory. "" is
// dir, the working directory.
func DownloadTo(bucket string, keys, versions []string, dest, dir string) ([]DownloadFile, error) {
	if dest == "" {
		dest = dir
	}
	if len(keys) == 1 {
		f := DownloadFile{Bucket: bucket, Key: keys[0], Dest: DownloadDest(keys[0], dest)}
		if len(versions) > 0 {
			f.VersionID = versions[0]
		}
		return []DownloadFile{f}, nil
	}
	if err := checkDir(dest); err != nil {
		return nil, fmt.Errorf("download %d objects: %w: name a directory", len(keys), err)
	}
	return PlanDownloads(bucket, keys, versions, dest), nil
}
