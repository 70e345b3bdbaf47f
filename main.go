// Command cfsign browses an S3 bucket, uploads files and mints CloudFront
// signed URLs and cookies, from a terminal UI or scriptable subcommands.
package main

import (
	"context"
	"crypto"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/cli"
	"github.com/cfsign/cfsign/config"

	// Settles the terminal background before Bubble Tea's init would ask
	// the terminal (and wait up to 5 s): see the package doc.
	_ "github.com/cfsign/cfsign/internal/termbg"
	"github.com/cfsign/cfsign/keys"
	"github.com/cfsign/cfsign/ui"
	"github.com/charmbracelet/x/term"
)

func main() {
	ctx, stop := cli.SignalContext(context.Background())
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Getenv:    os.Getenv,
		StdoutTTY: isTerminal(os.Stdout),
		StderrTTY: isTerminal(os.Stderr),
		RunApp:    runApp,
	})
	stop()
	os.Exit(code)
}

// runApp builds the terminal app's dependencies from the resolved settings
// and runs it.
func runApp(ctx context.Context, app cli.AppConfig) error {
	client, err := aws.NewClient(ctx, app.Client)
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	// On the sandbox, CloudFront is the sandbox's own CloudFront API.
	cfOpts := aws.CloudFrontOptions{ClientOptions: app.Client}
	if app.Sandbox != nil {
		cfOpts.CloudFrontEndpointURL = app.Sandbox.CloudFrontEndpoint
	}
	cf, err := aws.NewCloudFront(ctx, cfOpts)
	if err != nil {
		return err
	}
	ks := keySources{ctx: ctx, opts: aws.KeySourceOptions{
		ClientOptions:             app.Client,
		KMSEndpointURL:            os.Getenv("AWS_ENDPOINT_URL_KMS"),
		SecretsManagerEndpointURL: os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"),
		SSMEndpointURL:            os.Getenv("AWS_ENDPOINT_URL_SSM"),
	}}
	if app.Sandbox != nil {
		// The sandbox's S3 credentials mean nothing to KMS and friends.
		ks.opts.ClientOptions = aws.ClientOptions{Profile: app.Settings.Profile, Region: app.Settings.Region}
	}
	return ui.Run(ctx, ui.Deps{
		CloudFront: cf,
		Lister:     client,
		Uploader:   client,
		Presigner:  client,
		Keys:       keyFuncs{ks},
		Store:      store{app},
		NewSigner:  ks.newSigner,
		Settings:   app.SandboxSettings(),
		Sandbox:    app.Sandbox != nil,
		KeyDir:     app.KeyDir,
		Workdir:    wd,
		Prefix:     app.Prefix,
		Mouse:      app.Mouse,
	})
}

// keySources loads private keys wherever they live: files and key text,
// KMS, Secrets Manager, Parameter Store.
type keySources struct {
	ctx  context.Context // the app's: KMS signing calls end with it
	opts aws.KeySourceOptions
}

func (k keySources) load(value, from string) (crypto.Signer, string, error) {
	return aws.LoadKeySigner(k.ctx, value, from, k.opts)
}

// newSigner loads a private key and makes a CloudFront signer from it that
// records the expiries it signs (for 'cfsign keys retire'). KMS keys sign
// with SHA-256: KMS has no SHA-1 signing.
func (k keySources) newSigner(keyPairID, privateKey string, hash signedurl.Hash) (ui.URLSigner, error) {
	key, _, err := k.load(privateKey, "the private_key setting")
	if err != nil {
		return nil, err
	}
	if _, ok := key.(*aws.KMSSigner); ok {
		hash = signedurl.SHA256
	}
	s, err := signedurl.NewSigner(keyPairID, keys.Accelerate(key), hash)
	if err != nil {
		return nil, err
	}
	return &recordingSigner{Signer: s, ledger: keys.NewLedger(config.ExpiryLedgerPath(os.Getenv))}, nil
}

// recordingSigner notes in the ledger the expiry of each signature made;
// the file is written only when an expiry is later than any before.
type recordingSigner struct {
	*signedurl.Signer
	ledger *keys.Ledger
	latest atomic.Int64 // Unix seconds of the latest expiry recorded
}

func (r *recordingSigner) record(exp time.Time) {
	if exp.Unix() <= r.latest.Load() {
		return
	}
	r.latest.Store(exp.Unix())
	r.ledger.Record(r.KeyPairID(), exp) // a lost record only makes retire know less
}

func (r *recordingSigner) SignURL(rawURL string, opts signedurl.PolicyOptions, now time.Time) (string, error) {
	u, err := r.Signer.SignURL(rawURL, opts, now)
	if err == nil {
		r.record(opts.Expires)
	}
	return u, err
}

func (r *recordingSigner) SignCookies(rawURL string, opts signedurl.PolicyOptions, now time.Time) ([]*http.Cookie, error) {
	c, err := r.Signer.SignCookies(rawURL, opts, now)
	if err == nil {
		r.record(opts.Expires)
	}
	return c, err
}

// keyFuncs is the keys package (and, for keys kept in AWS, package aws) as
// a ui.KeyMaker.
type keyFuncs struct{ ks keySources }

func (keyFuncs) GenerateFiles(dir string, t keys.Type, force bool) (keys.Pair, error) {
	return keys.GenerateFiles(dir, t, force)
}

func (f keyFuncs) LoadPrivate(path string) (crypto.Signer, string, error) {
	return f.ks.load(path, "the private key field")
}

// CreateKMSKey makes an RSA_2048 KMS signing key for the setup screen's
// rotate.
func (f keyFuncs) CreateKMSKey(ctx context.Context) (string, crypto.PublicKey, error) {
	k, err := aws.CreateKMSKey(ctx, aws.KMSRSA, "", "cfsign CloudFront signing key (rotated on the setup screen)", f.ks.opts)
	if err != nil {
		return "", nil, err
	}
	return k.ARN(), k.Public(), nil
}

// store saves the app's settings to the config file.
type store struct{ app cli.AppConfig }

func (s store) Save(set config.Settings) error { return s.app.SaveSettings(set) }

// isTerminal reports whether f is a terminal (not merely a character device
// like /dev/null).
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }
