package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults for the HTTP layer. A request fails when its connection makes no
// progress (nothing sent, nothing received) for the idle timeout, so a server
// that accepts and never answers fails in seconds while a slow but moving
// multi-gigabyte part never does.
const (
	s3DefaultIdleTimeout    = 10 * time.Second
	s3DefaultMaxAttempts    = 4 // one more than the SDK: rides out a burst of 503 SlowDown
	s3DefaultConnectTimeout = 5 * time.Second
	s3MaxBackoff            = 3 * time.Second
	s3ProgressInterval      = 100 * time.Millisecond // about ten events a second
)

// s3IdleTimeoutError is returned by a connection that made no progress.
type s3IdleTimeoutError struct{ d time.Duration }

func (e *s3IdleTimeoutError) Error() string {
	return fmt.Sprintf("no response for %s", e.d)
}
func (e *s3IdleTimeoutError) Timeout() bool   { return true }
func (e *s3IdleTimeoutError) Temporary() bool { return true }

// s3IdleConn fails reads and writes after d without progress. A write also
// pushes the read deadline out: while a part is being sent the transport's
// reader waits for the response, and it must not time out before the body
// is even written. Once either side timed out, every later error on the
// connection (the transport closes it) reads as that timeout.
type s3IdleConn struct {
	net.Conn
	d        time.Duration
	timedOut atomic.Bool
}

func (c *s3IdleConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.d))
	n, err := c.Conn.Read(p)
	return n, c.wrap(err)
}

func (c *s3IdleConn) Write(p []byte) (int, error) {
	dl := time.Now().Add(c.d)
	_ = c.Conn.SetWriteDeadline(dl)
	_ = c.Conn.SetReadDeadline(dl)
	n, err := c.Conn.Write(p)
	return n, c.wrap(err)
}

func (c *s3IdleConn) wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.timedOut.Store(true)
	}
	if c.timedOut.Load() {
		return &s3IdleTimeoutError{c.d}
	}
	return err
}

type s3DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func s3IdleDial(dial s3DialFunc, d time.Duration) s3DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &s3IdleConn{Conn: conn, d: d}, nil
	}
}

// newBuildableHTTPClient is the SDK's own buildable client (so AWS_CA_BUNDLE
// still applies) with a short connect timeout, enough idle connections per
// host for concurrent parts, and no SDK read timeout: s3IdleConn replaces it.
func newBuildableHTTPClient(connect time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = connect }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConnsPerHost = 64
			tr.IdleConnTimeout = 10 * time.Second
			// Large socket writes cut syscalls on multi-s3MiB part bodies.
			tr.WriteBufferSize = 256 << 10
			tr.ReadBufferSize = 64 << 10
		}).
		WithReadTimeout(0)
}

// finishHTTPClient runs as an s3.Options function after the SDK has resolved
// its HTTP client: it installs the idle timeout (the SDK re-sets DialContext
// while resolving, so this must come last) and the progress counter.
func finishHTTPClient(idle time.Duration) func(*s3.Options) {
	return func(o *s3.Options) {
		inner := withIdleTimeout(o.HTTPClient, idle)
		o.HTTPClient = &countingHTTPClient{inner: cappedHTTPClient{inner: inner, service: "S3", host: hostOf(o.BaseEndpoint)}}
	}
}

// boundedHTTPClient is the HTTP client of every SDK client cfsign builds
// except S3's own (finishHTTPClient adds progress counting to the same): the
// idle timeout of opts, and answers capped at MaxResponseBytes.
func boundedHTTPClient(client s3Doer, opts ClientOptions, service string, endpoint *string) s3Doer {
	return cappedHTTPClient{inner: withIdleTimeout(client, opts.idleTimeout()), service: service, host: hostOf(endpoint)}
}

