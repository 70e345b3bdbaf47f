package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"

	"github.com/cfsign/cfsign/aws"
)

// parseS3URI splits s3://bucket/key; key may be empty.
func parseS3URI(s string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an S3 URI: use s3://bucket/key", s)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: use s3://bucket/key", s)
	}
	return bucket, key, nil
}

// s3Client is the session's S3 client: the sandbox's with --sandbox, else
// from the settings and the AWS shared config chain. The session stops what
// it started.
func (r *runner) s3Client(ctx context.Context) (*aws.Client, error) {
	sess, err := r.session()
	if err != nil {
		return nil, err
	}
	return sess.S3(ctx)
}

const lsUsage = `Usage: cfsign ls [s3://bucket[/prefix]] [--recursive] [--json]

With no argument lists the buckets. Otherwise lists the folders and objects
under prefix, or with --recursive every object below it, page by page.

On a terminal each line shows date, size and key, and keys holding control
characters or invalid UTF-8 are shown quoted and escaped. Piped, each line is
one raw key (full key, not relative to the prefix) for scripts; --json gives
one JSON object per line (key, size, last_modified, etag, storage_class,
folder; key_base64 too when the key is not valid UTF-8).

Flags:
  --recursive      list every object under the prefix
  --json           one JSON object per line
  --sandbox        list the local sandbox
  -h, --help       show this help
`

type lsEntry struct {
	Key          string `json:"key"`
	KeyBase64    string `json:"key_base64,omitempty"`
	Folder       bool   `json:"folder,omitempty"`
	Size         int64  `json:"size"`
	LastModified string `json:"last_modified,omitempty"`
	ETag         string `json:"etag,omitempty"`
	StorageClass string `json:"storage_class,omitempty"`
}

