package aws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// HeadVersion returns the metadata of one version of an object ("" for the
// current one), with its checksum when S3 keeps one. Reading the checksum
// of an object encrypted with KMS needs kms:Decrypt: without it, the rest
// is returned and the checksum left out.
func (c *Client) HeadVersion(ctx context.Context, bucket, key, versionID string) (ObjectInfo, error) {
	info, err := c.head(ctx, bucket, key, versionID, true)
	if err != nil && s3HTTPStatus(err) == http.StatusForbidden {
		info, err = c.head(ctx, bucket, key, versionID, false)
	}
	if err != nil {
		return ObjectInfo{}, c.explainKey(fmt.Sprintf("head s3://%s/%s", bucket, key), bucket, key, err)
	}
	return info, nil
}

// head is one HeadObject; the error is S3's own.
func (c *Client) head(ctx context.Context, bucket, key, versionID string, checksum bool) (ObjectInfo, error) {
	in := &s3.HeadObjectInput{Bucket: &bucket, Key: &key}
	if checksum {
		in.ChecksumMode = types.ChecksumModeEnabled
	}
	if versionID != "" {
		in.VersionId = &versionID
	}
	out, err := c.s3.HeadObject(ctx, in)
	if err != nil {
		return ObjectInfo{}, err
	}
	sc := string(out.StorageClass)
	if sc == "" {
		sc = string(types.StorageClassStandard) // S3 omits the header for STANDARD
	}
	info := ObjectInfo{
		Key:                key,
		Size:               aws.ToInt64(out.ContentLength),
		ContentType:        aws.ToString(out.ContentType),
		ETag:               aws.ToString(out.ETag),
		LastModified:       aws.ToTime(out.LastModified),
		StorageClass:       sc,
		Metadata:           out.Metadata,
		CacheControl:       aws.ToString(out.CacheControl),
		ContentDisposition: aws.ToString(out.ContentDisposition),
		ContentEncoding:    aws.ToString(out.ContentEncoding),
		VersionID:          aws.ToString(out.VersionId),
	}
	for _, ck := range []struct {
		name string
		v    *string
	}{
		{"CRC64NVME", out.ChecksumCRC64NVME}, {"CRC32C", out.ChecksumCRC32C}, {"CRC32", out.ChecksumCRC32},
		{"SHA256", out.ChecksumSHA256}, {"SHA1", out.ChecksumSHA1},
	} {
		if v := aws.ToString(ck.v); v != "" {
			info.Checksum = ck.name + " " + v
			if out.ChecksumType != "" {
				info.Checksum += " (" + strings.ToLower(string(out.ChecksumType)) + ")"
			}
			break
		}
	}
	return info, nil
}

// Head is the first part of an object's body, read with a ranged GET.
type Head struct {
	Data []byte
	// Total is the object's whole size, from Content-Range (or the length
	// when the server sent it all).
	Total int64
}

// ReadHead reads at most n bytes from the start of an object (one version
// of it, or the current one for ""), with Range: bytes=0-(n-1): a large
// object is never fetched whole. An empty object is no error.
func (c *Client) ReadHead(ctx context.Context, bucket, key, versionID string, n int64) (Head, error) {
	op := fmt.Sprintf("read s3://%s/%s", bucket, key)
	if n <= 0 {
		return Head{}, fmt.Errorf("%s: nothing to read", op)
	}
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: aws.String(fmt.Sprintf("bytes=0-%d", n-1))}
	if versionID != "" {
		in.VersionId = &versionID
	}
	out, err := c.s3.GetObject(ctx, in)
	if err != nil {
		if s3APICode(err) == "InvalidRange" {
			return Head{}, nil // an empty object has no byte 0
		}
		return Head{}, c.explainKey(op, bucket, key, err)
	}
	defer out.Body.Close()
	// A server that ignores Range sends the whole body: read no more than n.
	data, err := io.ReadAll(io.LimitReader(out.Body, n))
	if err != nil {
		return Head{}, c.explain(op, err)
	}
	h := Head{Data: data, Total: aws.ToInt64(out.ContentLength)}
	if cr := aws.ToString(out.ContentRange); cr != "" {
		// bytes 0-99/1234
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			var total int64
			if _, err := fmt.Sscan(cr[i+1:], &total); err == nil {
				h.Total = total
			}
		}
	}
	return h, nil
}

// Version is one version of an object, or a delete marker.
type Version struct {
	ID           string // "null" for the one made while versioning was off
	Size         int64
	LastModified time.Time
	ETag         string
	StorageClass string
	Latest       bool // the current version (or marker)
	DeleteMarker bool
}

// maxVersions bounds how many versions of one object Versions returns.
const maxVersions = 1000

// Versions lists the versions of one object, newest first, with its delete
// markers; at most 1,000 (more says so with more). A bucket that never had
// versioning answers one version, "null", per object.
func (c *Client) Versions(ctx context.Context, bucket, key string) (vs []Version, more bool, err error) {
	op := fmt.Sprintf("list versions of s3://%s/%s", bucket, key)
	in := &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key, EncodingType: types.EncodingTypeUrl}
	decode := func(s *string) string {
		k := aws.ToString(s)
		if d, err := url.QueryUnescape(k); err == nil {
			return d
		}
		return k
	}
	for {
		out, err := c.s3.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, false, c.explainKey(op, bucket, key, err)
		}
		enc := out.EncodingType == types.EncodingTypeUrl
		name := func(s *string) string {
			if enc {
				return decode(s)
			}
			return aws.ToString(s)
		}
		past := false
		for _, v := range out.Versions {
			switch k := name(v.Key); {
			case k == key:
				vs = append(vs, Version{ID: aws.ToString(v.VersionId), Size: aws.ToInt64(v.Size), LastModified: aws.ToTime(v.LastModified),
					ETag: aws.ToString(v.ETag), StorageClass: string(v.StorageClass), Latest: aws.ToBool(v.IsLatest)})
			case k > key:
				past = true
			}
		}
		for _, m := range out.DeleteMarkers {
			switch k := name(m.Key); {
			case k == key:
				vs = append(vs, Version{ID: aws.ToString(m.VersionId), LastModified: aws.ToTime(m.LastModified), Latest: aws.ToBool(m.IsLatest), DeleteMarker: true})
			case k > key:
				past = true
			}
		}
		if len(vs) >= maxVersions {
			return sortVersions(vs)[:maxVersions], true, nil // the newest
		}
		if past || !aws.ToBool(out.IsTruncated) {
			return sortVersions(vs), false, nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
		if enc {
			// The markers come encoded too; S3 wants them as keys.
			in.KeyMarker = aws.String(decode(out.NextKeyMarker))
		}
	}
}

// sortVersions puts versions newest first, the current one at the top; S3
// lists them so, but its delete markers come in a list of their own.
func sortVersions(vs []Version) []Version {
	slices.SortStableFunc(vs, func(a, b Version) int {
		if a.Latest != b.Latest { // times tie within a second: the current one first
			if a.Latest {
				return -1
			}
			return 1
		}
		return b.LastModified.Compare(a.LastModified)
	})
	return vs
}
