// Command cfsign browses an S3 bucket, uploads files and mints CloudFront
// signed URLs and cookies, from a terminal UI or scriptable subcommands.
package main

import (
	"context"
	"os"

	"github.com/cfsign/cfsign/cli"
	// Settles the terminal background before Bubble Tea's init would ask
	// the terminal (and wait up to 5 s): see the package doc.
	_ "github.com/cfsign/cfsign/internal/termbg"
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
		StdinTTY:  isTerminal(os.Stdin),
		StdoutTTY: isTerminal(os.Stdout),
		StderrTTY: isTerminal(os.Stderr),
		RunApp:    runApp,
	})
	stop()
	os.Exit(code)
}

// runApp hands the application session the command line resolved to the
// terminal app.
func runApp(ctx context.Context, start cli.AppStart) error {
	sess := start.Session
	s3, err := sess.S3(ctx)
	if err != nil {
		return err
	}
	cf, err := sess.CloudFront(ctx)
	if err != nil {
		return err
	}
	wd, _ := os.Getwd()
	return ui.Run(ctx, ui.Deps{
		Lister:     s3,
		Uploader:   s3,
		Transfers:  sess.Transfers(),
		Presigner:  s3,
		CloudFront: cf,
		Objects:    s3,
		Downloader: s3,
		Keys:       sess,
		Store:      sess,
		Signers:    ui.SessionSigners{Session: sess},
		Rotator:    sess,
		Settings:   start.Settings,
		Sandbox:    sess.OnSandbox(),
		KeyDir:     sess.KeyDir(),
		Workdir:    wd,
		Prefix:     start.Prefix,
		Mouse:      start.Mouse,
	})
}

// isTerminal reports whether f is a terminal (not merely a character device
// like /dev/null).
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }
