package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cfsign/cfsign/aws/sandbox"
)

// runSandboxCmd runs 'cfsign sandbox --json' (plus flags) on te's default
// data directory (on disk) until stop is called, and returns what it printed.
func runSandboxCmd(t *testing.T, te *testEnv, flags ...string) (info sandbox.Info, stderr func() string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errb safeBuffer
	env := te.env
	env.Stdout, env.Stderr = pw, &errb
	vars := te.vars
	env.Getenv = func(k string) string { return vars[k] }
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"sandbox", "--json"}, flags...), env)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("sandbox --json: %v (exit %d): %s", err, <-done, errb.String())
	}
	go io.Copy(io.Discard, pr)
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line is not JSON: %q", line)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("sandbox exit %d: %s", code, errb.String())
		}
	}
	t.Cleanup(stop)
	return info, errb.String, stop
}

// A key retired with --delete stays out when the sandbox restarts (it once
// came back, trusted, and 'sandbox --json' kept advertising it), and
// --json names the key cfsign signs with.
func TestSandboxRetiredKeyStaysRetiredAcrossRestart(t *testing.T) {
	te := newTestEnv(t)
	info, _, stop := runSandboxCmd(t, te)
	if info.KeyStatus != sandbox.KeyTrusted || !strings.HasPrefix(info.KeyPairID, "K") {
		t.Fatalf("fresh sandbox: %+v, want its own key, trusted", info)
	}
	own, ownKey := info.KeyPairID, info.PrivateKey
	src := t.TempDir() + "/r.txt"
	os.WriteFile(src, []byte("rotated\n"), 0o600)
	te.run("--sandbox", "upload", src, "s3://sandbox/rot/").mustOK(t)
	oldURL := te.run("--sandbox", "sign", "s3://sandbox/rot/r.txt", "--expires", "10m").mustOK(t).stdout
	if !strings.Contains(oldURL, "Key-Pair-Id="+own) || status(t, oldURL) != 200 {
		t.Fatalf("before rotate: %s", oldURL)
	}
	newID := strings.TrimSpace(te.run("--sandbox", "keys", "rotate").mustOK(t).stdout)
	te.run("--sandbox", "keys", "retire", own, "--force", "--delete").mustOK(t)
	if c := status(t, oldURL); c != 403 {
		t.Fatalf("retired key before the restart: %d, want 403", c)
	}
	stop()

	// --sandbox starts its own sandbox (as after a crash) for each command.
	if list := te.run("--sandbox", "keys", "list").mustOK(t).stdout; strings.Contains(list, own) || !strings.Contains(list, newID) {
		t.Errorf("keys list after a restart shows the retired %s (or lacks %s):\n%s", own, newID, list)
	}

	info, stderr, stop := runSandboxCmd(t, te)
	if info.KeyPairID != newID || !strings.Contains(info.PrivateKey, "rotated-") || !strings.Contains(info.PublicKey, "rotated-") ||
		info.KeyStatus != sandbox.KeyTrusted {
		t.Errorf("sandbox --json after rotate, retire and restart: %+v, want the rotated key %s, trusted", info, newID)
	}
	if strings.Contains(stderr(), "retired") {
		t.Errorf("warning about a trusted key: %s", stderr())
	}
	withOld := te.run("--sandbox", "sign", "s3://sandbox/rot/r.txt", "--expires", "10m", "--key-pair-id", own, "--private-key", ownKey).mustOK(t).stdout
	if c := status(t, withOld); c != 403 {
		t.Errorf("URL signed with the retired key after the restart: %d, want 403", c)
	}
	newURL := te.run("--sandbox", "sign", "s3://sandbox/rot/r.txt", "--expires", "10m").mustOK(t).stdout
	if !strings.Contains(newURL, "Key-Pair-Id="+newID) || status(t, newURL) != 200 {
		t.Errorf("sign after the restart: %s, want %s answering 200", newURL, newID)
	}
	stop()

	// Without the record of the rotated key (another config directory),
	// --json names the sandbox's own key, and says it is retired.
	keyFile := filepath.Join(te.vars["XDG_STATE_HOME"], "cfsign", "sandbox-key.json")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	info, stderr, _ = runSandboxCmd(t, te)
	if info.KeyPairID != own || info.KeyStatus != sandbox.KeyRetired {
		t.Errorf("sandbox --json with only the retired own key: %+v, want %s with key_status retired", info, own)
	}
	if !strings.Contains(stderr(), "key pair ID "+own+" is retired") {
		t.Errorf("no warning that %s is retired: %q", own, stderr())
	}
}

// safeBuffer is a bytes.Buffer a running command writes while the test reads.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
