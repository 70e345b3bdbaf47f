package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/secret"
)

func TestHelpOnEveryCommand(t *testing.T) {
	var cmds [][]string
	for _, c := range commands() {
		cmds = append(cmds, []string{c.name})
	}
	cmds = append(cmds, []string{"keys", "generate"}, []string{"keys", "show"}, []string{"keys", "register"}, nil)
	for _, c := range cmds {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string{}, c...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := newTestEnv(t).run(args...)
				if r.code != 0 {
					t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
				}
				if !strings.Contains(r.stdout, "Usage:") {
					t.Errorf("no usage on stdout: %q", r.stdout)
				}
				if r.stderr != "" {
					t.Errorf("stderr not empty: %q", r.stderr)
				}
			})
		}
	}
	// `cfsign help sign` too.
	r := newTestEnv(t).run("help", "sign")
	if r.code != 0 || !strings.Contains(r.stdout, "cfsign sign TARGET") {
		t.Errorf("help sign: %d %q", r.code, r.stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"--nope"}, "unknown flag -nope"},
		{[]string{"sign", "--nope", "x"}, "unknown flag -nope"},
		{[]string{"sign", "--expires", "1h"}, "no TARGET"},
		{[]string{"sign", "x"}, "missing --expires"},
		{[]string{"sign", "-", "x", "--expires", "1h"}, "cannot be mixed"},
		{[]string{"sign", "x", "--expires"}, "flag needs an argument"},
		{[]string{"verify"}, "want exactly one URL"},
		{[]string{"verify", "a", "b"}, "want exactly one URL"},
		{[]string{"verify", "https://x/y", "--ip", "nope"}, "not an IP address"},
		{[]string{"keys"}, "missing command"},
		{[]string{"keys", "make"}, `unknown command "make"`},
		{[]string{"keys", "generate", "--type", "dsa"}, "unknown key type"},
		{[]string{"keys", "generate", "extra"}, "unexpected argument"},
		{[]string{"keys", "show", "a", "b"}, "at most one"},
		{[]string{"keys", "register", "--private-key", "a", "--public-key", "b"}, "not both"},
		{[]string{"ls", "s3://a", "s3://b"}, "at most one"},
		{[]string{"ls", "bucket"}, "not an S3 URI"},
		{[]string{"upload", "file"}, "want PATH..."},
		{[]string{"upload", "file", "dest"}, "destination"},
		{[]string{"upload", "f", "s3://b/", "--part-size", "1MiB"}, "outside S3's limits"},
		{[]string{"upload", "f", "s3://b/", "--part-size", "lots"}, "bad size"},
		{[]string{"upload", "f", "s3://b/", "--concurrency", "-1"}, "--concurrency"},
		{[]string{"download"}, "want s3://bucket/key"},
		{[]string{"download", "s3://b/dir/"}, "names no object"},
		{[]string{"rm"}, "want s3://bucket/key"},
		{[]string{"rm", "s3://b/prefix/"}, "pass --recursive"},
		{[]string{"rm", "s3://b"}, "pass --recursive"},
		{[]string{"presign", "s3://b/k"}, "missing --expires"},
		{[]string{"presign", "s3://b"}, "names no object"},
		{[]string{"sandbox", "x"}, "unexpected argument"},
		{[]string{"distributions", "x"}, "unexpected argument"},
		{[]string{"doctor", "a", "b"}, "at most one"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			newTestEnv(t).run(tc.args...).oneLineError(t, ExitUsage, tc.want)
		})
	}
}

func TestNoSubcommandRunsApp(t *testing.T) {
	var got *AppStart
	te := newTestEnv(t).withSandbox()
	te.env.RunApp = func(ctx context.Context, start AppStart) error {
		got = &start
		return nil
	}
	ctx := context.Background()
	// No account anywhere: the app runs on the sandbox.
	te.run().mustOK(t)
	if got == nil || !got.Session.OnSandbox() {
		t.Fatalf("no account: app start %+v, want the sandbox", got)
	}
	sb, err := got.Session.Sandbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := got.Session.ClientOptions(ctx, got.Settings); err != nil || o.EndpointURL != sb.S3Endpoint || o.AccessKeyID == "" {
		t.Errorf("client options %+v (%v) do not point at the sandbox", o, err)
	}
	if s := got.Settings; s.Domain != sb.EdgeURL || s.KeyPairID != sb.KeyPairID {
		t.Errorf("sandbox settings %+v", s)
	}
	// An AWS profile in the environment: the real account, with global flags.
	got = nil
	te.set("AWS_PROFILE", "work").run("--bucket", "media", "--region", "eu-west-1").mustOK(t)
	if got == nil || got.Session.OnSandbox() {
		t.Fatalf("with AWS_PROFILE: %+v, want no sandbox", got)
	}
	if got.Settings.Bucket != "media" || got.Settings.Region != "eu-west-1" {
		t.Errorf("global flags not applied: %+v", got.Settings)
	}
	if got.Session.ConfigPath() != filepath.Join(te.vars["XDG_CONFIG_HOME"], "cfsign", "config.toml") {
		t.Errorf("config path %s", got.Session.ConfigPath())
	}
	// --sandbox forces the sandbox even with an account.
	got = nil
	te.run("--sandbox").mustOK(t)
	if got == nil || !got.Session.OnSandbox() {
		t.Fatal("--sandbox did not use the sandbox")
	}
	// s3://BUCKET/PREFIX opens the app at that folder.
	got = nil
	te.run("--sandbox", "s3://sandbox/photos/2026").mustOK(t)
	if got == nil || got.Settings.Bucket != "sandbox" || got.Prefix != "photos/2026" {
		t.Fatalf("s3:// argument: %+v", got)
	}
	// --bucket on the sandbox is the bucket the app opens, not silently
	// the sandbox's own: a bucket the sandbox lacks is an error on screen.
	got = nil
	te.run("--sandbox", "--bucket", "nope").mustOK(t)
	if got == nil || got.Settings.Bucket != "nope" {
		t.Fatalf("--bucket nope on the sandbox: %+v", got)
	}
	got = nil
	te.run("s3://media/").mustOK(t)
	if got == nil || got.Settings.Bucket != "media" || got.Prefix != "" {
		t.Fatalf("s3://media/: %+v", got)
	}
	te.run("s3://media/a", "extra").oneLineError(t, ExitUsage, "unexpected argument")
	// An error from the app is one line, exit 1.
	te.env.RunApp = func(context.Context, AppStart) error { return errors.New("terminal ui: no tty") }
	te.run().oneLineError(t, ExitError, "no tty")
	// Without a RunApp hook, usage goes to stdout and exit 0.
	te.env.RunApp = nil
	if r := te.run().mustOK(t); !strings.Contains(r.stdout, "Usage:") {
		t.Errorf("no usage: %q", r.stdout)
	}
}

func TestPanicIsOneLine(t *testing.T) {
	te := newTestEnv(t).set("AWS_PROFILE", "p")
	te.env.RunApp = func(context.Context, AppStart) error { panic("boom\x1b[2J") }
	r := te.run()
	r.oneLineError(t, ExitError, "internal error: boom")
	if strings.Contains(r.stderr, "\x1b") {
		t.Errorf("escape sequence reached stderr: %q", r.stderr)
	}
}

func TestBadConfigIsOneLineWithFileAndLine(t *testing.T) {
	te := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(p, []byte("domain = \"a\"\nkey_pair_id = = \n"), 0o600)
	te.set("CFSIGN_CONFIG", p)
	te.run("sign", "x", "--expires", "1h").oneLineError(t, ExitError, p+":2:")
}

