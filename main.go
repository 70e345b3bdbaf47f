// Command cfsign browses an S3 bucket, uploads files and mints CloudFront
// signed URLs and cookies, from a terminal UI or scriptable subcommands.
package main

import (
	"context"
	"os"
	"os/exec"

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
		Self:      self,
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
	var sandboxLog ui.SandboxLog
	if sess.OnSandbox() {
		sandboxLog = sess
	}
	return ui.Run(ctx, ui.Deps{
		Lister:     s3,
		Uploader:   s3,
		Transfers:  sess.Transfers(),
		Presigner:  s3,
		CloudFront: cf,
		SandboxLog: sandboxLog,
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

// self is the command that runs this binary again with args (for a sandbox
// handed over to a new process). The binary's path is read now: `go run`
// deletes it once this process exits.
func self(args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, args...)
}

// isTerminal reports whether f is a terminal (not merely a character device
// like /dev/null).
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }
