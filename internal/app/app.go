// Package app is cfsign's application layer: every workflow that the
// command line and the terminal app both run, written once. Settings with
// where each came from and saving only what the user edited; the sign
// target of a bucket and the KMS hash rule; loading signers; key rotation;
// the upload batch as a stream of events; the sandbox's start, attach and
// signing key; the escaping and sizes both front ends print.
//
// It knows no flags and no Bubble Tea: cli parses flags and prints what
// happens here, ui draws it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

// Env is what a session runs with, given by the front end.
type Env struct {
	Getenv func(string) string
	// Log is the redacting debug log; nil for none.
	Log io.Writer
	// Timeout fails an AWS request that makes no progress for this long;
	// 0 is the aws package's default.
	Timeout time.Duration
	Now     func() time.Time
	// OpenSandbox, when set, provides the sandbox instead of the one on the
	// data directory; release is called when the session closes. Tests
	// share one in-memory sandbox this way.
	OpenSandbox func(ctx context.Context) (sb *sandbox.Sandbox, release func(), err error)
	// SandboxSuccessor, when set, lets a sandbox this session starts run on
	// after it, for the other processes using it (sandbox.Options.Successor).
	SandboxSuccessor func() *exec.Cmd
}

// Session is one run of cfsign: the settings, and the AWS side (or the
// sandbox) they name. Its clients are made once, on first use. Safe for
// concurrent use once made.
type Session struct {
	env        Env
	src        Sources
	useSandbox bool

	mu      sync.Mutex
	sb      *sandbox.Sandbox
	release func()
	sbKey   *SandboxKey
	s3      *aws.Client
	cf      *aws.CloudFront
	signers map[string]*Signer
	tr      *Transfers
}

// NewSession starts a session on src; with useSandbox it runs on the local
// sandbox (started, or attached to when another cfsign runs it).
func NewSession(env Env, src Sources, useSandbox bool) *Session {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if src.Getenv == nil {
		src.Getenv = env.Getenv
	}
	return &Session{env: env, src: src, useSandbox: useSandbox, signers: map[string]*Signer{}, tr: NewTransfers()}
}

// Transfers runs the session's upload batches, one multipart upload at a
// time across them all.
func (s *Session) Transfers() *Transfers { return s.tr }

// SetFlag adds a command-line setting; call it before the settings are used.
func (s *Session) SetFlag(k Key, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.src = s.src.WithFlag(k, name, value)
}

// OnSandbox reports whether the session runs on the sandbox.
func (s *Session) OnSandbox() bool { return s.useSandbox }

// Now is the session's clock.
func (s *Session) Now() time.Time { return s.env.Now() }

// Getenv reads the session's environment.
func (s *Session) Getenv(name string) string { return s.env.Getenv(name) }

// Log is the debug log, or nil.
func (s *Session) Log() io.Writer { return s.env.Log }

// logf writes one line to the debug log, if any.
func (s *Session) logf(format string, args ...any) {
	if s.env.Log != nil {
		fmt.Fprintf(s.env.Log, "cfsign debug: "+format+"\n", args...)
	}
}

// Close stops what the session started: the sandbox, when this process
// runs it for nobody else.
func (s *Session) Close() {
	s.mu.Lock()
	release := s.release
	s.release = nil
	s.mu.Unlock()
	if release != nil {
		release()
	}
}

// Settings resolves the settings for bucket ("" for the defaults); on the
// sandbox, its endpoint, bucket, edge and signing key are in them.
func (s *Session) Settings(ctx context.Context, bucket string) (Settings, error) {
	set := s.sources().Resolve(bucket)
	if !s.useSandbox {
		return set, nil
	}
	k, err := s.SandboxKey(ctx)
	if err != nil {
		return Settings{}, err
	}
	return set.onSandbox(*k), nil
}

