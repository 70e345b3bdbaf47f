// Package signedurl implements Amazon CloudFront's signed URLs and signed
// cookies: the canned and custom policies, signing them, and verifying a
// request exactly as a CloudFront edge does.
//
// It does no network I/O and loads no AWS configuration. A Signer signs
// through any crypto.Signer, so the private key may be a file loaded into
// memory, a hardware token, or a remote service such as AWS KMS.
//
// What it covers:
//   - canned policies (an expiry only), byte-identical to the AWS CLI's
//     `aws cloudfront sign` and botocore's CloudFrontSigner;
//   - custom policies with a start time, an IP range and a resource pattern
//     with * and ? wildcards, and shared policies (SignShared) that sign once
//     for any number of URLs under a prefix;
//   - SHA-1 (CloudFront's default) or SHA-256 (Hash-Algorithm=SHA256), with
//     RSA or ECDSA P-256 keys;
//   - Verify, which applies an edge's checks in an edge's order and names the
//     check that failed and the CloudFront error code it maps to;
//   - ParseWhen for expiry times as people type them (durations, dates, RFC
//     3339, Unix seconds), and ObjectURL for the URL of an S3 object key
//     behind a distribution.
package signedurl
