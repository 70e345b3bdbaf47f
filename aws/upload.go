package aws

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Upload sizing. S3 allows parts of 5 s3MiB to 5 GiB and at most 10,000 parts.
const (
	s3MiB            = 1 << 20
	s3MinPartSize    = 5 * s3MiB
	s3MaxParts       = 10000
	s3SinglePutLimit = 16 * s3MiB // below this, one PutObject
	// DefaultMemoryBudget bounds the part buffers of one multipart upload
	// (see PlanUpload) when UploadRequest.MemoryBudget is 0.
	DefaultMemoryBudget = 512 * s3MiB
	s3AbortTimeout      = 6 * time.Second
	s3AbortCheckLimit   = 5 * time.Second
)

// UploadPlan is how a file of a given size is sent.
type UploadPlan struct {
	Multipart   bool
	PartSize    int64
	Concurrency int
	Parts       int64
	// Lowered is the concurrency asked for when the memory budget lowered
	// it; 0 when it was not lowered.
	Lowered int
	// LoweredPartSize is the part size asked for when the memory budget
	// lowered it (even one part at a time would not fit); 0 otherwise.
	LoweredPartSize int64
	// Memory is the part buffers the transfer holds at once, in bytes.
	Memory int64
}

// PlanUpload chooses part size and concurrency from the file size; partSize
// and concurrency override the choice when non-zero. Small files go in one
// PUT; larger ones in 8-16 MiB parts (more for huge files, to stay within
// 10,000 parts) sent 4-8 at a time.
//
// A multipart upload holds up to concurrency+2 part buffers in memory: the
// transfer manager reads the first part into a buffer of its own and keeps a
// pool of concurrency+1 for the rest (one read ahead). budget (0 is
// DefaultMemoryBudget) bounds them: the concurrency, given or chosen, is
// lowered until they fit, down to one part at a time; when even that would
// not fit, the part size is lowered too (within S3's 10,000 parts). A part
// is never larger than the file.
func PlanUpload(size, partSize int64, concurrency int, budget int64) (UploadPlan, error) {
	if partSize != 0 && partSize < s3MinPartSize {
		return UploadPlan{}, fmt.Errorf("part size %d bytes is below S3's 5 MiB minimum", partSize)
	}
	if partSize > 5<<30 {
		return UploadPlan{}, fmt.Errorf("part size %d bytes is above S3's 5 GiB maximum", partSize)
	}
	if concurrency < 0 || concurrency > 64 {
		return UploadPlan{}, fmt.Errorf("concurrency %d is out of range (1-64)", concurrency)
	}
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	threshold := int64(s3SinglePutLimit)
	if partSize != 0 && partSize < threshold {
		threshold = partSize
	}
	if size < threshold {
		return UploadPlan{PartSize: max(size, 0), Concurrency: 1, Parts: 1, Memory: max(size, 0)}, nil
	}
	p := UploadPlan{Multipart: true, PartSize: partSize, Concurrency: concurrency}
	if p.PartSize == 0 {
		p.PartSize = 8 * s3MiB
		if size > 1<<30 {
			p.PartSize = 16 * s3MiB
		}
		// Stay within 10,000 parts, in whole MiB.
		if need := (size + s3MaxParts - 1) / s3MaxParts; need > p.PartSize {
			p.PartSize = (need + s3MiB - 1) / s3MiB * s3MiB
		}
	}
	// A part larger than the file would only be a larger buffer.
	p.PartSize = min(p.PartSize, max((size+s3MiB-1)/s3MiB*s3MiB, s3MinPartSize))
	// One part at a time (three buffers) must fit, if S3's limits allow.
	if 3*p.PartSize > budget {
		need := ((size+s3MaxParts-1)/s3MaxParts + s3MiB - 1) / s3MiB * s3MiB
		if fit := max(budget/3/s3MiB*s3MiB, need, s3MinPartSize); fit < p.PartSize {
			if partSize != 0 {
				p.LoweredPartSize = partSize
			}
			p.PartSize = fit
		}
	}
	p.Parts = (size + p.PartSize - 1) / p.PartSize
	if p.Parts > s3MaxParts {
		return UploadPlan{}, fmt.Errorf("%d parts of %d bytes exceed S3's 10,000-part limit: use a larger part size", p.Parts, p.PartSize)
	}
	if p.Concurrency == 0 {
		switch {
		case size < 128*s3MiB:
			p.Concurrency = 4
		case size < 1<<30:
			p.Concurrency = 6
		default:
			p.Concurrency = 8
		}
	}
	p.Concurrency = int(min(int64(p.Concurrency), p.Parts))
	if fit := int(max(1, budget/p.PartSize-2)); p.Concurrency > fit {
		if concurrency != 0 {
			p.Lowered = concurrency
		}
		p.Concurrency = fit
	}
	p.Memory = int64(min(int64(p.Concurrency)+2, p.Parts+1)) * p.PartSize
	return p, nil
}

