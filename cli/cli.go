// Package cli is cfsign's scriptable front end: one subcommand per task (keys,
// sign, verify, S3 transfers, the sandbox, CloudFront setup). It never imports
// the terminal UI: with no subcommand it hands the settings to Env.RunApp.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
)

// Env is the world a command runs in: streams, environment and hooks. main
// fills it from the process; tests fill it with buffers.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (os.Getenv in main).
	Getenv func(string) string
	// StdinTTY says whether stdin is a terminal: a destructive command asks
	// there before it acts (unless --yes).
	StdinTTY bool
	// StdoutTTY and StderrTTY say whether the streams are terminals: object
	// keys are escaped and progress bars drawn only then.
	StdoutTTY bool
	StderrTTY bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Home is the user's home directory, for finding ~/.aws; "" means $HOME.
	Home string
	// RunApp runs the terminal app; nil prints usage instead.
	RunApp func(ctx context.Context, start AppStart) error
	// Sandbox, when set, provides the sandbox that --sandbox uses instead of
	// starting one from the data directory; release is called when the
	// command is done with it. Tests share one in-memory sandbox this way.
	Sandbox func(ctx context.Context) (sb *sandbox.Sandbox, release func(), err error)
	// Self is the command that runs this cfsign again, with args: a
	// sandbox this process runs is handed to `cfsign sandbox --take-over`
	// when it is done while others use it. nil (tests run in-process): the
	// sandbox stops with the process.
	Self func(args ...string) *exec.Cmd
}

// AppStart is what the terminal app runs on, resolved by Main from flags,
// environment and the config file.
type AppStart struct {
	// Session is the application layer: settings, clients, the sandbox.
	Session *app.Session
	// Settings are the settings of the bucket the app opens.
	Settings app.Settings
	// Prefix is the folder of Settings.Bucket given as s3://BUCKET/PREFIX:
	// the browser opens there.
	Prefix string
	// Mouse is whether the app takes mouse input (--no-mouse, mouse = false).
	Mouse bool
}

// Exit codes.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// usageError is a mistake in the command line: exit 2, with an optional hint.
type usageError struct {
	msg, hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// exitError carries a specific exit code for an error already reported (or
// with nothing to report, when msg is empty).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, r *runner, args []string) error
}

func commands() []command {
	return []command{
		{"keys", "generate, show, register, create (KMS), rotate, retire and list keys", runKeys},
		{"sign", "sign CloudFront URLs or cookies", runSign},
		{"verify", "check a signed URL like CloudFront does", runVerify},
		{"ls", "list buckets or objects", runLs},
		{"upload", "upload files to S3 with progress", runUpload},
		{"download", "download an object", runDownload},
		{"rm", "delete objects", runRm},
		{"presign", "make an S3 presigned GET URL", runPresign},
		{"sandbox", "run the local S3 + CloudFront-style edge", runSandbox},
		{"distributions", "list CloudFront distributions and their key groups", runDistributions},
		{"doctor", "check that a signed link really opens, and why not", runDoctor},
	}
}

const mainUsage = `cfsign: browse S3, upload, and mint CloudFront signed URLs and cookies.

Usage:
  cfsign [global flags]                 run the terminal app
  cfsign [global flags] s3://BUCKET/P/  run the terminal app opened at a folder
  cfsign COMMAND [flags] [args]         run one step from a script

Commands:
%s
Global flags (before or after the command):
  --profile NAME        AWS shared config profile (env CFSIGN_PROFILE, AWS_PROFILE)
  --region REGION       AWS region (env CFSIGN_REGION)
  --endpoint-url URL    S3-compatible endpoint: MinIO, R2, a sandbox (env CFSIGN_ENDPOINT_URL)
  --bucket NAME         bucket the app opens (env CFSIGN_BUCKET)
  --sandbox             use the built-in local sandbox (S3 + CloudFront-style edge)
  --debug               write a redacted debug log (to $CFSIGN_DEBUG, else stderr;
                        the app writes to $XDG_STATE_HOME/cfsign/debug.log)
  --timeout D           give up on an AWS request that makes no progress for D,
                        like 5s (each of 4 attempts; default 10s; env CFSIGN_TIMEOUT)
  --version             print cfsign's version and exit
  --no-mouse            the app takes no mouse input, so the terminal's own text
                        selection works (also: mouse = false in config.toml)

Settings come from flags, then CFSIGN_* environment variables, then
$XDG_CONFIG_HOME/cfsign/config.toml (or $CFSIGN_CONFIG).
Run 'cfsign COMMAND --help' for a command's flags.
`

