package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// terminal is one terminal that stdout and stderr both write to, as when
// neither is redirected.
type terminal struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.Write(p)
}

// lines is what the terminal shows once everything is written: each line
// as carriage returns and "erase to end of line" leave it.
func (t *terminal) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, raw := range strings.Split(t.buf.String(), "\n") {
		var line []rune
		col := 0
		for rest := raw; rest != ""; {
			switch {
			case strings.HasPrefix(rest, "\r"):
				col, rest = 0, rest[1:]
			case strings.HasPrefix(rest, "\x1b[K"):
				line, rest = line[:col], rest[3:]
			default:
				r := []rune(rest)[0]
				if col < len(line) {
					line[col] = r
				} else {
					line = append(line, r)
				}
				col++
				rest = rest[len(string(r)):]
			}
		}
		out = append(out, string(line))
	}
	return out
}

// runOnTerminal runs cfsign with stdout and stderr on one terminal.
func (te *testEnv) runOnTerminal(args ...string) (int, *terminal) {
	te.t.Helper()
	term := &terminal{}
	env := te.env
	env.Stdin = strings.NewReader("")
	env.Stdout, env.Stderr = term, term
	env.StdoutTTY, env.StderrTTY = true, true
	vars := te.vars
	env.Getenv = func(k string) string { return vars[k] }
	return Main(context.Background(), args, env), term
}

// On a terminal, the progress bar never shares a line with what follows
// it: each uploaded object's line starts a line of its own, no frame of
// the bar is left behind, and one total line ends the upload; a download
// ends whole, with its total line, not on a frame short of 100%.
func TestProgressBarLeavesCleanLines(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "t9", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "t9", "big.bin"), bytes.Repeat([]byte("x"), 20<<20), 0o644)
	os.WriteFile(filepath.Join(dir, "t9", "sub", "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(dir, "t9", "b.txt"), []byte("b"), 0o644)
	prefix := relStamp("bar") + "/"

	code, term := te.runOnTerminal("--sandbox", "upload", filepath.Join(dir, "t9"), "s3://sandbox/"+prefix, "--part-size", "5MiB")
	if code != 0 {
		t.Fatalf("exit %d:\n%q", code, term.buf.String())
	}
	lines := term.lines()
	objects := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "s3://sandbox/"+prefix):
			objects++
		case strings.Contains(l, "s3://"), strings.Contains(l, "ETA"), strings.Contains(l, "%"):
			t.Errorf("a line shared with the bar, or a frame left behind: %q", l)
		}
	}
	if objects != 3 || !strings.HasPrefix(lines[len(lines)-2], "uploaded 3 files (20 MiB) in ") || lines[len(lines)-1] != "" {
		t.Fatalf("want 3 object lines and a total line last:\n%s", strings.Join(lines, "\n"))
	}

	dest := filepath.Join(t.TempDir(), "big.bin")
	code, term = te.runOnTerminal("--sandbox", "download", "s3://sandbox/"+prefix+"t9/big.bin", dest)
	if code != 0 {
		t.Fatalf("download: exit %d:\n%q", code, term.buf.String())
	}
	lines = term.lines()
	want := []string{"downloaded s3://sandbox/" + prefix + "t9/big.bin (20 MiB) in ", dest, ""}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], want[0]) || lines[1] != want[1] {
		t.Fatalf("download on a terminal shows:\n%s", strings.Join(lines, "\n"))
	}
}
