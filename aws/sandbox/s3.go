package sandbox

// The sandbox's S3 server is package s3server; this file gives the edge its
// bucket and the S3 server the checks that need the sandbox's secret.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
)

// bucketSource is one bucket of the S3 server as the edge's ObjectSource.
type bucketSource struct {
	srv    *s3server.Server
	bucket string
}

// Open implements ObjectSource.
func (s bucketSource) Open(ctx context.Context, key string) (*Object, error) {
	obj, err := s.srv.Open(s.bucket, key)
	if s3server.NotFound(err) {
		return nil, fmt.Errorf("%s/%s: %w", s.bucket, key, ErrNoSuchObject)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", s.bucket, key, err)
	}
	out := &Object{
		Size:         obj.Size,
		ETag:         obj.ETag,
		ContentType:  obj.Header.Get("Content-Type"),
		LastModified: obj.LastModified,
		Header:       http.Header{},
		Body:         io.NewSectionReader(obj.Body, 0, obj.Size),
		Close:        obj.Body.Close,
	}
	for k, v := range obj.Header {
		switch ck := http.CanonicalHeaderKey(k); {
		case strings.HasPrefix(ck, "X-Amz-Meta-"):
			out.Header[strings.ToLower(k)] = v // as S3 sends them, lower case
		case ck == "Content-Disposition", ck == "Content-Encoding", ck == "Content-Language", ck == "Cache-Control", ck == "Expires":
			out.Header[ck] = v
		}
	}
	return out, nil
}
