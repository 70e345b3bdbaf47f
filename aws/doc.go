// Package aws talks to AWS: the S3 client (listing, transfers, deletes,
// presigned URLs), the CloudFront client (public keys, key groups,
// distributions and the bucket policy that lets them read), doctor (why a
// signed URL gets the answer it gets), and plain explanations of AWS errors.
//
// The rules of CloudFront signed URLs live in aws/signedurl, and the local
// sandbox's servers in aws/sandbox; this package imports the former and
// never the latter. It knows nothing about the terminal UI.
package aws
