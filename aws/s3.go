package aws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ClientOptions choose the account, region and endpoint of an S3 client.
type ClientOptions struct {
	Profile         string // shared config profile; "" uses AWS_PROFILE or default
	Region          string // "" uses the profile's region
	EndpointURL     string // S3-compatible endpoint (MinIO, R2, the sandbox); path-style addressing then
	AccessKeyID     string // static credentials, for the sandbox; "" uses the config chain
	SecretAccessKey string
	// Log receives the SDK's own warnings; nil discards them, so they never
	// land on a terminal the UI owns.
	Log          io.Writer
	SessionToken string // with AccessKeyID, for temporary static credentials

	// Timeout fails a request whose connection makes no progress (nothing
	// sent or received) for this long; 0 means 10s. It is not a limit on a
	// whole transfer: a slow but moving upload never trips it.
	Timeout time.Duration
	// MaxAttempts is how many times a request is tried (retries on 5xx,
	// throttling and timeouts); 0 means 4.
	MaxAttempts int

	maxBackoff time.Duration // tests: shorter waits between retries
}

// Client lists, transfers and presigns S3 objects. Its methods return errors
// already passed through Explain: one line that says what to do.
type Client struct {
	s3       *s3.Client
	presign  *s3.PresignClient
	creds    aws.CredentialsProvider
	profile  string // for messages
	endpoint string // for messages; "" is AWS
	// endpointURL is the custom endpoint as given, for commands the user
	// may paste; "" is AWS.
	endpointURL string
	region      string
	service     string // in messages; "" is S3
	pageSize    int32  // tests: ListObjectsV2 MaxKeys; 0 is the server's 1000

	mu            sync.Mutex
	pendingAborts []s3PendingAbort // multipart uploads whose abort failed
}

// idleTimeout is how long a connection may make no progress (Timeout, else
// the default).
func (opts ClientOptions) idleTimeout() time.Duration {
	if opts.Timeout > 0 {
		return opts.Timeout
	}
	return s3DefaultIdleTimeout
}

// loadConfig loads the shared config chain for opts with cfsign's HTTP
// client (the SDK's buildable one, so AWS_CA_BUNDLE applies, with the idle
// and connect timeouts), retryer and logger. S3 and CloudFront clients share it.
func loadConfig(ctx context.Context, opts ClientOptions) (aws.Config, error) {
	connect := min(opts.idleTimeout(), s3DefaultConnectTimeout)
	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(newBuildableHTTPClient(connect)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = s3DefaultMaxAttempts
				if opts.MaxAttempts > 0 {
					o.MaxAttempts = opts.MaxAttempts
				}
				// Short waits: a dead server gives a clear error in
				// seconds, and a burst of SlowDown still passes.
				o.MaxBackoff = s3MaxBackoff
				if opts.maxBackoff > 0 {
					o.MaxBackoff = opts.maxBackoff
				}
				// No client-wide retry quota: concurrent parts failing
				// together must not starve later, unrelated requests.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if opts.Log != nil {
		loadOpts = append(loadOpts, config.WithLogger(logging.NewStandardLogger(opts.Log)))
	} else {
		loadOpts = append(loadOpts, config.WithLogger(logging.Nop{}))
	}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if opts.AccessKeyID != "" {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken)))
	}
	return config.LoadDefaultConfig(ctx, loadOpts...)
}