// Upload uploads one file, reporting progress (bytes actually sent) about ten
// times a second, then once at the file size when S3 has confirmed it.
// Cancelling ctx or failing aborts a multipart upload; if the abort cannot
// reach the server, the error names the upload ID and the client retries the
// abort on its next Upload or ListMultipartUploads (see RetryAborts).
func (c *Client) Upload(ctx context.Context, req UploadRequest, progress func(Progress)) (ObjectInfo, error) {
	op := fmt.Sprintf("upload %s to s3://%s/%s", req.Path, req.Bucket, req.Key)
	if req.Bucket == "" || req.Key == "" {
		return ObjectInfo{}, fmt.Errorf("%s: bucket and key are required", op)
	}
	_ = c.RetryAborts(ctx)
	f, err := os.Open(req.Path)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("upload: %w", err)
	}
	if !st.Mode().IsRegular() {
		return ObjectInfo{}, fmt.Errorf("upload %s: not a regular file", req.Path)
	}
	size := st.Size()
	plan, err := PlanUpload(size, req.PartSize, req.Concurrency, req.MemoryBudget)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("%s: %w", op, err)
	}
	ct := req.ContentType
	if ct == "" {
		ct = DetectContentType(req.Path, f)
	}

	w := newWireCounter(req.Key, size, progress)
	w.start()
	var api transfermanager.S3APIClient = c.s3
	if s3UploadNeedsMD5(aws.ToString(c.s3.Options().BaseEndpoint)) {
		api = s3ContentMD5Client{c.s3}
	}
	watch := &s3UploadWatch{S3APIClient: api, strays: func(sent time.Time, used string) {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3AbortCheckLimit)
		defer cancel()
		c.abortStrays(actx, req.Bucket, req.Key, sent, used)
	}}
	api = watch
	tm := transfermanager.New(api, func(o *transfermanager.Options) {
		o.PartSizeBytes = max(plan.PartSize, s3MinPartSize)
		o.Concurrency = plan.Concurrency
		// The transfer manager reads the first part whole, in two reads
		// joined by a copy unless the threshold is the part size: then one
		// part's worth is all it holds before sending.
		o.MultipartUploadThreshold = o.PartSizeBytes
		if !plan.Multipart {
			o.MultipartUploadThreshold = size + 1
		}
		// What follows a failure or cancel (the progress listeners; the
		// abort is ours, see s3UploadWatch) gets a fresh context.
		o.FailTimeout = s3AbortTimeout
		// No CRC32 trailers (see s3UploadNeedsMD5 for what guards the
		// bytes instead): they need aws-chunked bodies, which gofakes3 (so
		// the sandbox) stores with the chunk framing inside the data, and
		// some S3-compatible servers refuse.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	in := &transfermanager.UploadObjectInput{
		Bucket:      aws.String(req.Bucket),
		Key:         aws.String(req.Key),
		Body:        f,
		ContentType: aws.String(ct),
	}
	if req.NoClobber {
		in.IfNoneMatch = aws.String("*")
	}
	out, err := tm.UploadObject(withWireCounter(ctx, w), in)
	if err != nil && req.NoClobber && s3HTTPStatus(err) == http.StatusPreconditionFailed {
		// S3 kept an object that was there; or, when the PUT or Complete
		// was sent again, the retry found its own first attempt landed.
		if watch.writeRetried() {
			if info, found, _ := c.landed(ctx, req, f, size, max(plan.PartSize, s3MinPartSize)); found {
				w.finish()
				info.ContentType = ct
				return info, nil
			}
		}
		ue := &UploadError{Err: fmt.Errorf("%s: %w", op, ErrObjectExists), Clean: true}
		var mpe transfermanager.MultipartUploadError
		if errors.As(err, &mpe) {
			// The parts go; when they cannot, the error says how.
			ue.Multipart = true
			if aerr, aborted := c.afterFailedMultipart(op, req.Bucket, req.Key, mpe.UploadID(), err); !aborted {
				ue.Err, ue.Clean = fmt.Errorf("%w (%v)", ue.Err, aerr), false
			}
		}
		return ObjectInfo{}, ue
	}
	if err != nil {
		// The upload failed or was cancelled, but its last request
		// (PutObject, or CompleteMultipartUpload) may have landed although
		// its answer was lost, cut off or retried into NoSuchUpload: abort
		// what may be left, then look.
		ue := &UploadError{}
		var mpe transfermanager.MultipartUploadError
		switch sent, created := watch.create(); {
		case errors.As(err, &mpe):
			ue.Multipart = true
			ue.Err, ue.Clean = c.afterFailedMultipart(op, req.Bucket, req.Key, mpe.UploadID(), err)
		case !sent.IsZero() && !created && !s3Refused(err):
			// CreateMultipartUpload was sent and its answer never came: the
			// server may hold an upload whose ID nobody knows.
			ue.Multipart = true
			ue.Err, ue.Clean = c.afterLostCreate(op, req.Bucket, req.Key, sent, err)
		default:
			ue.Err, ue.Clean = c.explainKey(op, req.Bucket, req.Key, s3ExplainDamage(op, err)), true
		}
		info, found, lerr := c.landed(ctx, req, f, size, max(plan.PartSize, s3MinPartSize))
		if found {
			w.finish()
			info.ContentType = ct
			info.Landed = s3UnwrapMultipart(err)
			return info, nil
		}
		ue.Clean = ue.Clean && lerr == nil
		return ObjectInfo{}, ue
	}
	w.finish()
	return ObjectInfo{
		Key:          req.Key,
		Size:         size,
		ContentType:  ct,
		ETag:         aws.ToString(out.ETag),
		LastModified: time.Now(),
	}, nil
}

