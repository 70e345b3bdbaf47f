package s3server

import (
	"bytes"
	"context"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The answers in XML carry the checksum of the algorithm the object or part
// was stored with, in its own element: Complete, ListParts, CopyObject and
// GetObjectAttributes, as the SDK reads them.
func TestChecksumsInXMLAnswers(t *testing.T) {
	srv, c := serve(t, Options{})
	if err := srv.EnsureBucket("b"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("mp"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("mp"), UploadId: up.UploadId,
		PartNumber: sdkaws.Int32(1), Body: bytes.NewReader([]byte("part one")), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	if err != nil || part.ChecksumSHA256 == nil {
		t.Fatalf("UploadPart: %v, SHA-256 %v", err, part)
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("mp"), UploadId: up.UploadId})
	if err != nil || len(parts.Parts) != 1 || sdkaws.ToString(parts.Parts[0].ChecksumSHA256) != sdkaws.ToString(part.ChecksumSHA256) {
		t.Fatalf("ListParts: %v %+v", err, parts)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{PartNumber: sdkaws.Int32(1), ETag: part.ETag, ChecksumSHA256: part.ChecksumSHA256}}}})
	if err != nil || done.ChecksumSHA256 == nil || done.ChecksumType == "" {
		t.Fatalf("Complete: %v, SHA-256 %v type %q", err, done.ChecksumSHA256, done.ChecksumType)
	}
	attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("mp"),
		ObjectAttributes: []s3types.ObjectAttributes{s3types.ObjectAttributesChecksum}})
	if err != nil || attrs.Checksum == nil || sdkaws.ToString(attrs.Checksum.ChecksumSHA256) != sdkaws.ToString(done.ChecksumSHA256) {
		t.Fatalf("GetObjectAttributes: %v %+v", err, attrs.Checksum)
	}
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: sdkaws.String("b"), Key: sdkaws.String("copy"), CopySource: sdkaws.String("b/mp"),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32})
	if err != nil || cp.CopyObjectResult == nil || cp.CopyObjectResult.ChecksumCRC32 == nil {
		t.Fatalf("CopyObject: %v %+v", err, cp.CopyObjectResult)
	}
}