// withIdleTimeout gives the SDK's buildable client (loadConfig's) the idle
// timeout: a request fails when its connection makes no progress for idle,
// whether the server never answers or stops halfway, while an answer that
// keeps arriving is read to the end. Every client cfsign builds goes through
// it: S3, CloudFront (and its S3 calls), KMS, Secrets Manager and SSM.
func withIdleTimeout(client s3Doer, idle time.Duration) s3Doer {
	b, ok := client.(*awshttp.BuildableClient)
	if !ok {
		return client
	}
	return b.WithTransportOptions(func(tr *http.Transport) {
		dial := s3DialFunc(tr.DialContext)
		if dial == nil {
			dial = (&net.Dialer{Timeout: s3DefaultConnectTimeout}).DialContext
		}
		tr.DialContext = s3IdleDial(dial, idle)
		// Retire pooled connections before their idle deadline
		// fires, so a request never picks one that is about to die.
		tr.IdleConnTimeout = min(tr.IdleConnTimeout, idle/2)
	})
}

// MaxResponseBytes is the most cfsign reads of any response it keeps in
// memory (listings, errors, CloudFront's answers): a ListObjectsV2 page of
// 1,000 keys of 1,024 bytes is a few MiB. Only object bodies (GetObject),
// which stream to a file, are exempt.
const MaxResponseBytes = 16 << 20

// ResponseTooLargeError is returned by the read that passes MaxResponseBytes.
type ResponseTooLargeError struct {
	Service   string // "S3", "CloudFront"
	Host      string // "" for AWS itself
	Operation string
}

func (e *ResponseTooLargeError) Error() string {
	where := e.Service
	if e.Host != "" {
		where += " at " + e.Host
	}
	return fmt.Sprintf("%s sent more than %d MiB in answer to %s: refused (no real S3 or CloudFront answer is that large; check the endpoint)",
		where, MaxResponseBytes>>20, e.Operation)
}

// cappedHTTPClient bounds every response body it returns to
// MaxResponseBytes, except the object bodies of GetObject: the SDK reads the
// others whole into memory, and a hostile or broken server could send
// gigabytes. Every client cfsign builds goes through it (S3, CloudFront).
type cappedHTTPClient struct {
	inner   s3Doer
	service string
	host    string
}

func (c cappedHTTPClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	op := awsmiddleware.GetOperationName(req.Context())
	if op == "GetObject" && resp.StatusCode < 300 {
		return resp, nil
	}
	if op == "" {
		op = req.Method + " " + req.URL.Path
	}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxResponseBytes,
		err: &ResponseTooLargeError{Service: c.service, Host: c.host, Operation: op}}
	return resp, nil
}

// cappedBody fails the read that would pass its limit.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// hostOf is the host of a custom endpoint, "" for AWS.
func hostOf(endpoint *string) string {
	if endpoint == nil {
		return ""
	}
	if u, err := url.Parse(*endpoint); err == nil {
		return u.Host
	}
	return ""
}

type s3Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// countingHTTPClient counts request body bytes as the transport reads them,
// for requests whose context carries a wireCounter. That is the closest
// honest measure of bytes sent: the transport reads a body only to write it to
// the socket.
type countingHTTPClient struct{ inner s3Doer }

type wireCounterKey struct{}

func withWireCounter(ctx context.Context, w *wireCounter) context.Context {
	return context.WithValue(ctx, wireCounterKey{}, w)
}