// s3UploadNeedsMD5 reports whether uploads to endpoint ("" is AWS) send a
// Content-MD5 with each part: only over plain HTTP to another machine.
//
// The SDK's default CRC32 per part is off for uploads (and everything else,
// see NewClient). Over HTTPS, as to AWS, TLS authenticates every byte on the
// way; to a loopback server, such as the sandbox, the bytes cross no wire.
// Over plain HTTP to another host nothing but TCP's 16-bit checksum would
// catch a damaged byte, and the payload is not signed either (NewClient sends
// UNSIGNED-PAYLOAD there), so each part then carries its MD5, which S3,
// MinIO and gofakes3 check (BadDigest), at the cost of one MD5 pass over the
// file on the client.
var s3UploadNeedsMD5 = func(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// s3ContentMD5Client sends a Content-MD5 header with every PutObject and
// UploadPart; the other calls of the transfer manager pass through.
type s3ContentMD5Client struct{ *s3.Client }

// PutObject sends in with a Content-MD5.
func (c s3ContentMD5Client) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return c.Client.PutObject(ctx, in, append(slices.Clip(opts), s3WithContentMD5)...)
}

// UploadPart sends in with a Content-MD5.
func (c s3ContentMD5Client) UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return c.Client.UploadPart(ctx, in, append(slices.Clip(opts), s3WithContentMD5)...)
}

func s3WithContentMD5(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Build.Add(s3ContentMD5, middleware.After)
	})
}

