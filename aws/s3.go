package aws

import (
	"context"
	"time"
)

// ClientOptions choose the account, region and endpoint of an S3 client.
type ClientOptions struct {
	Profile         string // shared config profile; "" uses AWS_PROFILE or default
	Region          string // "" uses the profile's region
	EndpointURL     string // S3-compatible endpoint (MinIO, R2, the sandbox); path-style addressing then
	AccessKeyID     string // static credentials, for the sandbox; "" uses the config chain
	SecretAccessKey string
}

// Client lists, transfers and presigns S3 objects.
type Client struct{}

// NewClient builds a Client from the AWS shared config chain.
func NewClient(ctx context.Context, opts ClientOptions) (*Client, error) { return nil, errTODO }

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
}

// ListBuckets lists the account's buckets.
func (c *Client) ListBuckets(ctx context.Context) ([]Bucket, error) { return nil, errTODO }

// List returns one page of folders and objects directly under prefix
// (delimiter "/"), continuing from token ("" for the first page).
func (c *Client) List(ctx context.Context, bucket, prefix, token string) (Page, error) {
	return Page{}, errTODO
}

// Walk lists every object under prefix recursively, calling fn once per page.
func (c *Client) Walk(ctx context.Context, bucket, prefix string, fn func([]Entry) error) error {
	return errTODO
}

// Upload uploads one file, reporting progress (bytes actually sent) about ten
// times a second. Cancelling ctx or failing aborts a multipart upload.
func (c *Client) Upload(ctx context.Context, req UploadRequest, progress func(Progress)) (ObjectInfo, error) {
	return ObjectInfo{}, errTODO
}

// PlanUploads expands paths (files or directories, recursively) into uploads
// under bucket/prefix, keeping paths relative to each argument.
func PlanUploads(paths []string, bucket, prefix string) ([]UploadRequest, error) { return nil, errTODO }

// Head returns an object's metadata.
func (c *Client) Head(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	return ObjectInfo{}, errTODO
}

// Download writes an object to dest through a temporary file renamed at the end.
func (c *Client) Download(ctx context.Context, bucket, key, dest string, progress func(Progress)) error {
	return errTODO
}

// Delete deletes the given objects.
func (c *Client) Delete(ctx context.Context, bucket string, keys []string) error { return errTODO }

// DeletePrefix deletes every object under prefix and returns how many.
func (c *Client) DeletePrefix(ctx context.Context, bucket, prefix string) (int, error) {
	return 0, errTODO
}

// Presign returns an S3 presigned GET URL valid for d (at most 7 days). warning
// is non-empty when the credentials are temporary.
func (c *Client) Presign(ctx context.Context, bucket, key string, d time.Duration) (url, warning string, err error) {
	return "", "", errTODO
}