func TestInterspersedFlags(t *testing.T) {
	r := &runner{env: Env{}.withDefaults()}
	var a, b string
	var c bool
	fs := newFlagSet("x")
	fs.StringVar(&a, "a", "", "")
	fs.StringVar(&b, "b", "", "")
	fs.BoolVar(&c, "c", false, "")
	pos, err := r.parseArgs(fs, "", []string{"p1", "-a", "1", "p2", "--c", "-", "--b=2", "--", "-a", "p3"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, ",") != "p1,p2,-,-a,p3" || a != "1" || b != "2" || !c {
		t.Errorf("pos %q a=%q b=%q c=%v", pos, a, b, c)
	}
}

func TestEscapeKeyAndSanitize(t *testing.T) {
	tests := []struct{ in, key, line string }{
		{"plain/key.txt", "plain/key.txt", "plain/key.txt"},
		{"ünïcödé 文件", "ünïcödé 文件", "ünïcödé 文件"},
		{"evil\x1b]0;title\x07", `"evil\x1b]0;title\x07"`, `evil\x1b]0;title\x07`},
		{`back\slash "q"` + "\x1b", `"back\\slash \"q\"\x1b"`, `back\slash "q"\x1b`},
		{"clear\x1b[2J", `"clear\x1b[2J"`, `clear\x1b[2J`},
		{"two\nrows", `"two\nrows"`, `two\nrows`},
		{"cr\roverwrite", `"cr\roverwrite"`, `cr\roverwrite`},
		{"bad\xffutf8", `"bad\xffutf8"`, `bad\xffutf8`},
		{"bidi\u202eevil", `"bidi\u202eevil"`, `bidi\u202eevil`},
	}
	for _, tc := range tests {
		if got := escapeKey(tc.in); got != tc.key {
			t.Errorf("escapeKey(%q) = %s, want %s", tc.in, got, tc.key)
		}
		if got := sanitize(tc.in); got != tc.line {
			t.Errorf("sanitize(%q) = %s, want %s", tc.in, got, tc.line)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"8MiB", 8 << 20, false}, {"16MB", 16e6, false}, {"5M", 5 << 20, false}, {"1GiB", 1 << 30, false},
		{"1048576", 1 << 20, false}, {"1.5KiB", 1536, false}, {"10 mib", 10 << 20, false},
		{"", 0, true}, {"MiB", 0, true}, {"8XB", 0, true}, {"-1", 0, true}, {"1e30", 0, true},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("parseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in string
		gone     []string
		kept     []string
	}{
		{"cloudfront url",
			"GET https://d1.cloudfront.net/a.pdf?Expires=1767225600&Signature=abcDEF~-_123&Key-Pair-Id=K2JCJMDEHXQW5F",
			[]string{"abcDEF~-_123"}, []string{"Signature=REDACTED", "Key-Pair-Id=K2JCJMDEHXQW5F", "Expires=1767225600"}},
		{"custom policy",
			"url=https://x/y?Policy=eyJTdGF0ZW1lbnQiOlt7&Signature=sig&Key-Pair-Id=K",
			[]string{"eyJTdGF0ZW1lbnQiOlt7", "=sig&"}, []string{"Policy=REDACTED", "Signature=REDACTED"}},
		{"cookies",
			"Set-Cookie: CloudFront-Policy=eyJabc; Path=/\nSet-Cookie: CloudFront-Signature=s1gn; Path=/",
			[]string{"eyJabc", "s1gn"}, []string{"CloudFront-Policy=REDACTED", "CloudFront-Signature=REDACTED"}},
		{"sigv4 query",
			"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0123abcd&X-Amz-Security-Token=FwoGZXIvYXdzEJr",
			[]string{"AKIAIOSFODNN7EXAMPLE", "0123abcd", "FwoGZXIvYXdzEJr"}, []string{"X-Amz-Credential=REDACTED%2F20260101", "X-Amz-Signature=REDACTED"}},
		{"auth header",
			"Authorization: AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027",
			[]string{"ASIAIOSFODNN7EXAMPLE", "fe5f80f77d5fa3beca038a248ff027"}, []string{"SignedHeaders=host"}},
		{"secret key forms",
			"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n{\"secret_access_key\":\"abc/def+ghi\"} SecretAccessKey: s3cr3t",
			[]string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "abc/def+ghi", "s3cr3t"}, []string{"aws_secret_access_key = REDACTED"}},
		{"bare secret", "creds AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end",
			[]string{"IOSFODNN7EXAMPLE", "wJalrXUtnFEMI"}, []string{"creds AKIAI", "end"}},
		{"pem",
			"key: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\ndone",
			[]string{"MIIEpAIBAAKCAQEA"}, []string{"[REDACTED RSA PRIVATE KEY]", "done"}},
		{"truncated pem", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG",
			[]string{"MIGHAgEAMBMG"}, []string{"[REDACTED PRIVATE KEY]"}},
		{"url userinfo", `s3 client endpoint="http://user:SECRETPASS@127.0.0.1:1" and https://a:b@h/x`,
			[]string{"SECRETPASS", "a:b@"}, []string{`"http://REDACTED@127.0.0.1:1"`, "https://REDACTED@h/x"}},
		{"harmless", "upload s3://media/a.txt 1024 bytes", nil, []string{"upload s3://media/a.txt 1024 bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := secret.RedactLog(tc.in)
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("%q survived: %q", g, got)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(got, k) {
					t.Errorf("%q missing: %q", k, got)
				}
			}
		})
	}
}