// s3ContentMD5 hashes a request's body and sets Content-MD5 before the
// request is signed. The transfer manager's bodies are in memory and
// seekable, so the hash costs no extra read of the file.
var s3ContentMD5 = middleware.BuildMiddlewareFunc("cfsignContentMD5", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok || req.GetStream() == nil || req.Header.Get("Content-MD5") != "" {
		return next.HandleBuild(ctx, in)
	}
	if !req.IsStreamSeekable() {
		return middleware.BuildOutput{}, middleware.Metadata{}, errors.New("compute Content-MD5: the body cannot be read twice")
	}
	h := md5.New()
	if _, err := io.Copy(h, req.GetStream()); err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("compute Content-MD5: %w", err)
	}
	if err := req.RewindStream(); err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("compute Content-MD5: %w", err)
	}
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(h.Sum(nil)))
	return next.HandleBuild(ctx, in)
})

// s3UploadWatch is the transfer manager's client for one upload. It notes
// when CreateMultipartUpload was first sent and whether an answer came, so a
// failed upload knows when the server may hold an upload of unknown ID (see
// afterLostCreate).
//
// It also keeps the transfer manager from aborting a failed multipart upload
// itself: Upload aborts it (afterFailedMultipart), once, and reads the
// answer. When the manager's own abort fails, even with NoSuchUpload because
// an earlier attempt of it or a CompleteMultipartUpload landed, it replaces
// the upload's error with a new one that only quotes the old as text: the
// cause (a cancel: context.Canceled) is lost, and its raw SDK text would be
// all the user sees.
type s3UploadWatch struct {
	transfermanager.S3APIClient
	mu      sync.Mutex
	sent    time.Time
	created bool
	writes  int // attempts of PutObject and CompleteMultipartUpload
	// strays aborts the uploads that creations whose answers were lost
	// made, once a retry's answer names the one used (best effort).
	strays func(sent time.Time, used string)
}

// CreateMultipartUpload sends in, noting when and whether it was answered.
func (w *s3UploadWatch) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	w.mu.Lock()
	if w.sent.IsZero() {
		w.sent = time.Now()
	}
	w.mu.Unlock()
	out, err := w.S3APIClient.CreateMultipartUpload(ctx, in, opts...)
	if err == nil {
		w.mu.Lock()
		w.created = true
		sent := w.sent
		w.mu.Unlock()
		// The answer came to a retry: the attempts before may have made
		// uploads too. They go now, while the one used is listed beside
		// them and tells, by its start, which are older.
		if attempts, _ := retry.GetAttemptResults(out.ResultMetadata); len(attempts.Results) > 1 && w.strays != nil {
			w.strays(sent, aws.ToString(out.UploadId))
		}
	}
	return out, err
}

// create reports when CreateMultipartUpload was first sent (zero: never)
// and whether it was answered.
func (w *s3UploadWatch) create() (sent time.Time, created bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent, w.created
}

// PutObject sends in, counting its attempts (see writeRetried).
func (w *s3UploadWatch) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return w.S3APIClient.PutObject(ctx, in, append(slices.Clip(opts), w.countWrites)...)
}

// CompleteMultipartUpload sends in, counting its attempts.
func (w *s3UploadWatch) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return w.S3APIClient.CompleteMultipartUpload(ctx, in, append(slices.Clip(opts), w.countWrites)...)
}

// countWrites counts each attempt of the request, retries included.
func (w *s3UploadWatch) countWrites(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("cfsignCountWrites",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				w.mu.Lock()
				w.writes++
				w.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After) // after the retryer: once per attempt
	})
}

// writeRetried reports whether the PUT or Complete that makes the object
// was sent more than once: then a refusal may answer its own first attempt.
func (w *s3UploadWatch) writeRetried() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes > 1
}

// AbortMultipartUpload does nothing: Upload aborts after the manager returns.
func (*s3UploadWatch) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return &s3.AbortMultipartUploadOutput{}, nil
}