// NewClient builds a Client from the AWS shared config chain (profile,
// region, SSO and assume-role as the SDK supports them). EndpointURL, or
// AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, selects an S3-compatible server
// with path-style addressing. The HTTP client is the SDK's buildable one, so
// AWS_CA_BUNDLE applies. Credentials are not fetched here: the first request
// (or Presign) reports a missing or expired login, explained.
func NewClient(ctx context.Context, opts ClientOptions) (*Client, error) {
	profile := opts.Profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	c := &Client{profile: profile}
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, c.explain("load AWS config", err)
	}
	if cfg.Region == "" {
		// S3-compatible servers ignore the region, and a real bucket in
		// another region answers with its region, which Explain names.
		cfg.Region = "us-east-1"
	}
	c.region = cfg.Region
	c.creds = cfg.Credentials

	endpoint := opts.EndpointURL
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("S3 endpoint %q is not a URL like http://127.0.0.1:9000", endpoint)
		}
		c.endpoint = u.Host
		c.endpointURL = endpoint
	}
	c.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
		if strings.HasPrefix(strings.ToLower(endpoint), "http://") {
			// Over plain HTTP the SDK would hash every payload for
			// SigV4 (over HTTPS it already sends UNSIGNED-PAYLOAD): on a
			// local server that is the client's biggest CPU cost. moto
			// refuses an unsigned PUT announced with Expect: 100-continue.
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
			o.ContinueHeaderThresholdBytes = -1
		}
		// Checksums only where S3 requires them: uploads stay fast on two
		// cores, and S3-compatible servers that reject the trailers work.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}, finishHTTPClient(opts.idleTimeout()))
	c.presign = s3.NewPresignClient(c.s3)
	return c, nil
}

// ListBuckets lists the account's buckets.
func (c *Client) ListBuckets(ctx context.Context) ([]Bucket, error) {
	var out []Bucket
	p := s3.NewListBucketsPaginator(c.s3, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.explain("list buckets", err)
		}
		for _, b := range page.Buckets {
			out = append(out, Bucket{Name: aws.ToString(b.Name), Created: aws.ToTime(b.CreationDate)})
		}
	}
	return out, nil
}

// Bucket is one bucket of ListBuckets.
type Bucket struct {
	Name    string
	Created time.Time
}

// Entry is a folder (common prefix) or an object of a listing.
type Entry struct {
	Key          string // full key; folders end in "/"
	Folder       bool
	Size         int64
	LastModified time.Time
	StorageClass string
	ETag         string
}

// Page is one page of a listing; NextToken is "" on the last page.
type Page struct {
	Entries   []Entry
	NextToken string
}

// ObjectInfo is an object's metadata.
type ObjectInfo struct {
	Key          string
	Size         int64
	ContentType  string
	ETag         string
	LastModified time.Time
	StorageClass string
	Metadata     map[string]string
	// The headers CloudFront passes on to viewers, as S3 holds them.
	CacheControl, ContentDisposition, ContentEncoding string
	// Checksum is the object's checksum as S3 keeps it ("CRC32 AAAAAA=="),
	// when it keeps one and tells (HeadVersion asks it to).
	Checksum string
	// VersionID is the version HeadVersion described; "" when the bucket
	// never had versioning.
	VersionID string
	// Landed is set by Upload when the upload was cancelled or failed
	// (this error) after S3 had completed it: the object exists all the same.
	Landed error
}

// Progress is one transfer progress event.
type Progress struct {
	Key   string
	Sent  int64 // bytes sent (or received) so far
	Total int64
}

// UploadRequest is one file to upload.
type UploadRequest struct {
	Path        string // local file
	Bucket      string
	Key         string
	ContentType string // "" detects from extension and content
	PartSize    int64  // 0 chooses from the file size
	Concurrency int    // 0 chooses from the file size
	// MemoryBudget bounds the part buffers held at once (see PlanUpload);
	// 0 is DefaultMemoryBudget.
	MemoryBudget int64
	// NoClobber writes only when no object has the key (If-None-Match: *,
	// which S3 checks as it stores): an object that is there is kept, and
	// the upload fails with ErrObjectExists.
	NoClobber bool
}

// ErrObjectExists is the error (wrapped) of a NoClobber upload whose key
// names an object already.
var ErrObjectExists = errors.New("an object with that key exists")

// UploadError is the error of an upload that did not make its object (an
// upload that landed all the same returns no error, see ObjectInfo.Landed).
// It says what the server was seen to hold afterwards.
type UploadError struct {
	Err error // explained: one line
	// Multipart: the upload had started a multipart upload.
	Multipart bool
	// Clean: the server answered that it holds neither this upload's
	// object nor its multipart upload (the abort was confirmed). When
	// false, what is left is unknown, and Err says what to do.
	Clean bool
}