func (c *countingHTTPClient) Do(req *http.Request) (*http.Response, error) {
	w, _ := req.Context().Value(wireCounterKey{}).(*wireCounter)
	// An upload's writes: PutObject and UploadPart (PUT), Create and
	// CompleteMultipartUpload (POST).
	write := req.Method == http.MethodPut || req.Method == http.MethodPost
	if w == nil || !write || req.Body == nil || req.Body == http.NoBody || req.ContentLength <= 0 {
		return c.inner.Do(req)
	}
	// Only PUTs carry object bytes; the XML body of CompleteMultipartUpload
	// is not part of the file.
	body := &countingBody{rc: req.Body, w: w, counts: req.Method == http.MethodPut, size: req.ContentLength}
	req.Body = body
	ctx, release := s3FinishOnceSent(req.Context(), body.sent)
	resp, err := c.inner.Do(req.WithContext(ctx))
	if err != nil || resp.StatusCode >= 300 {
		// This attempt's bytes did not land; a retry will send them again.
		body.rollback()
	} else {
		body.commit()
	}
	if err != nil {
		release()
		return resp, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// s3FinishOnceSent returns the context for an upload's write request. A
// cancel of parent ends the request at once while its body is still being
// sent (the server then cannot store it: the body is short of its
// Content-Length). Once the body has been sent in full, the server may store
// it whatever the client does next, so the request is left to get its
// answer, for at most s3AbortCheckLimit: the answer, not a guess, then tells
// whether the object (or the completed multipart upload) exists. release
// frees the context once the answer has been read.
func s3FinishOnceSent(parent context.Context, sent func() bool) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		if !sent() {
			cancel(context.Cause(parent))
			return
		}
		t := time.AfterFunc(s3AbortCheckLimit, func() { cancel(context.Cause(parent)) })
		context.AfterFunc(ctx, func() { t.Stop() })
	})
	return ctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// releasingBody releases a request's context when its answer is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

type countingBody struct {
	rc     io.ReadCloser
	w      *wireCounter
	counts bool  // the body is the file's bytes: count them as progress
	size   int64 // Content-Length
	read   atomic.Int64
	mu     sync.Mutex
	n      int64
	done   bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.read.Add(int64(n))
		b.mu.Lock()
		if !b.done && b.counts {
			b.n += int64(n)
			b.w.add(int64(n))
		}
		b.mu.Unlock()
	}
	return n, err
}

// sent reports whether the transport has read the whole body to send it.
func (b *countingBody) sent() bool { return b.read.Load() >= b.size }

func (b *countingBody) Close() error { return b.rc.Close() }

func (b *countingBody) rollback() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		b.w.add(-b.n)
		b.done = true
	}
}

func (b *countingBody) commit() {
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
}

// wireCounter turns byte counts into Progress events: monotonic, at most one
// per s3ProgressInterval except the last byte sent, which is always
// reported, and a final one at Total from finish.
type wireCounter struct {
	key   string
	total int64
	fn    func(Progress)

	sent atomic.Int64
	mu   sync.Mutex
	last time.Time
	max  int64 // highest Sent reported
}

func newWireCounter(key string, total int64, fn func(Progress)) *wireCounter {
	return &wireCounter{key: key, total: total, fn: fn}
}

func (w *wireCounter) add(n int64) {
	v := w.sent.Add(n)
	if w.fn == nil || n <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	// The last byte sent is always reported: the upload is then waiting
	// for the server alone, and a view can say so.
	if now.Sub(w.last) < s3ProgressInterval && v < w.total {
		return
	}
	w.emitLocked(v, now)
}

// emitLocked reports v if it moves progress forward. Sent never passes
// Total before the server has confirmed the whole object.
func (w *wireCounter) emitLocked(v int64, now time.Time) {
	if v > w.total {
		v = w.total
	}
	if v <= w.max && !(v == 0 && w.last.IsZero()) {
		return
	}
	w.max = v
	w.last = now
	w.fn(Progress{Key: w.key, Sent: v, Total: w.total})
}

// start reports 0 of Total, so a caller can draw the bar at once.
func (w *wireCounter) start() {
	if w.fn == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emitLocked(0, time.Now())
}

// finish reports Total once the transfer is confirmed.
func (w *wireCounter) finish() {
	if w.fn == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.max == w.total && !w.last.IsZero() {
		return
	}
	w.max = -1
	w.emitLocked(w.total, time.Now())
}