// s3ClockSlack is how far the server's clock may be from ours when
// afterLostCreate decides which uploads are this one's.
const s3ClockSlack = time.Minute

// s3Refused reports whether err is the server's own answer refusing the
// request (a 4xx): then it made nothing, and no answer was lost.
func s3Refused(err error) bool {
	st := s3HTTPStatus(err)
	return st >= 400 && st < 500
}

// afterLostCreate aborts the multipart uploads of key that the server
// started since sent (less s3ClockSlack): those a CreateMultipartUpload whose
// answer was lost (a cancel, a dropped connection, each retry) may have
// made. aborted is true when none is left; otherwise the error names them,
// or says how to look when the server could not be asked.
func (c *Client) afterLostCreate(op, bucket, key string, sent time.Time, cause error) (err error, aborted bool) {
	explained := c.explainKey(op, bucket, key, s3ExplainDamage(op, cause))
	ctx, cancel := context.WithTimeout(context.Background(), s3AbortCheckLimit)
	defer cancel()
	left, lerr := c.abortSince(ctx, bucket, key, sent, time.Now().Add(s3ClockSlack), "")
	if lerr != nil {
		return &ExplainedError{
			Msg: fmt.Sprintf("%s; a multipart upload may be left (the answer to its creation was lost): list them with aws s3api list-multipart-uploads%s --bucket %s --prefix %q",
				explained.Error(), c.endpointFlag(), bucket, key),
			Err: cause,
		}, false
	}
	if len(left) == 0 {
		return explained, true
	}
	return &ExplainedError{
		Msg: fmt.Sprintf("%s; multipart upload %s could not be aborted: remove it with aws s3api abort-multipart-upload%s --bucket %s --key %q --upload-id %s",
			explained.Error(), strings.Join(left, ", "), c.endpointFlag(), bucket, key, left[0]),
		Err: cause,
	}, false
}