// Error returns the explained error.
func (e *UploadError) Error() string { return e.Err.Error() }

// Unwrap returns the explained error.
func (e *UploadError) Unwrap() error { return e.Err }

// List returns one page of folders and objects directly under prefix
// (delimiter "/"), continuing from token ("" for the first page). Folders
// come first, then objects.
func (c *Client) List(ctx context.Context, bucket, prefix, token string) (Page, error) {
	out, err := c.listPage(ctx, bucket, prefix, "/", token)
	if err != nil {
		return Page{}, c.explainKey(fmt.Sprintf("list s3://%s/%s", bucket, prefix), bucket, "", err)
	}
	return out, nil
}

// Walk lists every object under prefix recursively, calling fn once per page,
// in order. It holds a few pages at most: the next page is requested as soon as
// this one's raw answer names its continuation token, so the server's work
// and the decoding of both pages overlap (decoding XML is most of a listing's
// cost). An error from fn stops the walk and is returned.
func (c *Client) Walk(ctx context.Context, bucket, prefix string, fn func([]Entry) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		page Page
		err  error
	}
	pages := make(chan chan result, 2) // pages decoding while the next is fetched
	go func() {
		defer close(pages)
		token := ""
		for {
			res := make(chan result, 1)
			select {
			case pages <- res:
			case <-ctx.Done():
				return
			}
			next := newTokenPeek()
			go func(token string) {
				page, err := c.listPage(ctx, bucket, prefix, "", token, next.middleware)
				next.done()
				res <- result{page, err}
			}(token)
			tok, more := next.wait()
			if !more {
				return
			}
			token = tok
		}
	}()
	for res := range pages {
		var r result
		select {
		case r = <-res:
		case <-ctx.Done():
			return c.explainKey(fmt.Sprintf("list s3://%s/%s", bucket, prefix), bucket, "", ctx.Err())
		}
		if r.err != nil {
			return c.explainKey(fmt.Sprintf("list s3://%s/%s", bucket, prefix), bucket, "", r.err)
		}
		if len(r.page.Entries) > 0 {
			if err := fn(r.page.Entries); err != nil {
				return err
			}
		}
	}
	return nil
}

// tokenPeek reads a ListObjectsV2 answer's continuation token from the raw
// body, before the SDK decodes the document.
type tokenPeek struct {
	once  sync.Once
	token string
	more  bool
	ready chan struct{}
}

func newTokenPeek() *tokenPeek { return &tokenPeek{ready: make(chan struct{})} }

func (p *tokenPeek) set(token string, more bool) {
	p.once.Do(func() { p.token, p.more = token, more; close(p.ready) })
}

// done ends the peek if the answer never came (an error): no next page.
func (p *tokenPeek) done() { p.set("", false) }

func (p *tokenPeek) wait() (string, bool) {
	<-p.ready
	return p.token, p.more
}

var (
	xmlTruncated = []byte("<IsTruncated>true</IsTruncated>")
	xmlTokenOpen = []byte("<NextContinuationToken>")
	xmlTokenEnd  = []byte("</NextContinuationToken>")
)

// middleware sits just inside the operation's deserializer: it sees each
// successful raw answer first, notes the token and hands the body on.
func (p *tokenPeek) middleware(stack *middleware.Stack) error {
	return stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("cfsignTokenPeek",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
			middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if err != nil || !ok || resp.StatusCode != http.StatusOK {
				return out, md, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return out, md, err
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			token := ""
			if i := bytes.Index(body, xmlTokenOpen); i >= 0 {
				rest := body[i+len(xmlTokenOpen):]
				if j := bytes.Index(rest, xmlTokenEnd); j >= 0 {
					token = html.UnescapeString(string(rest[:j]))
				}
			}
			p.set(token, token != "" && bytes.Contains(body, xmlTruncated))
			return out, md, nil
		}), "OperationDeserializer", middleware.After)
}