func TestDebugLogIsRedacted(t *testing.T) {
	te := newTestEnv(t)
	keyDir := t.TempDir()
	newTestEnv(t).run("keys", "generate", "--dir", keyDir).mustOK(t)
	logPath := filepath.Join(t.TempDir(), "debug.log")
	te.set("CFSIGN_DEBUG", logPath)
	r := te.run("sign", "--expires", "1h", "--key-pair-id", "KTEST", "--private-key", filepath.Join(keyDir, "private_key.pem"),
		"https://d1.cloudfront.net/a.txt", "--debug").mustOK(t)
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(logPath)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("debug log mode %v", st.Mode().Perm())
	}
	log := string(data)
	if !strings.Contains(log, "command sign") || !strings.Contains(log, "KTEST") {
		t.Errorf("debug log lacks the command: %q", log)
	}
	sig := r.stdout[strings.Index(r.stdout, "Signature=")+len("Signature=") : strings.Index(r.stdout, "&Key-Pair-Id")]
	if strings.Contains(log, sig) || strings.Contains(log, "PRIVATE KEY") {
		t.Errorf("debug log leaks a secret: %q", log)
	}
}

// FuzzSanitize: whatever a key or message holds, what reaches the terminal
// has no control characters or invalid UTF-8, and escapeKey round-trips.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "a\x1b[2Jb", "\xff\xfe", "tab\there", "\u202e", `"q"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secret.RedactLog(s) // must not panic
		for _, out := range []string{sanitize(s), escapeKey(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, c := range out {
				if unicode.IsControl(c) {
					t.Fatalf("control character %U out of %q: %q", c, s, out)
				}
			}
		}
		if k := escapeKey(s); k != s {
			if back, err := strconv.Unquote(k); err != nil || back != s {
				t.Fatalf("escapeKey(%q) = %s does not unquote back: %q %v", s, k, back, err)
			}
		}
	})
}