// abortSince aborts the multipart uploads of key begun between from (less
// s3ClockSlack: the server's clock is not ours) and to, in the server's
// time, but for the one named except, and returns those whose abort failed.
// err is set when the uploads could not be listed.
func (c *Client) abortSince(ctx context.Context, bucket, key string, from, to time.Time, except string) (left []string, err error) {
	ups, err := c.uploadsOf(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	from = from.Add(-s3ClockSlack)
	for _, u := range ups {
		id := aws.ToString(u.UploadId)
		begun := aws.ToTime(u.Initiated)
		if id == except || u.Initiated != nil && (begun.Before(from) || begun.After(to)) {
			continue
		}
		if c.abort(ctx, s3PendingAbort{bucket, key, id}) != nil {
			left = append(left, id)
		}
	}
	return left, nil
}

// abortStrays aborts the uploads of key that the creations of the upload
// used made before it: those begun since sent, and not after used, in the
// server's own time. An upload another writer begins later is left alone,
// and so is every other when used is not listed (nothing tells them apart).
func (c *Client) abortStrays(ctx context.Context, bucket, key string, sent time.Time, used string) {
	ups, err := c.uploadsOf(ctx, bucket, key)
	if err != nil {
		return
	}
	for _, u := range ups {
		if aws.ToString(u.UploadId) == used && u.Initiated != nil {
			c.abortSince(ctx, bucket, key, sent, *u.Initiated, used)
		}
	}
}

// uploadsOf lists the multipart uploads of exactly key.
func (c *Client) uploadsOf(ctx context.Context, bucket, key string) ([]types.MultipartUpload, error) {
	var ups []types.MultipartUpload
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)}
	for {
		out, err := c.s3.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) == key {
				ups = append(ups, u)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return ups, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// afterFailedMultipart aborts the failed upload. Success or NoSuchUpload (an
// earlier attempt of this abort landed, or the upload was completed: landed
// then looks for the object) proves no multipart upload is left: aborted is
// then true.
func (c *Client) afterFailedMultipart(op, bucket, key, uploadID string, cause error) (err error, aborted bool) {
	aerr := c.abort(context.Background(), s3PendingAbort{bucket, key, uploadID})
	explained := c.explainKey(op, bucket, key, s3ExplainDamage(op, s3UnwrapMultipart(cause)))
	if aerr == nil {
		return explained, true
	}
	c.mu.Lock()
	c.pendingAborts = append(c.pendingAborts, s3PendingAbort{bucket, key, uploadID})
	c.mu.Unlock()
	return &ExplainedError{
		Msg: fmt.Sprintf("%s; multipart upload %s could not be aborted (the server did not answer): remove it with aws s3api abort-multipart-upload%s --bucket %s --key %q --upload-id %s",
			explained.Error(), uploadID, c.endpointFlag(), bucket, key, uploadID),
		Err: cause,
	}, false
}

// endpointFlag is " --endpoint-url URL" for an AWS CLI command the user may
// paste, when the client talks to a custom endpoint; "" for AWS itself.
// The URL's user:password, if any, is left out.
func (c *Client) endpointFlag() string {
	if c.endpointURL == "" {
		return ""
	}
	u, err := url.Parse(c.endpointURL)
	if err != nil {
		return ""
	}
	u.User = nil
	return " --endpoint-url " + u.String()
}

// s3ExplainDamage explains BadDigest: the server's MD5 of a body differs
// from the Content-MD5 sent with it (see s3UploadNeedsMD5).
func s3ExplainDamage(op string, err error) error {
	if s3APICode(err) != "BadDigest" {
		return err
	}
	return &ExplainedError{
		Msg: op + ": data was damaged on the way to the server (BadDigest: its MD5 does not match); try again, and prefer an https:// endpoint",
		Err: err,
	}
}

// landed reports whether the object this upload would have made is on the
// server: same size, and the ETag of these bytes (the multipart ETag of
// these parts, or the whole file's MD5, which single PUTs and some servers
// give). err is set when the server could not be asked (then nobody knows).
// It runs with its own short deadline, as a cancelled upload still must
// find out what happened.
func (c *Client) landed(ctx context.Context, req UploadRequest, f io.ReaderAt, size, partSize int64) (ObjectInfo, bool, error) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3AbortCheckLimit)
	defer cancel()
	info, err := c.Head(hctx, req.Bucket, req.Key)
	if err != nil {
		var api smithy.APIError
		if s3HTTPStatus(err) == http.StatusNotFound || errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey") {
			return ObjectInfo{}, false, nil
		}
		return ObjectInfo{}, false, err
	}
	if info.Size != size {
		return ObjectInfo{}, false, nil
	}
	multipart, whole, err := uploadETags(f, size, partSize)
	if err != nil {
		return ObjectInfo{}, false, err
	}
	etag := strings.Trim(info.ETag, `"`)
	if etag != multipart && etag != whole {
		return ObjectInfo{}, false, nil
	}
	return info, true, nil
}

// uploadETags returns the ETags S3 gives the bytes of f: uploaded in parts
// of partSize (MD5 of the parts' MD5s, "-N"), and in one PUT (the MD5).
func uploadETags(f io.ReaderAt, size, partSize int64) (multipart, whole string, err error) {
	all := md5.New()
	var sums []byte
	n := 0
	for off := int64(0); off < size || n == 0; off += partSize {
		part := md5.New()
		if _, err := io.Copy(io.MultiWriter(part, all), io.NewSectionReader(f, off, min(partSize, size-off))); err != nil {
			return "", "", err
		}
		sums = append(sums, part.Sum(nil)...)
		n++
		if size == 0 {
			break
		}
	}
	mp := md5.Sum(sums)
	return fmt.Sprintf("%x-%d", mp, n), fmt.Sprintf("%x", all.Sum(nil)), nil
}

// s3UnwrapMultipart drops the transfer manager's "upload multipart failed,
// upload id: ..., cause:" wrapper so the explanation reads as one line.
func s3UnwrapMultipart(err error) error {
	var mpe transfermanager.MultipartUploadError
	if errors.As(err, &mpe) {
		if inner := errors.Unwrap(mpe); inner != nil {
			return inner
		}
	}
	return err
}

