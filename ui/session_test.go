package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
)

// testSession is the application layer the app runs on, for tests:
// config.toml holds cs, keys, state and the ledger live in the test's temp
// directories, extra environment variables come from env; on sb (a
// sandbox of the test's) when sb is not nil.
func testSession(t *testing.T, cs config.Settings, sb *sandbox.Sandbox, env map[string]string) *app.Session {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"XDG_STATE_HOME": filepath.Join(dir, "state"), "XDG_DATA_HOME": filepath.Join(dir, "data")}
	for k, v := range env {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(cs); err != nil {
		t.Fatal(err)
	}
	path := config.PathFrom(getenv)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := app.LoadSources(getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := app.Env{Getenv: getenv}
	if sb != nil {
		e.OpenSandbox = func(context.Context) (*sandbox.Sandbox, func(), error) { return sb, func() {}, nil }
	}
	sess := app.NewSession(e, src, sb != nil)
	t.Cleanup(sess.Close)
	return sess
}

// vtPTY opens a pseudo-terminal: the controller side (the terminal
// emulator's) and the terminal side (the program's).
func vtPTY(t *testing.T) (ctl, tty *os.File) { return testenv.PTY(t) }