func mainUsageText() string {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-14s %s\n", c.name, c.summary)
	}
	return fmt.Sprintf(mainUsage, b.String())
}

// Main runs cfsign with args (without the program name) and returns the exit
// code. It never panics: a bug is reported as one line.
//
// When ctx ends (SIGINT or SIGTERM, see SignalContext) the command gets a
// bounded grace to finish its cleanup and report; one blocked in a read
// that cannot see ctx (stdin, a FIFO) is abandoned after it. The exit code
// is then 128 plus the signal's number (130, 143).
func Main(ctx context.Context, args []string, env Env) (code int) {
	env = env.withDefaults()
	stdout, stderr := &gateWriter{w: env.Stdout}, &gateWriter{w: env.Stderr}
	env.Stdout, env.Stderr = stdout, stderr
	r := &runner{env: env}
	// Without --debug, the standard logger (used by the S3 transfer manager)
	// is silent: its lines would garble the app or break one-line errors.
	log.SetOutput(io.Discard)
	done := make(chan int, 1)
	go func() { done <- r.run(ctx, args) }()
	select {
	case code = <-done:
	case <-ctx.Done():
		t := time.NewTimer(r.graceAfterInterrupt())
		defer t.Stop()
		select {
		case code = <-done:
		case <-t.C:
			fmt.Fprintf(env.Stderr, "cfsign: interrupted\n")
			stdout.close()
			stderr.close()
			return interruptCode(ctx)
		}
	}
	if code == ExitInterrupted && ctx.Err() != nil {
		code = interruptCode(ctx)
	}
	return code
}

// run runs the command and reports its outcome; a panic is one line.
func (r *runner) run(ctx context.Context, args []string) (code int) {
	defer func() {
		if p := recover(); p != nil {
			r.debugf("panic: %v", p)
			fmt.Fprintf(r.env.Stderr, "cfsign: internal error: %s (please report it with the command you ran)\n", r.clean(fmt.Sprint(p)))
			code = ExitError
		}
		r.closeSession()
		r.closeDebug()
	}()
	err := r.main(ctx, args)
	r.closeSession() // a sandbox this command started stops before the report
	return r.report(ctx, err)
}

// closeSession stops what the session started.
func (r *runner) closeSession() {
	if r.sess != nil {
		r.sess.Close()
	}
}

// setGrace sets how long Main waits after an interrupt for this command to
// end by itself.
func (r *runner) setGrace(d time.Duration) {
	r.mu.Lock()
	r.grace = d
	r.mu.Unlock()
}

func (r *runner) graceAfterInterrupt() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.grace > 0 {
		return r.grace
	}
	return interruptGrace
}

func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Home == "" {
		e.Home = e.Getenv("HOME")
	}
	return e
}

// report prints err as one line (plus a hint for usage errors) and maps it
// to an exit code.
func (r *runner) report(ctx context.Context, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			r.debugf("error: %v", ee.err)
			fmt.Fprintf(r.env.Stderr, "cfsign: %s\n", r.clean(ee.err.Error()))
		}
		return ee.code
	}
	r.debugf("error: %v", err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(r.env.Stderr, "cfsign: %s\n", r.clean(ue.msg))
		if ue.hint != "" {
			fmt.Fprintln(r.env.Stderr, r.clean(ue.hint))
		}
		return ExitUsage
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintf(r.env.Stderr, "cfsign: interrupted\n")
		return ExitInterrupted
	}
	fmt.Fprintf(r.env.Stderr, "cfsign: %s\n", r.clean(err.Error()))
	return ExitError
}

// runner holds what one invocation shares between its steps.
type runner struct {
	env    Env
	global globalFlags
	debug  io.Writer // redacting debug log or nil
	debugC io.Closer
	logger *log.Logger
	src    *app.Sources // settings' layers, loaded once
	sess   *app.Session // made once the flags are parsed
	// useSandbox: the app runs on the sandbox (asked, or no AWS account).
	useSandbox bool
	cmdName    string

	mu    sync.Mutex    // guards grace, read by Main while the command runs
	grace time.Duration // see setGrace
}

// globalFlags are accepted before the command and by every command.
type globalFlags struct {
	profile, region, endpointURL, bucket string
	sandbox, debug, noMouse, version     bool
	timeout                              string // per-request idle timeout, like 5s
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.profile, "profile", g.profile, "")
	fs.StringVar(&g.region, "region", g.region, "")
	fs.StringVar(&g.endpointURL, "endpoint-url", g.endpointURL, "")
	fs.StringVar(&g.bucket, "bucket", g.bucket, "")
	fs.BoolVar(&g.sandbox, "sandbox", g.sandbox, "")
	fs.BoolVar(&g.debug, "debug", g.debug, "")
	fs.BoolVar(&g.noMouse, "no-mouse", g.noMouse, "")
	fs.BoolVar(&g.version, "version", g.version, "")
	fs.StringVar(&g.timeout, "timeout", g.timeout, "")
}

// timeout is the per-request idle timeout of AWS calls: --timeout, else
// CFSIGN_TIMEOUT; 0 for the default.
func (r *runner) timeout() (time.Duration, error) {
	v, name := r.global.timeout, "--timeout"
	if v == "" {
		v, name = r.env.Getenv(config.EnvTimeout), config.EnvTimeout
	}
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("Run 'cfsign --help' for usage.", "%s %q: give a duration like 5s or 1m", name, v)
	}
	return d, nil
}

func (r *runner) main(ctx context.Context, args []string) error {
	fs := newFlagSet("cfsign")
	r.global.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(r.env.Stdout, mainUsageText())
			return nil
		}
		return usagef("Run 'cfsign --help' for usage.", "%s", flagErr(err))
	}
	rest := fs.Args()
	if r.global.version {
		fmt.Fprintln(r.env.Stdout, version())
		return nil
	}
	if err := r.openDebug(); err != nil {
		return err
	}
	if len(rest) == 0 {
		return r.runApp(ctx, "", "")
	}
	if strings.HasPrefix(rest[0], "s3://") {
		if len(rest) > 1 {
			return usagef("Run 'cfsign --help' for usage.", "unexpected argument %q after %s", rest[1], rest[0])
		}
		bucket, prefix, err := parseS3URI(rest[0])
		if err != nil {
			return usagef("Run 'cfsign --help' for usage.", "%v", err)
		}
		// s3://b/folder/ opens the folder; s3://b/name opens name's folder
		// with name selected (the object, or the folder name/).
		return r.runApp(ctx, bucket, prefix)
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			return r.main(ctx, []string{rest[1], "--help"})
		}
		fmt.Fprint(r.env.Stdout, mainUsageText())
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			r.cmdName = name
			r.debugf("command %s %d args", name, len(rest)-1)
			return c.run(ctx, r, rest[1:])
		}
	}
	return usagef("Run 'cfsign --help' for the list of commands.", "unknown command %q%s", name, suggest(name))
}