type s3PendingAbort struct{ bucket, key, uploadID string }

// abort aborts one multipart upload within its own short timeout, retrying
// an error the server answered (a 500 after it may have aborted).
// NoSuchUpload means it is already gone, which is what we want.
func (c *Client) abort(ctx context.Context, p s3PendingAbort) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3AbortCheckLimit)
	defer cancel()
	_, err := c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(p.bucket), Key: aws.String(p.key), UploadId: aws.String(p.uploadID),
	})
	if err == nil || s3APICode(err) == "NoSuchUpload" {
		return nil
	}
	return err
}

// RetryAborts retries the aborts of multipart uploads that failed while the
// server was unreachable. Those still failing stay pending; the error says
// how many.
func (c *Client) RetryAborts(ctx context.Context) error {
	c.mu.Lock()
	pending := c.pendingAborts
	c.pendingAborts = nil
	c.mu.Unlock()
	var still []s3PendingAbort
	var last error
	for _, p := range pending {
		if err := c.abort(ctx, p); err != nil {
			still = append(still, p)
			last = err
		}
	}
	if len(still) == 0 {
		return nil
	}
	c.mu.Lock()
	c.pendingAborts = append(c.pendingAborts, still...)
	c.mu.Unlock()
	return c.explain(fmt.Sprintf("abort %d interrupted multipart uploads", len(still)), last)
}

// DetectContentType picks a MIME type from the file name's extension, then
// from the first 512 bytes of content.
func DetectContentType(name string, r io.ReaderAt) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		return t
	}
	buf := make([]byte, 512)
	n, _ := r.ReadAt(buf, 0)
	return http.DetectContentType(buf[:n])
}

// PlanUploads expands paths (files or directories, recursively) into uploads
// under bucket/prefix. A file becomes prefix+its name; a directory keeps its
// own name and the paths below it (dir "photos" gives prefix+"photos/a.jpg").
// A prefix that does not end in "/" is a key: it names a single file's
// object, or is joined with "/" for several files or a directory. Symbolic
// links to directories are not followed.
func PlanUploads(paths []string, bucket, prefix string) ([]UploadRequest, error) {
	if len(paths) == 0 {
		return nil, errors.New("upload: no files given")
	}
	if bucket == "" {
		return nil, errors.New("upload: no bucket given")
	}
	into := prefix == "" || strings.HasSuffix(prefix, "/")
	if !into {
		if len(paths) == 1 {
			st, err := os.Stat(paths[0])
			if err != nil {
				return nil, fmt.Errorf("upload: %w", err)
			}
			if st.Mode().IsRegular() {
				return []UploadRequest{{Path: paths[0], Bucket: bucket, Key: prefix}}, nil
			}
		}
		prefix += "/"
	}
	var out []UploadRequest
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("upload: %w", err)
		}
		if st.Mode().IsRegular() {
			out = append(out, UploadRequest{Path: p, Bucket: bucket, Key: prefix + filepath.Base(p)})
			continue
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("upload %s: not a file or directory", p)
		}
		clean := filepath.Clean(p)
		base := filepath.Dir(clean)
		err = filepath.WalkDir(clean, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// WalkDir does not follow symlinked directories; a symlink to a
			// file is uploaded as that file's content.
			if d.IsDir() {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(fp)
				if err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(base, fp)
			if err != nil {
				return err
			}
			if clean == "." || clean == "/" || filepath.Base(clean) == ".." {
				rel, _ = filepath.Rel(clean, fp)
			}
			out = append(out, UploadRequest{Path: fp, Bucket: bucket, Key: prefix + path.Clean(filepath.ToSlash(rel))})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", p, err)
		}
	}
	seen := make(map[string]string, len(out))
	for _, r := range out {
		if prev, ok := seen[r.Key]; ok {
			return nil, fmt.Errorf("upload: %s and %s would both become s3://%s/%s; upload them separately", prev, r.Path, bucket, r.Key)
		}
		seen[r.Key] = r.Path
	}
	return out, nil
}