// DownloadRequest is one object to download.
type DownloadRequest struct {
	Bucket, Key string
	// Dest is the file to write; an existing directory gets the key's base
	// name inside it.
	Dest string
	// NoClobber refuses to replace an existing file: Download then returns
	// an *ExistsError, checked before the transfer and again, atomically,
	// when the file is put in place.
	NoClobber bool
	// VersionID downloads that version of the object; "" the current one.
	VersionID string
}

// ExistsError is Download's answer, with NoClobber, when Path exists.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " exists (not replaced: --no-clobber)" }

// Download writes an object to its destination through a temporary file
// (mode 0600, next to it) renamed at the end. It overwrites as cp does: an
// existing file keeps its mode, a symlink is written through; a new file
// gets 0666 less the umask. The temporary file is removed on any error or
// cancel.
func (c *Client) Download(ctx context.Context, req DownloadRequest, progress func(Progress)) error {
	bucket, key, dest := req.Bucket, req.Key, req.Dest
	op := fmt.Sprintf("download s3://%s/%s", bucket, key)
	if st, err := os.Stat(dest); err == nil && st.IsDir() {
		base := filepath.Base(key)
		if base == "." || base == "/" || base == "" {
			return fmt.Errorf("%s: the key has no file name; give a destination file", op)
		}
		dest = filepath.Join(dest, base)
	}
	if st, err := os.Lstat(dest); err == nil && req.NoClobber {
		return &ExistsError{Path: dest}
	} else if err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// As cp does: write through the link to the file it names, which
		// keeps the link; refuse a link to nothing.
		target, err := filepath.EvalSymlinks(dest)
		if err != nil {
			return fmt.Errorf("%s: not writing through dangling symlink %s", op, dest)
		}
		dest = target
	}
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if req.VersionID != "" {
		in.VersionId = &req.VersionID
		op += " (version " + req.VersionID + ")"
	}
	out, err := c.s3.GetObject(ctx, in)
	if err != nil {
		return c.explainKey(op, bucket, key, err)
	}
	defer out.Body.Close()
	total := int64(-1)
	if out.ContentLength != nil {
		total = *out.ContentLength
	}
	tmp, err := s3CreateTemp(dest)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := newWireCounter(key, max(total, 0), progress)
	w.start()
	r := &s3ReadCounter{r: out.Body, w: w}
	n, err := io.Copy(tmp, r)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return c.explain(op, err)
	}
	if total >= 0 && n != total {
		return fmt.Errorf("%s: got %d of %d bytes: the connection ended early; try again", op, n, total)
	}
	// The mode the file ends with, as cp gives it: the replaced file's, or
	// what a new file gets.
	mode := s3NewFileMode()
	if st, err := os.Stat(dest); err == nil && st.Mode().IsRegular() {
		mode = st.Mode().Perm()
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if req.NoClobber {
		// link fails if dest appeared meanwhile: nothing is replaced.
		if err := os.Link(tmp.Name(), dest); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &ExistsError{Path: dest}
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		os.Remove(tmp.Name())
	} else if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ok = true
	if total < 0 {
		w.total = n
	}
	w.finish()
	return nil
}

type s3ReadCounter struct {
	r io.Reader
	w *wireCounter
}

func (r *s3ReadCounter) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.add(int64(n))
	}
	return n, err
}

// s3CreateTemp creates a hidden temporary file next to dest, readable by
// its owner only (0600) until Download gives it its final mode: a
// half-written copy of a secret is never readable by others.
func s3CreateTemp(dest string) (*os.File, error) {
	dir, base := filepath.Split(dest)
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf(".%s.cfsign-%d", base, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("cannot create a temporary file next to %s", dest)
}

// s3NewFileMode is the mode a new file gets: 0666 less the umask, read from
// /proc/self/status (setting the umask to read it would race with other
// goroutines creating files); 0644 where that is not available.
func s3NewFileMode() fs.FileMode {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return fs.FileMode(0o666 &^ m)
				}
			}
		}
	}
	return 0o644
}
