// Package aws is everything that talks to S3 and CloudFront or implements their
// rules: signing and verifying CloudFront URLs and cookies, S3 listing and
// transfers, and the local sandbox (an S3 server plus a CloudFront-style edge).
// It knows nothing about the terminal UI.
package aws