// A sandbox running on the default data directory (as `cfsign sandbox` runs
// it, here in-process on the on-disk store) is used, not fought over, by
// --sandbox commands and by the app: they share its bucket, and closing
// them leaves it running.
func TestSandboxSharedBetweenProcesses(t *testing.T) {
	te := newTestEnv(t)
	dir := config.SandboxDir(func(k string) string { return te.vars[k] })
	owner, err := sandbox.Start(context.Background(), sandbox.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()

	src := filepath.Join(t.TempDir(), "shared.txt")
	os.WriteFile(src, []byte("shared between processes\n"), 0o600)
	te.run("--sandbox", "upload", src, "s3://sandbox/shared/").mustOK(t)
	if r := te.run("--sandbox", "ls", "s3://sandbox/shared/").mustOK(t); !strings.Contains(r.stdout, "shared.txt") {
		t.Errorf("ls through the running sandbox: %q", r.stdout)
	}
	r := te.run("--sandbox", "sign", "s3://sandbox/shared/shared.txt", "--expires", "10m").mustOK(t)
	if !strings.HasPrefix(r.stdout, owner.EdgeURL+"/shared/shared.txt?") {
		t.Errorf("signed for %q, want the running sandbox's edge %s", r.stdout, owner.EdgeURL)
	}
	resp, err := http.Get(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "shared between processes\n" {
		t.Errorf("the signed link: %d %q", resp.StatusCode, body)
	}

	var endpoint, secret string
	te.env.RunApp = func(ctx context.Context, a AppStart) error {
		o, err := a.Session.ClientOptions(ctx, a.Settings)
		endpoint, secret = o.EndpointURL, o.SecretAccessKey
		return err
	}
	te.run().mustOK(t)
	if endpoint != owner.S3Endpoint || secret != owner.SecretAccessKey {
		t.Fatalf("the app did not use the running sandbox: %s", endpoint)
	}
	// The owner still serves after every user closed its handle.
	if _, err := sandbox.Open(context.Background(), sandbox.Options{DataDir: dir}); err != nil {
		t.Fatalf("the running sandbox after its users closed: %v", err)
	}
}

// The app takes the mouse unless --no-mouse or mouse = false says not to.
func TestAppMouseSetting(t *testing.T) {
	var got *AppStart
	te := newTestEnv(t).withSandbox()
	te.env.RunApp = func(ctx context.Context, start AppStart) error { got = &start; return nil }
	te.run().mustOK(t)
	if got == nil || !got.Mouse {
		t.Fatalf("default: mouse %v, want on", got != nil && got.Mouse)
	}
	te.run("--no-mouse").mustOK(t)
	if got.Mouse {
		t.Error("--no-mouse: the mouse is still on")
	}
	cfg := filepath.Join(te.vars["XDG_CONFIG_HOME"], "cfsign", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("mouse = false\n"), 0o600)
	te.run().mustOK(t)
	if got.Mouse {
		t.Error("mouse = false in config.toml: the mouse is still on")
	}
}

// --version says which cfsign this is (the debug log too); a mistyped
// command is answered with the one meant; distributions --help has the
// flags of create.
func TestVersionSuggestionsAndHelp(t *testing.T) {
	te := newTestEnv(t)
	r := te.run("--version").mustOK(t)
	if !strings.HasPrefix(r.stdout, "cfsign ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("--version: %q", r.stdout)
	}
	for typo, want := range map[string]string{"sigin": "sign", "uplaod": "upload", "verfy": "verify", "sing": "sign", "dowload": "download"} {
		te.run(typo).oneLineError(t, ExitUsage, fmt.Sprintf("(did you mean %q?)", want))
	}
	if r := te.run("zzzzzz"); strings.Contains(r.stderr, "did you mean") {
		t.Errorf("a guess for nonsense: %q", r.stderr)
	}
	h := te.run("distributions", "--help").mustOK(t).stdout
	for _, f := range []string{"--key-group GROUP", "--origin-path", "--yes"} {
		if !strings.Contains(h, f) {
			t.Errorf("distributions --help lacks create's %s", f)
		}
	}
	logPath := filepath.Join(t.TempDir(), "debug.log")
	te.set("CFSIGN_DEBUG", logPath).run("--debug", "sign")
	if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), "cfsign debug: ") || !strings.Contains(string(b), "cfsign (") {
		t.Errorf("the debug log does not say the version: %q", b)
	}
}
