package aws

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// CreateFolder makes a folder as the S3 console does: a zero-byte object
// whose key ends with "/". key gets the "/" if it lacks one.
func (c *Client) CreateFolder(ctx context.Context, bucket, key string) error {
	if strings.Trim(key, "/") == "" {
		return fmt.Errorf("create folder in s3://%s: empty folder name", bucket)
	}
	if !strings.HasSuffix(key, "/") {
		key += "/"
	}
	_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(key),
		Body: bytes.NewReader(nil), ContentLength: sdkaws.Int64(0)})
	if err != nil {
		return c.explainKey(fmt.Sprintf("create folder s3://%s/%s", bucket, key), bucket, key, err)
	}
	return nil
}
