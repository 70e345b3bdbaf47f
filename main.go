// Command cfsign browses an S3 bucket, uploads files and mints CloudFront
// signed URLs and cookies, from a terminal UI or scriptable subcommands.
package main

import (
	"context"
	"crypto"
	"os"

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
	return ui.Run(ctx, ui.Deps{
		CloudFront: cf,
		Lister:     client,
		Uploader:   client,
		Presigner:  client,
		Keys:       keyFuncs{},
		Store:      store{app},
		NewSigner:  newSigner,
		Settings:   app.SandboxSettings(),
		Sandbox:    app.Sandbox != nil,
		KeyDir:     app.KeyDir,
		Workdir:    wd,
		Prefix:     app.Prefix,
	})
}

// newSigner loads a private key and makes a CloudFront signer from it.
func newSigner(keyPairID, privateKeyPath string, hash signedurl.Hash) (ui.URLSigner, error) {
	key, _, err := keys.LoadPrivateSetting(privateKeyPath, "the private_key setting")
	if err != nil {
		return nil, err
	}
	return signedurl.NewSigner(keyPairID, key, hash)
}

// keyFuncs is the keys package as a ui.KeyMaker.
type keyFuncs struct{}

func (keyFuncs) GenerateFiles(dir string, t keys.Type, force bool) (keys.Pair, error) {
	return keys.GenerateFiles(dir, t, force)
}

func (keyFuncs) LoadPrivate(path string) (crypto.Signer, string, error) {
	return keys.LoadPrivateSetting(path, "the private key field")
}

// store saves the app's settings to the config file.
type store struct{ app cli.AppConfig }

func (s store) Save(set config.Settings) error { return s.app.SaveSettings(set) }

// isTerminal reports whether f is a terminal (not merely a character device
// like /dev/null).
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }
