package aws

import (
	"context"
	"io"
)

// SandboxOptions configure the local sandbox.
type SandboxOptions struct {
	DataDir  string    // holds the key pair and, unless Memory, the bolt database
	Memory   bool      // keep objects in memory (tests)
	S3Addr   string    // listen address of the S3 server; "" means 127.0.0.1:0
	EdgeAddr string    // listen address of the edge; "" means 127.0.0.1:0
	Log      io.Writer // where the edge logs each refusal; nil discards
}

// Sandbox is a running local S3 server plus a CloudFront-style edge in front of
// its bucket.
type Sandbox struct {
	S3Endpoint      string // http://127.0.0.1:PORT
	EdgeURL         string // http://127.0.0.1:PORT
	Bucket          string // "sandbox"
	Region          string // "us-east-1"
	AccessKeyID     string
	SecretAccessKey string
	KeyPairID       string // K + 13 upper-case letters and digits
	PrivateKeyPath  string
	PublicKeyPath   string
}

// StartSandbox starts both servers; the first start creates the bucket and the
// key pair, later starts reuse them.
func StartSandbox(ctx context.Context, opts SandboxOptions) (*Sandbox, error) { return nil, errTODO }

// Close stops both servers.
func (s *Sandbox) Close() error { return nil }
