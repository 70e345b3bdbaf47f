package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(asCfsign) == "1" {
		// Run as the cfsign program itself, as main.go does, for tests that
		// need a real process (signals).
		testenv.Isolate()
		ctx, stop := SignalContext(context.Background())
		code := Main(ctx, os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
		stop()
		os.Exit(code)
	}
	testenv.Main(m, func() {
		if keyRoot != "" {
			os.RemoveAll(keyRoot)
		}
	})
}

// asCfsign makes the test binary run as cfsign (see TestMain).
const asCfsign = "CFSIGN_TEST_AS_CFSIGN"

// testEnv is an Env over buffers with a private config/home directory.
type testEnv struct {
	t    testing.TB
	vars map[string]string
	in   string
	env  Env
}

func newTestEnv(t testing.TB) *testEnv {
	home := t.TempDir()
	te := &testEnv{t: t, vars: map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": home + "/config",
		"XDG_DATA_HOME":   home + "/data",
		"XDG_STATE_HOME":  home + "/state",
	}}
	return te
}

func (te *testEnv) set(k, v string) *testEnv { te.vars[k] = v; return te }

// withSandbox makes --sandbox use the shared in-memory sandbox.
func (te *testEnv) withSandbox() *testEnv {
	s := testenv.Sandbox(te.t)
	te.env.Sandbox = func(context.Context) (*sandbox.Sandbox, func(), error) { return s, func() {}, nil }
	return te
}

type result struct {
	code           int
	stdout, stderr string
}

func (te *testEnv) run(args ...string) result {
	te.t.Helper()
	return te.runCtx(context.Background(), args...)
}

func (te *testEnv) runCtx(ctx context.Context, args ...string) result {
	te.t.Helper()
	var out, errb bytes.Buffer
	env := te.env
	env.Stdin = strings.NewReader(te.in)
	env.Stdout = &out
	env.Stderr = &errb
	vars := te.vars
	env.Getenv = func(k string) string { return vars[k] }
	code := Main(ctx, args, env)
	return result{code, out.String(), errb.String()}
}

// mustOK fails the test unless r exited 0.
func (r result) mustOK(t testing.TB) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// oneLineError checks the error contract: exit code, nothing on stdout, one
// "cfsign: " line (plus a hint for usage errors) on stderr.
func (r result) oneLineError(t testing.TB, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout not empty on error: %q", r.stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	maxLines := 1
	if code == ExitUsage {
		maxLines = 2
	}
	if len(lines) == 0 || len(lines) > maxLines || !strings.HasPrefix(lines[0], "cfsign: ") {
		t.Errorf("stderr is not one cfsign: line: %q", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("stack trace on stderr: %q", r.stderr)
	}
}

// fixedNow is the clock tests pin so expiry times are predictable.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