func runLs(ctx context.Context, r *runner, args []string) error {
	var recursive, asJSON bool
	fs := newFlagSet("ls")
	r.global.register(fs)
	fs.BoolVar(&recursive, "recursive", false, "")
	fs.BoolVar(&recursive, "r", false, "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := r.parseArgs(fs, lsUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign ls --help' for usage."
	if len(pos) > 1 {
		return usagef(hint, "ls: want at most one s3://bucket/prefix, got %d", len(pos))
	}
	var bucket, prefix string
	if len(pos) == 1 {
		if bucket, prefix, err = parseS3URI(pos[0]); err != nil {
			return usagef(hint, "ls: %v", err)
		}
	}
	c, err := r.s3Client(ctx)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(r.env.Stdout)
	defer w.Flush()
	if bucket == "" {
		bs, err := c.ListBuckets(ctx)
		if err != nil {
			return err
		}
		for _, b := range bs {
			switch {
			case asJSON:
				line, _ := json.Marshal(struct {
					Name    string `json:"name"`
					Created string `json:"created,omitempty"`
				}{b.Name, fmtTime(b.Created)})
				w.Write(append(line, '\n'))
			case r.env.StdoutTTY:
				fmt.Fprintf(w, "%s  %s\n", b.Created.Local().Format("2006-01-02 15:04:05"), escapeKey(b.Name))
			default:
				fmt.Fprintln(w, b.Name)
			}
		}
		return nil
	}
	emit := func(entries []aws.Entry) error {
		for _, e := range entries {
			switch {
			case asJSON:
				le := lsEntry{Key: e.Key, Folder: e.Folder, Size: e.Size, LastModified: fmtTime(e.LastModified),
					ETag: e.ETag, StorageClass: e.StorageClass}
				if !utf8.ValidString(e.Key) {
					le.KeyBase64 = base64.StdEncoding.EncodeToString([]byte(e.Key))
				}
				line, err := json.Marshal(le)
				if err != nil {
					return err
				}
				w.Write(append(line, '\n'))
			case r.env.StdoutTTY && e.Folder:
				fmt.Fprintf(w, "%19s  %10s  %s\n", "", "PRE", escapeKey(e.Key))
			case r.env.StdoutTTY:
				fmt.Fprintf(w, "%s  %10d  %s\n", e.LastModified.Local().Format("2006-01-02 15:04:05"), e.Size, escapeKey(e.Key))
			default:
				w.WriteString(e.Key)
				w.WriteByte('\n')
			}
		}
		// Stream: each page reaches the reader as soon as it is listed.
		return w.Flush()
	}
	if recursive {
		return c.Walk(ctx, bucket, prefix, emit)
	}
	token := ""
	for {
		page, err := c.List(ctx, bucket, prefix, token)
		if err != nil {
			return err
		}
		if err := emit(page.Entries); err != nil {
			return err
		}
		if page.NextToken == "" {
			return nil
		}
		token = page.NextToken
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

const uploadUsage = `Usage: cfsign upload PATH... s3://bucket/prefix/ [--no-clobber] [--part-size SIZE] [--concurrency N]

Uploads files, or directories recursively (paths below them kept), to S3.
A destination ending in "/" is a prefix the files go into; otherwise, for a
single file, it is the object key. Large files go up in parts, in parallel.

stdout gets one s3://bucket/key line per file that is on the server. On a
terminal stderr shows a progress bar (bytes, rate, ETA); otherwise one
summary line per file. One total line ends it.

An object already at a key is replaced, as S3 does; --no-clobber keeps it
instead: S3 itself refuses the write when an object is there (If-None-Match),
and a line on stderr names each file skipped.

Ctrl-C stops cleanly, exit 130: uploads in flight are aborted, then cfsign
looks at what the server holds. A file S3 had already completed is listed
on stdout as uploaded; every other file gets a line on stderr (stopped with
nothing left, or not started) and the last line counts them.

Memory: each part sent at once, one read ahead and the first part are held
in memory. Part size x (concurrency + 2) is kept within --max-memory by
lowering the concurrency, down to one part at a time; when even that would
not fit, the part size is lowered too. A warning says so when it lowers a value you
gave. A part is never larger than the file.

Flags:
  -n, --no-clobber    never replace an object: skip the file (checked by S3 as it stores)
  --part-size SIZE    multipart part size, like 8MiB or 16MB (5MiB to 5GiB; default by file size)
  --concurrency N     parts sent at once (default by file size, lowered to fit --max-memory)
  --max-memory SIZE   memory for part buffers (default 512MiB)
  --sandbox           upload to the local sandbox
  -h, --help          show this help
`

func runUpload(ctx context.Context, r *runner, args []string) error {
	var partSize, maxMemory string
	var concurrency int
	var noClobber bool
	fs := newFlagSet("upload")
	r.global.register(fs)
	fs.BoolVar(&noClobber, "no-clobber", false, "")
	fs.BoolVar(&noClobber, "n", false, "")
	fs.StringVar(&partSize, "part-size", "", "")
	fs.StringVar(&maxMemory, "max-memory", "", "")
	fs.IntVar(&concurrency, "concurrency", 0, "")
	pos, err := r.parseArgs(fs, uploadUsage, args)
	if err != nil {
		return err
	}
	r.setGrace(transferGrace) // an interrupted transfer reports what the server holds
	const hint = "Run 'cfsign upload --help' for usage."
	if len(pos) < 2 {
		return usagef(hint, "upload: want PATH... s3://bucket/prefix/")
	}
	bucket, prefix, err := parseS3URI(pos[len(pos)-1])
	if err != nil {
		return usagef(hint, "upload: the last argument must be the destination: %v", err)
	}
	var ps int64
	if partSize != "" {
		if ps, err = parseSize(partSize); err != nil {
			return usagef(hint, "upload: --part-size: %v", err)
		}
		if ps < 5<<20 || ps > 5<<30 {
			return usagef(hint, "upload: --part-size %s is outside S3's limits of 5MiB to 5GiB", partSize)
		}
	}
	if concurrency < 0 || concurrency > 64 {
		return usagef(hint, "upload: --concurrency %d: use 1 to 64", concurrency)
	}
	var budget int64
	if maxMemory != "" {
		if budget, err = parseSize(maxMemory); err != nil {
			return usagef(hint, "upload: --max-memory: %v", err)
		}
		if budget < 10<<20 {
			return usagef(hint, "upload: --max-memory %s is below 10MiB: two parts of S3's 5MiB minimum", maxMemory)
		}
	}
	reqs, err := aws.PlanUploads(pos[:len(pos)-1], bucket, prefix)
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		fmt.Fprintf(r.env.Stderr, "cfsign: nothing to upload: %s holds no files\n", r.clean(strings.Join(pos[:len(pos)-1], ", ")))
		return nil
	}
	var total int64
	files := make([]app.UploadFile, len(reqs))
	for i, q := range reqs {
		st, err := os.Stat(q.Path)
		if err != nil {
			return fmt.Errorf("upload: %w", err)
		}
		files[i] = app.UploadFile{Req: q, Size: st.Size()}
		total += st.Size()
	}
	c, err := r.s3Client(ctx)
	if err != nil {
		return err
	}
	var bar *progressBar
	if r.env.StderrTTY {
		bar = newProgressBar(r.env.Stderr, total, r.env.Now)
		defer bar.end()
	}
	sess, err := r.session()
	if err != nil {
		return err
	}
	b := sess.Transfers().Upload(ctx, c, files, app.UploadOptions{PartSize: ps, Concurrency: concurrency, MemoryBudget: budget,
		StopOnError: true, NoClobber: noClobber})
	return r.printUploads(ctx, files, b.Events, bar, budget)
}

// printUploads prints a batch's events: each uploaded file's s3:// URI on
// stdout, progress on stderr; once it ends, every file that did not upload
// gets a line saying what the server holds of it, and the counts are of
// what the server was seen to hold.
func (r *runner) printUploads(ctx context.Context, files []app.UploadFile, events <-chan app.UploadEvent, bar *progressBar, budget int64) error {
	outcomes := make([]app.Outcome, len(files))
	errs := make([]error, len(files))
	var firstErr, aerr error
	failed := ""
	start := r.now()
	var sent int64
	// out and errLine print a line on stdout and stderr; on a terminal the
	// bar's line is cleared first, so no line is glued to a frame of it.
	out := func(line string) {
		if bar != nil {
			bar.above(r.env.Stdout, line)
			return
		}
		fmt.Fprintln(r.env.Stdout, line)
	}
	errLine := func(line string) {
		if bar != nil {
			bar.above(r.env.Stderr, line)
			return
		}
		fmt.Fprintln(r.env.Stderr, line)
	}
	for ev := range events {
		q := files[ev.Index].Req
		uri := "s3://" + q.Bucket + "/" + q.Key
		switch ev.Kind {
		case app.Started:
			p := ev.Plan
			r.debugf("upload %s -> %s (%d bytes, %d parts of %d, %d at once)", q.Path, uri, files[ev.Index].Size, p.Parts, p.PartSize, p.Concurrency)
			if p.LoweredPartSize != 0 {
				errLine(r.warning("%s: part size %s lowered to %s: three parts (sent, read ahead, first) must fit in %s (--max-memory)",
					q.Path, app.Size(p.LoweredPartSize), app.Size(p.PartSize), app.Size(budgetOrDefault(budget))))
			}
			if p.Lowered != 0 {
				errLine(r.warning("%s: %d parts at once lowered to %d: parts of %s each held in memory must stay within %s (--max-memory)",
					q.Path, p.Lowered, p.Concurrency, app.Size(p.PartSize), app.Size(budgetOrDefault(budget))))
			}
		case app.Progress:
			if bar != nil {
				bar.update(q.Key, ev.Sent)
			}
		case app.AbortsRetried:
			aerr = ev.Err
		case app.Done:
			outcomes[ev.Index], errs[ev.Index] = ev.Outcome, ev.Err
			switch ev.Outcome {
			case app.Uploaded, app.Landed:
				if ev.Outcome == app.Landed {
					what := "failed"
					if ctx.Err() != nil {
						what = "was stopped"
					}
					r.debugf("upload %s: %v; the object is complete all the same", uri, ev.Err)
					errLine(fmt.Sprintf("cfsign: %s is complete on the server (same size and ETag): the upload %s only after S3 had finished it",
						escapeKey(uri), what))
				}
				sent += files[ev.Index].Size
				if bar != nil {
					bar.finishItem(q.Key, files[ev.Index].Size)
				} else {
					errLine(fmt.Sprintf("uploaded %s to %s (%s in %s)", q.Path, escapeKey(uri), app.Size(files[ev.Index].Size), ev.Elapsed.Round(time.Millisecond)))
				}
				out(r.displayKey(uri))
			case app.Skipped:
				if bar != nil {
					bar.finishItem(q.Key, 0)
				}
				errLine(fmt.Sprintf("cfsign: skipped %s: an object is there, kept (--no-clobber)", escapeKey(uri)))
			case app.Stopped, app.Unknown:
				if firstErr == nil || (isInterrupted(ctx, firstErr) && !isInterrupted(ctx, ev.Err)) {
					firstErr, failed = ev.Err, q.Path
				}
			}
		}
	}
	if bar != nil {
		bar.end()
	}
	if firstErr == nil && ctx.Err() == nil {
		// One total line, terminal or not.
		n, skipped := 0, 0
		for _, o := range outcomes {
			switch o {
			case app.Uploaded, app.Landed:
				n++
			case app.Skipped:
				skipped++
			}
		}
		el := r.now().Sub(start)
		line := fmt.Sprintf("uploaded %s (%s) in %s", app.Count(n, "file"), app.Size(sent), el.Round(time.Millisecond))
		if s := el.Seconds(); s > 0 && sent > 0 {
			line += fmt.Sprintf(", %s/s", app.Size(int64(float64(sent)/s)))
		}
		if skipped > 0 {
			line += fmt.Sprintf("; %s skipped: there already", app.Count(skipped, "file"))
		}
		fmt.Fprintln(r.env.Stderr, line)
	}
	if firstErr == nil && ctx.Err() != nil && slices.Contains(outcomes, app.NotStarted) {
		// The stop came while every upload in flight could still finish:
		// they did, and the files that never started are still to be told.
		firstErr = ctx.Err()
	}
	if firstErr == nil {
		return nil
	}
	stopped := isInterrupted(ctx, firstErr)
	var n [app.Unknown + 1]int
	for _, o := range outcomes {
		n[o]++
	}
	if len(files) == 1 {
		if stopped && outcomes[0] == app.NotStarted {
			return interrupted(fmt.Sprintf("upload of %s not started, nothing sent", files[0].Req.Path))
		}
		if stopped && outcomes[0] == app.Stopped {
			what := "nothing uploaded"
			if app.Multipart(errs[0]) {
				what = "its multipart upload aborted, nothing left on the server"
			}
			return interrupted(fmt.Sprintf("upload of %s stopped, %s", failed, what))
		}
		if stopped {
			return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: upload of %s stopped; %v", failed, errs[0])}
		}
		if aerr != nil {
			return fmt.Errorf("%v; %v", firstErr, aerr)
		}
		return firstErr
	}
	// Several files: a line for each one that did not upload.
	for i, o := range outcomes {
		q := files[i].Req
		uri := escapeKey("s3://" + q.Bucket + "/" + q.Key)
		switch o {
		case app.NotStarted:
			fmt.Fprintf(r.env.Stderr, "cfsign: %s: not started, nothing sent to %s\n", r.clean(q.Path), uri)
		case app.Stopped:
			what := "stopped"
			if !isInterrupted(ctx, errs[i]) {
				what = "failed (" + errs[i].Error() + ")"
			}
			if app.Multipart(errs[i]) {
				fmt.Fprintf(r.env.Stderr, "cfsign: %s: %s, its multipart upload aborted: nothing left at %s\n", r.clean(q.Path), what, uri)
			} else {
				fmt.Fprintf(r.env.Stderr, "cfsign: %s: %s, nothing uploaded to %s\n", r.clean(q.Path), what, uri)
			}
		case app.Unknown:
			fmt.Fprintf(r.env.Stderr, "cfsign: %s: %v\n", r.clean(q.Path), errs[i])
		}
	}
	counts := fmt.Sprintf("%d of %d files uploaded", n[app.Uploaded]+n[app.Landed], len(files))
	if n[app.Landed] > 0 {
		counts += fmt.Sprintf(" (%d completed before the stop)", n[app.Landed])
	}
	if n[app.Stopped] > 0 {
		counts += fmt.Sprintf(", %d stopped with nothing left", n[app.Stopped])
	}
	if n[app.NotStarted] > 0 {
		counts += fmt.Sprintf(", %d not started", n[app.NotStarted])
	}
	if n[app.Unknown] > 0 {
		counts += fmt.Sprintf(", %d in an unknown state (see above)", n[app.Unknown])
	}
	if stopped {
		if aerr != nil {
			return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: %s; %v", counts, aerr)}
		}
		return interrupted(counts)
	}
	if aerr != nil {
		return fmt.Errorf("%s: %v; %v", counts, firstErr, aerr)
	}
	return fmt.Errorf("%s: %s: %w", counts, r.clean(failed), firstErr)
}

// budgetOrDefault is the memory budget in force.
func budgetOrDefault(b int64) int64 {
	if b <= 0 {
		return aws.DefaultMemoryBudget
	}
	return b
}

const downloadUsage = `Usage: cfsign download s3://bucket/key [DEST] [--no-clobber]

Downloads an object to DEST (default: the key's base name in the current
directory; a directory DEST gets that name inside it). The file is written
to a temporary name (mode 0600) and renamed at the end: never half-written.
A progress bar on stderr when it is a terminal. Prints the path written.

An existing DEST is replaced as cp replaces it: the file keeps its mode (a
0600 file stays 0600). A new file gets 0666 less the umask.

Flags:
  --no-clobber  never replace an existing file: like cp -n, skip it with a
                line on stderr and exit 0 (nothing on stdout)
  --sandbox     download from the local sandbox
  -h, --help    show this help
`

func runDownload(ctx context.Context, r *runner, args []string) error {
	var noClobber bool
	fs := newFlagSet("download")
	r.global.register(fs)
	fs.BoolVar(&noClobber, "no-clobber", false, "")
	fs.BoolVar(&noClobber, "n", false, "")
	pos, err := r.parseArgs(fs, downloadUsage, args)
	if err != nil {
		return err
	}
	r.setGrace(transferGrace) // an interrupted transfer reports what the server holds
	const hint = "Run 'cfsign download --help' for usage."
	if len(pos) < 1 || len(pos) > 2 {
		return usagef(hint, "download: want s3://bucket/key [DEST]")
	}
	bucket, key, err := parseS3URI(pos[0])
	if err != nil {
		return usagef(hint, "download: %v", err)
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return usagef(hint, "download: %q names no object: use s3://bucket/key", pos[0])
	}
	dest := ""
	if len(pos) == 2 {
		dest = pos[1]
	}
	dest = app.DownloadDest(key, dest)
	c, err := r.s3Client(ctx)
	if err != nil {
		return err
	}
	var bar *progressBar
	defer func() {
		if bar != nil {
			bar.end()
		}
	}()
	start := r.now()
	var size int64
	file := app.DownloadFile{Bucket: bucket, Key: key, Dest: dest, NoClobber: noClobber}
	var done app.DownloadEvent
	for ev := range app.Download(ctx, c, []app.DownloadFile{file}, app.DownloadOptions{}).Events {
		switch ev.Kind {
		case app.Progress:
			size = ev.Total
			if r.env.StderrTTY {
				if bar == nil {
					bar = newProgressBar(r.env.Stderr, ev.Total, r.env.Now)
				}
				bar.update(key, ev.Sent)
			}
		case app.Done:
			done = ev
		}
	}
	switch done.Outcome {
	case app.DownloadKept:
		fmt.Fprintf(r.env.Stderr, "cfsign: %s exists: not downloaded (--no-clobber)\n", escapeKey(done.Dest))
		return nil
	case app.DownloadStopped, app.DownloadNotStarted:
		return interrupted("download stopped, nothing written")
	case app.DownloadFailed:
		if isInterrupted(ctx, done.Err) {
			return interrupted("download stopped, nothing written")
		}
		return done.Err
	}
	dest = done.Dest
	// The whole file is there: the bar goes, one total line says so, and
	// only then does stdout get its line.
	if bar != nil {
		bar.end()
	}
	fmt.Fprintf(r.env.Stderr, "downloaded %s (%s) in %s\n", escapeKey("s3://"+bucket+"/"+key), app.Size(size), r.now().Sub(start).Round(time.Millisecond))
	// dest comes from the key: escaped on a terminal like any key.
	fmt.Fprintln(r.env.Stdout, r.displayKey(dest))
	return nil
}

const rmUsage = `Usage: cfsign rm s3://bucket/key... [--recursive [--raw-prefix]] [--dryrun] [--yes]

Deletes objects, and says what was deleted: only what S3 confirmed. A key
that names no object is said so, and the exit code is 1, as rm(1) does.

With --recursive each argument is a folder: s3://bucket/pre deletes every
object under pre/ (never prefix.txt beside it). --raw-prefix takes it as a
plain string prefix instead, so s3://bucket/pre deletes pre/a and prefix.txt.

Before deleting more than one object, rm asks on the terminal, naming the
first objects and the count; --yes answers for it. Off a terminal (a
script) it does not ask. --dryrun lists what would be deleted, as
"(dryrun) delete: s3://bucket/key" lines, and deletes nothing.

Flags:
  --recursive    delete everything in each folder s3://bucket/folder
  --raw-prefix   with --recursive: every key that begins with the string
  --dryrun       list what would be deleted; delete nothing
  --yes          do not ask
  --sandbox      delete from the local sandbox
  -h, --help     show this help
`

func runRm(ctx context.Context, r *runner, args []string) error {
	var recursive, raw, dryrun, yes bool
	fs := newFlagSet("rm")
	r.global.register(fs)
	fs.BoolVar(&recursive, "recursive", false, "")
	fs.BoolVar(&recursive, "r", false, "")
	fs.BoolVar(&raw, "raw-prefix", false, "")
	fs.BoolVar(&dryrun, "dryrun", false, "")
	fs.BoolVar(&dryrun, "dry-run", false, "")
	fs.BoolVar(&yes, "yes", false, "")
	fs.BoolVar(&yes, "y", false, "")
	pos, err := r.parseArgs(fs, rmUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign rm --help' for usage."
	if len(pos) == 0 {
		return usagef(hint, "rm: want s3://bucket/key...")
	}
	if raw && !recursive {
		return usagef(hint, "rm: --raw-prefix goes with --recursive")
	}
	type target struct{ bucket, key string }
	var targets []target
	for _, p := range pos {
		b, k, err := parseS3URI(p)
		if err != nil {
			return usagef(hint, "rm: %v", err)
		}
		if !recursive && (k == "" || strings.HasSuffix(k, "/")) {
			return usagef(hint, "rm: %q is a bucket or folder: pass --recursive to delete everything in it", p)
		}
		targets = append(targets, target{b, k})
	}
	c, err := r.s3Client(ctx)
	if err != nil {
		return err
	}

	// Look first: what each argument touches, as the server holds it now.
	var plans []app.Deletion
	total := 0
	if recursive {
		for _, t := range targets {
			prefix := app.FolderPrefix(t.key)
			if raw {
				prefix = t.key
			}
			var each func(string)
			if dryrun { // what goes is printed as the one listing finds it
				each = func(k string) { r.printDryrunLine(t.bucket, k) }
			}
			d, err := app.PlanPrefix(ctx, c, t.bucket, prefix, each)
			if err != nil {
				return fmt.Errorf("rm: %w", err)
			}
			plans, total = append(plans, d), total+d.Count
		}
	} else {
		// One plan per bucket, keeping the order of arguments.
		byBucket := map[string][]string{}
		var order []string
		for _, t := range targets {
			if _, ok := byBucket[t.bucket]; !ok {
				order = append(order, t.bucket)
			}
			byBucket[t.bucket] = append(byBucket[t.bucket], t.key)
		}
		for _, b := range order {
			d, err := app.PlanObjects(ctx, c, b, byBucket[b])
			if err != nil {
				return fmt.Errorf("rm: %w", err)
			}
			plans, total = append(plans, d), total+d.Count
		}
	}
	missing := 0
	for _, d := range plans {
		for _, k := range d.Missing {
			missing++
			uri := "s3://" + d.Bucket + "/" + k
			if app.IsFolder(ctx, c, d.Bucket, k) {
				fmt.Fprintf(r.env.Stderr, "cfsign: rm: %s is a folder, not an object: pass --recursive to delete what is in it\n", escapeKey(uri))
			} else {
				fmt.Fprintf(r.env.Stderr, "cfsign: rm: no object at %s: nothing deleted there\n", escapeKey(uri))
			}
		}
		if d.Prefix != "" && d.Count == 0 {
			fmt.Fprintf(r.env.Stderr, "cfsign: rm: nothing under %s\n", escapeKey("s3://"+d.Bucket+"/"+d.Prefix))
		}
	}
	if dryrun {
		for _, d := range plans {
			if d.Prefix == "" {
				for _, k := range d.Keys {
					r.printDryrunLine(d.Bucket, k)
				}
			}
		}
		if missing > 0 {
			return &exitError{code: ExitError}
		}
		return nil
	}
	if total > 1 && !yes && r.env.StdinTTY && r.env.StderrTTY {
		for _, d := range plans {
			if d.Count > 0 {
				fmt.Fprintf(r.env.Stderr, "%s\n", sanitize(d.Question()))
			}
		}
		ok, err := r.ask(fmt.Sprintf("Delete these %s? [y/N] ", app.Count(total, "object")))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(r.env.Stderr, "cfsign: rm: kept them: nothing deleted")
			return nil
		}
	}

	// Print only what S3 confirmed deleted, then the exact shortfall.
	var notDeleted, nErrs int
	var firstErr error
	note := func(err error) {
		var de *aws.DeleteError
		if errors.As(err, &de) {
			notDeleted += de.NFailed
		}
		nErrs++
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, d := range plans {
		if d.Prefix != "" {
			if d.Count == 0 {
				continue
			}
			n, err := c.DeletePrefix(ctx, d.Bucket, d.Prefix)
			fmt.Fprintf(r.env.Stdout, "deleted %s under %s\n", app.Count(n, "object"), r.displayKey("s3://"+d.Bucket+"/"+d.Prefix))
			if err != nil {
				if isInterrupted(ctx, err) {
					return interrupted(fmt.Sprintf("%s deleted under s3://%s/%s before the stop", app.Count(n, "object"), d.Bucket, d.Prefix))
				}
				var de *aws.DeleteError
				if !errors.As(err, &de) {
					return err
				}
				note(err)
			}
			continue
		}
		deleted, err := c.DeleteKeys(ctx, d.Bucket, d.Keys)
		for _, k := range deleted {
			fmt.Fprintf(r.env.Stdout, "deleted %s\n", r.displayKey("s3://"+d.Bucket+"/"+k))
		}
		if err != nil {
			var de *aws.DeleteError
			if !errors.As(err, &de) {
				return err
			}
			note(err)
		}
	}
	if firstErr != nil {
		if nErrs > 1 {
			return fmt.Errorf("%s not deleted; %w", app.Count(notDeleted, "object"), firstErr)
		}
		return firstErr
	}
	if missing > 0 {
		return &exitError{code: ExitError} // each said above
	}
	return nil
}

// printDryrunLine says key would be deleted, as the AWS CLI's --dryrun does.
func (r *runner) printDryrunLine(bucket, key string) {
	fmt.Fprintf(r.env.Stdout, "(dryrun) delete: %s\n", r.displayKey("s3://"+bucket+"/"+key))
}

const presignUsage = `Usage: cfsign presign s3://bucket/key --expires WHEN

Prints an S3 presigned GET URL (SigV4, at most 7 days). This signs with your
AWS credentials, not a CloudFront key: the link dies with temporary
credentials (a warning says so). For CloudFront links use 'cfsign sign'.

Flags:
  --expires WHEN   how long the URL lives: 15m, 1h, 7d, or a time (see 'cfsign sign --help')
  --sandbox        presign for the local sandbox
  -h, --help       show this help
`

func runPresign(ctx context.Context, r *runner, args []string) error {
	var expires string
	fs := newFlagSet("presign")
	r.global.register(fs)
	fs.StringVar(&expires, "expires", "", "")
	fs.StringVar(&expires, "expires-in", "", "")
	pos, err := r.parseArgs(fs, presignUsage, args)
	if err != nil {
		return err
	}
	const hint = "Run 'cfsign presign --help' for usage."
	if len(pos) != 1 {
		return usagef(hint, "presign: want one s3://bucket/key")
	}
	bucket, key, err := parseS3URI(pos[0])
	if err != nil {
		return usagef(hint, "presign: %v", err)
	}
	if key == "" {
		return usagef(hint, "presign: %q names no object: use s3://bucket/key", pos[0])
	}
	s, err := r.settings(ctx, bucket)
	if err != nil {
		return err
	}
	if expires == "" {
		expires = s.DefaultExpiry
	}
	if expires == "" {
		return usagef(hint, "presign: missing --expires WHEN (e.g. --expires 1h)")
	}
	now := r.now()
	at, err := signedurl.ParseWhen(expires, now)
	if err != nil {
		return fmt.Errorf("--expires: %w", err)
	}
	d := at.Sub(now)
	if d <= 0 {
		return fmt.Errorf("--expires %s is in the past: give a time after now", expires)
	}
	c, err := r.s3Client(ctx)
	if err != nil {
		return err
	}
	u, warning, err := c.Presign(ctx, bucket, key, d)
	if err != nil {
		return err
	}
	if warning != "" {
		r.warn("%s", warning)
	}
	fmt.Fprintln(r.env.Stdout, u)
	r.noteSandboxStops()
	return nil
}