// Sandbox is the session's sandbox, started or attached to on first use;
// nil when the session does not run on one.
func (s *Session) Sandbox(ctx context.Context) (*sandbox.Sandbox, error) {
	if !s.useSandbox {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sb != nil {
		return s.sb, nil
	}
	var sb *sandbox.Sandbox
	var release func()
	var err error
	if s.env.OpenSandbox != nil {
		sb, release, err = s.env.OpenSandbox(ctx)
	} else {
		sb, err = sandbox.Open(ctx, sandbox.Options{DataDir: config.SandboxDir(s.env.Getenv), Log: s.env.Log, Successor: s.env.SandboxSuccessor})
		release = func() {
			if sb != nil {
				sb.Close()
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	if sb.SharedPID != 0 {
		s.logf("sandbox: using the one pid %d runs (S3 %s)", sb.SharedPID, sb.S3Endpoint)
	} else {
		s.logf("sandbox: started (S3 %s, edge %s)", sb.S3Endpoint, sb.EdgeURL)
	}
	s.sb, s.release = sb, release
	return sb, nil
}

// ClientOptions are the options of every AWS client the session makes for
// set: its profile, region and endpoint (the sandbox's, with its
// credentials, on the sandbox), the debug log and the timeout.
func (s *Session) ClientOptions(ctx context.Context, set Settings) (aws.ClientOptions, error) {
	o := aws.ClientOptions{Profile: set.Profile, Region: set.Region, EndpointURL: set.EndpointURL, Log: s.env.Log, Timeout: s.env.Timeout}
	if s.useSandbox {
		sb, err := s.Sandbox(ctx)
		if err != nil {
			return o, err
		}
		o.Profile, o.Region, o.EndpointURL = "", sb.Region, sb.S3Endpoint
		o.AccessKeyID, o.SecretAccessKey = sb.AccessKeyID, sb.SecretAccessKey
	}
	return o, nil
}

// S3 is the session's S3 client, made once.
func (s *Session) S3(ctx context.Context) (*aws.Client, error) {
	s.mu.Lock()
	c := s.s3
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	set := s.sources().Resolve("")
	opts, err := s.ClientOptions(ctx, set)
	if err != nil {
		return nil, err
	}
	s.logf("s3 client profile=%q region=%q endpoint %s", opts.Profile, opts.Region, LogEndpoint(opts.EndpointURL))
	c, err = aws.NewClient(ctx, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s3 == nil {
		s.s3 = c
	}
	return s.s3, nil
}

// CloudFront is the session's CloudFront client, made once: the sandbox's
// CloudFront API on the sandbox, else CloudFront (or the endpoint
// CFSIGN_CLOUDFRONT_ENDPOINT_URL names).
func (s *Session) CloudFront(ctx context.Context) (*aws.CloudFront, error) {
	s.mu.Lock()
	c := s.cf
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	opts, err := s.ClientOptions(ctx, s.sources().Resolve(""))
	if err != nil {
		return nil, err
	}
	cfo := aws.CloudFrontOptions{ClientOptions: opts, CloudFrontEndpointURL: s.env.Getenv(EnvCloudFrontEndpoint)}
	if s.useSandbox {
		sb, err := s.Sandbox(ctx)
		if err != nil {
			return nil, err
		}
		cfo.CloudFrontEndpointURL = sb.CloudFrontEndpoint
	}
	s.logf("cloudfront client profile=%q endpoint %s", cfo.Profile, LogEndpoint(cfo.CloudFrontEndpointURL))
	c, err = aws.NewCloudFront(ctx, cfo)
	if err != nil {
		return nil, fmt.Errorf("cloudfront: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cf == nil {
		s.cf = c
	}
	return s.cf, nil
}

// Endpoint overrides read from the environment: the SDK's own for the key
// sources, and cfsign's for CloudFront (tests point it at moto).
const (
	EnvCloudFrontEndpoint     = "CFSIGN_CLOUDFRONT_ENDPOINT_URL"
	envKMSEndpoint            = "AWS_ENDPOINT_URL_KMS"
	envSecretsManagerEndpoint = "AWS_ENDPOINT_URL_SECRETS_MANAGER"
	envSSMEndpoint            = "AWS_ENDPOINT_URL_SSM"
)

// KeySourceOptions are the account, region and endpoints for keys kept in
// KMS, Secrets Manager or Parameter Store: the user's AWS account even on
// the sandbox, whose credentials mean nothing to those services.
func (s *Session) KeySourceOptions() aws.KeySourceOptions {
	set := s.sources().Resolve("")
	return aws.KeySourceOptions{
		ClientOptions:             aws.ClientOptions{Profile: set.Profile, Region: set.Region, Log: s.env.Log, Timeout: s.env.Timeout},
		KMSEndpointURL:            s.env.Getenv(envKMSEndpoint),
		SecretsManagerEndpointURL: s.env.Getenv(envSecretsManagerEndpoint),
		SSMEndpointURL:            s.env.Getenv(envSSMEndpoint),
	}
}

// Ledger is the record of the latest expiry signed with each key pair ID.
func (s *Session) Ledger() *keys.Ledger {
	return keys.NewLedger(config.ExpiryLedgerPath(s.env.Getenv))
}

// ConfigPath is the config file the session reads and saves.
func (s *Session) ConfigPath() string { return s.sources().ConfigPath }

// sources is the session's sources now: a flag or a save may replace them
// while commands run.
func (s *Session) sources() Sources {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src
}

// KeyDir is where key pairs are made by default.
func (s *Session) KeyDir() string { return config.KeyDir(s.env.Getenv) }

// LogEndpoint is an endpoint as the debug log may hold it: its scheme,
// host and path, never a user:password or a query.
func LogEndpoint(raw string) string {
	if raw == "" {
		return `""`
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not a URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// errNoSandbox is returned by what needs the sandbox on a session without.
var errNoSandbox = errors.New("not on the sandbox")