func (c *Client) listPage(ctx context.Context, bucket, prefix, delim, token string, apiOptions ...func(*middleware.Stack) error) (Page, error) {
	in := &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket),
		// Keys may hold control characters that XML 1.0 cannot carry:
		// ask for URL-encoded keys, as the AWS CLI does.
		EncodingType: types.EncodingTypeUrl,
	}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	if delim != "" {
		in.Delimiter = aws.String(delim)
	}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	if c.pageSize > 0 {
		in.MaxKeys = aws.Int32(c.pageSize)
	}
	out, err := c.s3.ListObjectsV2(ctx, in, func(o *s3.Options) { o.APIOptions = append(o.APIOptions, apiOptions...) })
	if err != nil {
		return Page{}, err
	}
	// Decode only when the server says it encoded: some S3-compatible
	// servers ignore EncodingType and send keys raw.
	decode := func(s string) (string, error) { return s, nil }
	if out.EncodingType == types.EncodingTypeUrl {
		decode = url.QueryUnescape
	}
	page := Page{Entries: make([]Entry, 0, len(out.CommonPrefixes)+len(out.Contents))}
	for _, p := range out.CommonPrefixes {
		k, err := decode(aws.ToString(p.Prefix))
		if err != nil {
			return Page{}, fmt.Errorf("server sent a badly encoded prefix %q: %w", aws.ToString(p.Prefix), err)
		}
		page.Entries = append(page.Entries, Entry{Key: k, Folder: true})
	}
	for _, o := range out.Contents {
		k, err := decode(aws.ToString(o.Key))
		if err != nil {
			return Page{}, fmt.Errorf("server sent a badly encoded key %q: %w", aws.ToString(o.Key), err)
		}
		sc := string(o.StorageClass)
		if sc == "" {
			// S3 always names it; some S3-compatible servers (the sandbox's
			// gofakes3 among them) leave out the default.
			sc = string(types.ObjectStorageClassStandard)
		}
		page.Entries = append(page.Entries, Entry{
			Key:          k,
			Size:         aws.ToInt64(o.Size),
			LastModified: aws.ToTime(o.LastModified),
			StorageClass: sc,
			ETag:         aws.ToString(o.ETag),
		})
	}
	if aws.ToBool(out.IsTruncated) {
		page.NextToken = aws.ToString(out.NextContinuationToken)
	}
	return page, nil
}

// Head returns an object's metadata (its checksum aside: see HeadVersion).
func (c *Client) Head(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	info, err := c.head(ctx, bucket, key, "", false)
	if err != nil {
		return ObjectInfo{}, c.explainKey(fmt.Sprintf("head s3://%s/%s", bucket, key), bucket, key, err)
	}
	return info, nil
}

// s3DeleteBatch is S3's limit of keys per DeleteObjects request.
const s3DeleteBatch = 1000

// DeleteFailure is one key a delete did not remove, and why.
type DeleteFailure struct {
	Key, Code, Message string
}

// DeleteError says exactly how a delete fell short: how many objects were
// deleted and which were not (the first few of them, and how many).
type DeleteError struct {
	Bucket  string
	Deleted int
	Failed  []DeleteFailure // at most maxFailuresKept
	NFailed int
}

// maxFailuresKept bounds the failures a DeleteError holds: a prefix of a
// million refused keys must not hold them all in memory.
const maxFailuresKept = 100

func (e *DeleteError) Error() string {
	shown := e.Failed[:min(3, len(e.Failed))]
	parts := make([]string, len(shown))
	for i, f := range shown {
		parts[i] = fmt.Sprintf("%q (%s: %s)", f.Key, f.Code, f.Message)
	}
	more := ""
	if e.NFailed > len(shown) {
		more = fmt.Sprintf(" and %d more", e.NFailed-len(shown))
	}
	return fmt.Sprintf("delete from s3://%s: %d deleted, %d not deleted: %s%s", e.Bucket, e.Deleted, e.NFailed, strings.Join(parts, ", "), more)
}

func (e *DeleteError) add(f []DeleteFailure) {
	e.NFailed += len(f)
	if room := maxFailuresKept - len(e.Failed); room > 0 {
		e.Failed = append(e.Failed, f[:min(room, len(f))]...)
	}
}

