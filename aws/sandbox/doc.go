// Package sandbox is cfsign's local stand-in for AWS: an S3 server (package
// s3server, objects on disk or in memory), a CloudFront-style edge that
// serves the sandbox bucket only to requests signed as CloudFront requires,
// answering CloudFront's errors otherwise, and CloudFront's key and
// distribution API. Every request to the S3 server and the API must be
// signed with the sandbox's credentials; a signed body is checked against
// its signature as it streams in.
//
// Start creates the bucket and a key pair on first use and reuses them on
// later starts. The servers listen on loopback unless told otherwise. The
// cfsign client package (aws) does not import this one: the command line and
// main wire it in.
package sandbox
