// Package ui is cfsign's terminal app: a Bubble Tea root model that routes
// between the browser, upload, sign and setup views and dispatches all I/O to
// the aws and keys layers as commands. Each view's file holds its Bubble Tea
// parts: keys, commands and drawing. The browser draws a listing
// (listing.go): plain state with its own tests, no Bubble Tea and no I/O.
package ui

import (
	"context"
	"crypto"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/secret"
	"github.com/cfsign/cfsign/keys"
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// view is the contract every screen keeps. Views ask the root to navigate by
// returning a message (see messages.go); they never hold each other.
type view interface {
	Update(tea.Msg) (view, tea.Cmd)
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// Lister lists and inspects a bucket. *aws.Client satisfies it.
type Lister interface {
	ListBuckets(ctx context.Context) ([]aws.Bucket, error)
	List(ctx context.Context, bucket, prefix, token string) (aws.Page, error)
	Head(ctx context.Context, bucket, key string) (aws.ObjectInfo, error)
	Delete(ctx context.Context, bucket string, keys []string) error
}

// Uploader uploads one file. *aws.Client satisfies it.
type Uploader interface {
	Upload(ctx context.Context, req aws.UploadRequest, progress func(aws.Progress)) (aws.ObjectInfo, error)
}

// Presigner makes S3 presigned GET URLs, of an object's current version
// ("") or of one version. *aws.Client satisfies it.
type Presigner interface {
	PresignVersion(ctx context.Context, bucket, key, versionID string, d time.Duration) (url, warning string, err error)
}

// URLSigner signs CloudFront URLs and cookies. *app.Signer satisfies it.
type URLSigner interface {
	SignURL(rawURL string, opts signedurl.PolicyOptions, now time.Time) (string, error)
	SignCookies(rawURL string, opts signedurl.PolicyOptions, now time.Time) ([]*http.Cookie, error)
}

// Signers loads the signer of a sign target (the key file, key text, or a
// key kept in AWS). SessionSigners makes one of an *app.Session.
type Signers interface {
	Signer(ctx context.Context, t app.Target) (URLSigner, error)
}

// SessionSigners is an application session as Signers.
type SessionSigners struct{ *app.Session }

// Signer loads t's signer through the session.
func (s SessionSigners) Signer(ctx context.Context, t app.Target) (URLSigner, error) {
	sg, err := s.Session.Signer(ctx, t)
	if err != nil {
		return nil, err
	}
	return sg, nil
}

// KeyMaker makes key pairs and loads private keys. *app.Session satisfies it.
type KeyMaker interface {
	GenerateFiles(dir string, t keys.Type, force bool) (keys.Pair, error)
	// LoadKey loads the key a setting names; from names the setting in
	// errors (the value may be key text).
	LoadKey(ctx context.Context, value, from string) (crypto.Signer, string, error)
}

// SettingsStore saves the settings the user edited, each into the layer it
// came from. *app.Session satisfies it.
type SettingsStore interface {
	Save(ctx context.Context, set app.Settings, edits ...app.Edit) (app.Saved, error)
}

// CloudFrontAdmin registers public keys and lists distributions for the setup
// screen's "Register public key" and "Pick distribution". *aws.CloudFront
// satisfies it; nil hides those actions.
type CloudFrontAdmin interface {
	RegisterPublicKey(ctx context.Context, publicKeyPEM []byte, name string) (id string, existed bool, err error)
	ListDistributions(ctx context.Context) ([]aws.Distribution, error)
}

// Deps is what the app runs on, built by main.
type Deps struct {
	Lister   Lister
	Uploader Uploader
	// Transfers runs upload batches; nil makes one per upload view.
	Transfers *app.Transfers
	Presigner Presigner
	Keys      KeyMaker
	Store     SettingsStore
	Signers   Signers
	// Rotator rotates the signing key and lists the key group's keys for
	// the setup screen; nil hides those actions.
	Rotator KeyRotator
	// CloudFront backs setup's Register/Pick distribution actions (upload/sign/setup); may be nil.
	CloudFront CloudFrontAdmin
	// SandboxLog reads the sandbox's log (L, and why a test link was
	// refused); nil off the sandbox.
	SandboxLog SandboxLog
	// Objects reads an object's first bytes and its versions for the
	// details view; nil hides the preview and the versions.
	Objects ObjectReader
	// Downloader downloads objects (through app.Download, as 'cfsign
	// download' does); nil hides D.
	Downloader app.Downloader

	// Settings are the settings of the bucket the app opens, each with
	// where it came from.
	Settings app.Settings
	Sandbox  bool   // running on the built-in sandbox (SANDBOX badge)
	KeyDir   string // where "Generate key pair" writes
	Workdir  string // where the upload file picker starts
	Prefix   string // the folder of Settings.Bucket the browser opens in
	Mouse    bool   // take mouse input: wheel, clicks on rows and on footer hints

	// background tracks work that must finish before the program exits
	// (cancelled uploads aborting their multipart uploads); New sets it.
	background *sync.WaitGroup
	// exitPrint holds lines to print on stdout after the program ends (the
	// sign view's p); Run sets it and prints them, nil elsewhere.
	exitPrint *exitPrinter
}

// newFormInput is a text input with the app's styles (the text, the
// placeholder and the cursor), no prompt and a steady cursor. Every input is
// made here, so none keeps the bubbles defaults' colours under NO_COLOR.
func newFormInput(st *Styles) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.TextStyle = st.Input
	ti.PlaceholderStyle = st.Muted
	ti.Cursor.Style = st.Cursor
	ti.Cursor.TextStyle = st.Input
	return ti
}

// asCmd wraps a message in a command.
func asCmd(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// oneLine folds a message's line breaks, takes out any secret (see package
// secret) and escapes what could act on the terminal, so it cannot forge
// rows.
func oneLine(s string) string {
	return app.EscapeText(secret.RedactMessage(strings.Join(strings.Fields(s), " ")))
}

func fraction(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return min(float64(a)/float64(b), 1)
}

// truncLine cuts s to w cells, keeping escape sequences intact.
func truncLine(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}