// Delete deletes the given objects; see DeleteKeys.
func (c *Client) Delete(ctx context.Context, bucket string, keys []string) error {
	_, err := c.DeleteKeys(ctx, bucket, keys)
	return err
}

// DeleteKeys deletes the given objects and returns the keys S3 confirmed
// deleted, in order. A key counts as deleted only when S3 says so: keys that
// XML 1.0 cannot carry (most control characters, invalid UTF-8) go one at a
// time by DeleteObject, the rest a thousand per DeleteObjects request whose
// every per-key result is read. The error is a *DeleteError when some keys
// were not deleted.
func (c *Client) DeleteKeys(ctx context.Context, bucket string, keys []string) ([]string, error) {
	de := &DeleteError{Bucket: bucket}
	var deleted []string
	for start := 0; start < len(keys); start += s3DeleteBatch {
		batch := keys[start:min(start+s3DeleteBatch, len(keys))]
		ok, failed, err := c.deleteBatch(ctx, bucket, batch)
		deleted = append(deleted, ok...)
		de.Deleted += len(ok)
		de.add(failed)
		if err != nil {
			return deleted, err
		}
	}
	if de.NFailed > 0 {
		return deleted, de
	}
	return deleted, nil
}

// xmlSafe reports whether key can travel in an XML 1.0 document unchanged:
// valid UTF-8 with no control characters (CR and TAB included, which
// parsers may normalise).
func xmlSafe(key string) bool {
	if !utf8.ValidString(key) {
		return false
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}

// deleteBatch deletes at most s3DeleteBatch keys and sorts them into
// deleted and failed, in the order given. err is a request that failed as a
// whole; the keys it held are neither.
func (c *Client) deleteBatch(ctx context.Context, bucket string, keys []string) (deleted []string, failed []DeleteFailure, err error) {
	var ids []types.ObjectIdentifier
	for _, k := range keys {
		if xmlSafe(k) {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
	}
	result := map[string]*DeleteFailure{} // nil for deleted
	if len(ids) > 0 {
		out, err := c.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(false)},
		})
		if err != nil {
			return nil, nil, c.explainKey(fmt.Sprintf("delete from s3://%s", bucket), bucket, "", err)
		}
		for _, d := range out.Deleted {
			result[aws.ToString(d.Key)] = nil
		}
		for _, e := range out.Errors {
			result[aws.ToString(e.Key)] = &DeleteFailure{Key: aws.ToString(e.Key), Code: aws.ToString(e.Code), Message: aws.ToString(e.Message)}
		}
	}
	for _, k := range keys {
		if xmlSafe(k) {
			f, ok := result[k]
			switch {
			case !ok:
				failed = append(failed, DeleteFailure{Key: k, Code: "NoResult", Message: "S3 did not report it deleted"})
			case f != nil:
				failed = append(failed, *f)
			default:
				deleted = append(deleted, k)
			}
			continue
		}
		if _, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			if ctx.Err() != nil {
				return deleted, failed, c.explainKey(fmt.Sprintf("delete s3://%s/%s", bucket, k), bucket, k, err)
			}
			failed = append(failed, DeleteFailure{Key: k, Code: s3APICode(err), Message: c.explainKey("delete", bucket, k, err).Error()})
			continue
		}
		deleted = append(deleted, k)
	}
	return deleted, failed, nil
}

// DeletePrefix deletes every object under prefix and returns how many S3
// confirmed deleted. It is the explicit recursive delete: "" means the
// whole bucket, so callers ask for it only on an explicit --recursive. It
// deletes page by page as it lists, never holding the whole listing. The
// error is a *DeleteError when some objects were not deleted.
func (c *Client) DeletePrefix(ctx context.Context, bucket, prefix string) (int, error) {
	de := &DeleteError{Bucket: bucket}
	err := c.Walk(ctx, bucket, prefix, func(page []Entry) error {
		keys := make([]string, 0, len(page))
		for _, e := range page {
			keys = append(keys, e.Key)
		}
		for start := 0; start < len(keys); start += s3DeleteBatch {
			batch := keys[start:min(start+s3DeleteBatch, len(keys))]
			ok, failed, err := c.deleteBatch(ctx, bucket, batch)
			de.Deleted += len(ok)
			de.add(failed)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return de.Deleted, err
	}
	if de.NFailed > 0 {
		return de.Deleted, de
	}
	return de.Deleted, nil
}

// spanWords says how long d is in words a person reads at a glance: "8
// days", "3 years"; durations too long for time.Duration read "centuries".
func spanWords(d time.Duration) string {
	const day, year = 24 * time.Hour, 8766 * time.Hour
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d <= 0:
		return "no time at all"
	case d >= 100*year:
		return "centuries"
	case d >= 2*year:
		return plural(int64(d/year), "year")
	case d >= day:
		return plural(int64(d/day), "day")
	}
	return d.Round(time.Second).String()
}

// MaxPresign is the longest an S3 presigned URL can live (SigV4).
const MaxPresign = 7 * 24 * time.Hour

// Presign returns an S3 presigned GET URL valid for d (at most 7 days). warning
// is non-empty when the credentials are temporary.
func (c *Client) Presign(ctx context.Context, bucket, key string, d time.Duration) (url, warning string, err error) {
	return c.PresignVersion(ctx, bucket, key, "", d)
}

// PresignVersion is Presign for one version of the object ("" for the
// current one): the URL carries versionId, so it keeps serving that version
// after the object is replaced.
func (c *Client) PresignVersion(ctx context.Context, bucket, key, versionID string, d time.Duration) (url, warning string, err error) {
	if d <= 0 || d > MaxPresign {
		return "", "", fmt.Errorf("presign s3://%s/%s: S3 presigned URLs last at most 7 days (SigV4), and this one would last %s: give --expires 7d or less", bucket, key, spanWords(d))
	}
	op := fmt.Sprintf("presign s3://%s/%s", bucket, key)
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return "", "", c.explain(op, err)
	}
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if versionID != "" {
		in.VersionId = &versionID
	}
	req, err := c.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(d))
	if err != nil {
		return "", "", c.explain(op, err)
	}
	if creds.SessionToken != "" || creds.CanExpire {
		if !creds.Expires.IsZero() {
			warning = fmt.Sprintf("these credentials are temporary: the URL stops working when they expire at %s", creds.Expires.Local().Format("2006-01-02 15:04 MST"))
			if creds.Expires.Before(time.Now().Add(d)) {
				warning += ", before the " + d.String() + " asked for"
			}
		} else {
			warning = "these credentials are temporary (they carry a session token): the URL stops working when they expire"
		}
	}
	return req.URL, warning, nil
}

// ListMultipartUploads returns the keys of multipart uploads in progress in
// bucket. It first retries aborts that failed earlier (the server was
// unreachable), so after an interrupted upload a reachable server shows none.
// A server that answers NoSuchUpload for a bucket that never had an upload
// (gofakes3) counts as none.
func (c *Client) ListMultipartUploads(ctx context.Context, bucket string) ([]string, error) {
	_ = c.RetryAborts(ctx) // what still fails stays pending and shows below
	var keys []string
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl}
	for {
		out, err := c.s3.ListMultipartUploads(ctx, in)
		if err != nil {
			if s3APICode(err) == "NoSuchUpload" {
				return keys, nil
			}
			return nil, c.explainKey(fmt.Sprintf("list multipart uploads in s3://%s", bucket), bucket, "", err)
		}
		for _, u := range out.Uploads {
			k := aws.ToString(u.Key)
			if out.EncodingType == types.EncodingTypeUrl {
				if d, err := url.QueryUnescape(k); err == nil {
					k = d
				}
			}
			keys = append(keys, k)
		}
		if !aws.ToBool(out.IsTruncated) {
			return keys, nil
		}
		in.KeyMarker = out.NextKeyMarker
		in.UploadIdMarker = out.NextUploadIdMarker
	}
}