// suggest names the command a mistyped name was meant to be: one that
// begins with it (or it with the command), else the nearest within two
// edits (sigin: sign).
func suggest(name string) string {
	best, dist := "", 3
	for _, c := range commands() {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return fmt.Sprintf(" (did you mean %q?)", c.name)
		}
		if d := levenshtein.ComputeDistance(strings.ToLower(name), c.name); d < dist {
			best, dist = c.name, d
		}
	}
	if best != "" && len(name) > dist {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// runApp resolves the settings and runs the terminal app, on the sandbox when
// asked or when no AWS account is configured anywhere.
func (r *runner) runApp(ctx context.Context, bucket, prefix string) error {
	if r.env.RunApp == nil {
		fmt.Fprint(r.env.Stdout, mainUsageText())
		return nil
	}
	r.setGrace(appGrace) // the app restores the terminal as it ends
	if r.global.debug && r.debug == nil {
		// The app owns the terminal: its log goes to a file.
		if err := r.openDebugFile(config.DebugLogPath(r.env.Getenv)); err != nil {
			return err
		}
	}
	src, err := r.sources()
	if err != nil {
		return err
	}
	if bucket != "" {
		src = src.WithFlag(app.Bucket, "the s3:// argument", bucket)
	}
	plain := src.Resolve(bucket)
	r.useSandbox = r.global.sandbox || (!config.HasAWSAccount(r.env.Getenv, r.env.Home) && !plain.NamesAccount())
	r.src = &src
	sess, err := r.session()
	if err != nil {
		return err
	}
	s, err := sess.BucketSettings(ctx, bucket)
	if err != nil {
		return err
	}
	r.debugf("app settings: %s", s.Describe())
	return r.env.RunApp(ctx, AppStart{
		Session:  sess,
		Settings: s,
		Prefix:   prefix,
		Mouse:    !r.global.noMouse && (s.Mouse == nil || *s.Mouse),
	})
}

// sources are the layers settings come from: config.toml (read once), the
// environment and the global flags.
func (r *runner) sources() (app.Sources, error) {
	if r.src != nil {
		return *r.src, nil
	}
	src, err := app.LoadSources(r.env.Getenv)
	if err != nil {
		return app.Sources{}, err
	}
	r.debugf("config file %s", src.ConfigPath)
	g := r.global
	src = src.WithFlag(app.Profile, "--profile", g.profile).WithFlag(app.Region, "--region", g.region).
		WithFlag(app.EndpointURL, "--endpoint-url", g.endpointURL).WithFlag(app.Bucket, "--bucket", g.bucket)
	r.src = &src
	return src, nil
}

// session is the command's application session, made on first use (after
// the command's flags are parsed): on the sandbox with --sandbox.
func (r *runner) session() (*app.Session, error) {
	if r.sess != nil {
		return r.sess, nil
	}
	src, err := r.sources()
	if err != nil {
		return nil, err
	}
	timeout, err := r.timeout()
	if err != nil {
		return nil, err
	}
	env := app.Env{Getenv: r.env.Getenv, Log: r.debug, Timeout: timeout, Now: r.env.Now, OpenSandbox: r.env.Sandbox, SandboxSuccessor: r.successor()}
	r.sess = app.NewSession(env, src, r.useSandbox || r.global.sandbox)
	return r.sess, nil
}

// successor is the command that takes over a sandbox this process runs
// (see Env.Self), or nil.
func (r *runner) successor() func() *exec.Cmd {
	if r.env.Self == nil {
		return nil
	}
	return func() *exec.Cmd { return r.env.Self("sandbox", "--take-over") }
}

// settings resolves the effective settings for bucket ("" for the default):
// flags, then CFSIGN_* environment, then the config file's [buckets.NAME]
// section, then its top level; on --sandbox, the sandbox's.
func (r *runner) settings(ctx context.Context, bucket string) (app.Settings, error) {
	sess, err := r.session()
	if err != nil {
		return app.Settings{}, err
	}
	return sess.Settings(ctx, bucket)
}

// newFlagSet returns a FlagSet that reports nothing itself: Main prints
// errors and usage.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// flagErr shortens the flag package's messages.
func flagErr(err error) string {
	msg := err.Error()
	msg = strings.Replace(msg, "flag provided but not defined: ", "unknown flag ", 1)
	return msg
}

// parseArgs parses flags anywhere among args (Go's flag package stops at the
// first non-flag) and returns the positional arguments. "--" ends flags. It
// prints usage to stdout and returns errHelpShown for -h/--help.
func (r *runner) parseArgs(fs *flag.FlagSet, usage string, args []string) ([]string, error) {
	var pos []string
	nargs := len(args)
	defer func() {
		// Global flags may follow the command: --debug there opens the
		// log as it does before it.
		if r.debug == nil && r.global.debug {
			if err := r.openDebug(); err == nil {
				r.debugf("command %s %d args", r.cmdName, nargs)
			}
		}
	}()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(r.env.Stdout, usage)
				return nil, errHelpShown
			}
			return nil, usagef(fmt.Sprintf("Run 'cfsign %s --help' for usage.", fs.Name()), "%s: %s", fs.Name(), flagErr(err))
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, nil
}

// typedFlag is which of a flag's names (main name first, then aliases) the
// command line used; the main name when none was.
func typedFlag(fs *flag.FlagSet, names ...string) string {
	typed := names[0]
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(names, f.Name) {
			typed = f.Name
		}
	})
	return typed
}

// errHelpShown ends a command after its usage went to stdout: exit 0.
var errHelpShown = &exitError{code: ExitOK}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// flagNames lists the flags set on the command line, sorted (for debug logs).
func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.Visit(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	return names
}

// now is the current time from the Env clock.
func (r *runner) now() time.Time { return r.env.Now() }

// warn prints a one-line warning on stderr.
func (r *runner) warn(format string, args ...any) {
	fmt.Fprintln(r.env.Stderr, r.warning(format, args...))
}

// warning is warn's line, for a caller that prints it itself.
func (r *runner) warning(format string, args ...any) string {
	return "cfsign: warning: " + r.clean(fmt.Sprintf(format, args...))
}

// isInterrupted reports whether err comes from the user's Ctrl-C.
func isInterrupted(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// interrupted wraps the end of a command cut short by Ctrl-C: exit 130.
func interrupted(what string) error {
	return &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: %s", what)}
}
