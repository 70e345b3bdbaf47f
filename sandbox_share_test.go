//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// newUser is the environment of a new user of cfsign: empty XDG
// directories, no AWS account, so --sandbox is all there is.
func newUser(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{asCfsign + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}
	if c := os.Getenv("GOCOVERDIR"); c != "" {
		env = append(env, "GOCOVERDIR="+c)
	}
	return env
}

// cfsignCmd is cfsign with args, as user env runs it.
func cfsignCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = env
	return cmd
}

// sandboxPID is the pid running.json names, 0 when there is none.
func sandboxPID(env []string) int {
	var data string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_DATA_HOME="); ok {
			data = v
		}
	}
	b, err := os.ReadFile(filepath.Join(data, "cfsign", "sandbox", "running.json"))
	var rec struct{ PID int }
	if err != nil || json.Unmarshal(b, &rec) != nil {
		return 0
	}
	return rec.PID
}

// waitNoSandbox waits until no process runs the user's sandbox.
func waitNoSandbox(t *testing.T, env []string) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		pid := sandboxPID(env)
		if pid == 0 || syscall.Kill(pid, 0) != nil {
			return
		}
	}
	t.Fatalf("a sandbox (pid %d) still runs with nobody using it", sandboxPID(env))
}

// Two `cfsign --sandbox upload` commands at once, of a small file and a
// big one: whichever started the sandbox, both uploads succeed and both
// objects are whole. The second upload once failed in 3 of 5 runs: the
// first command stopped the sandbox as it exited.
func TestConcurrentSandboxCommands(t *testing.T) {
	env := newUser(t)
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small.bin"), filepath.Join(dir, "big.bin")
	os.WriteFile(small, bytes.Repeat([]byte("s"), 100<<10), 0o644)
	os.WriteFile(big, bytes.Repeat([]byte("cfsign big "), 4<<20), 0o644) // 44 MiB: multipart, a while
	for run := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		outs := make([][]byte, 2)
		for i, f := range []string{small, big} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("s3://sandbox/run%d/%s", run, filepath.Base(f))
				outs[i], errs[i] = cfsignCmd(env, "--sandbox", "upload", f, key).CombinedOutput()
			}()
		}
		wg.Wait()
		for i := range errs {
			if errs[i] != nil {
				t.Fatalf("run %d: upload %d: %v\n%s", run, i, errs[i], outs[i])
			}
		}
		out, err := cfsignCmd(env, "--sandbox", "ls", "--json", fmt.Sprintf("s3://sandbox/run%d/", run)).Output()
		if err != nil || !strings.Contains(string(out), `small.bin","size":102400`) || !strings.Contains(string(out), `big.bin","size":46137344`) {
			t.Fatalf("run %d: ls: %v\n%s", run, err, out)
		}
	}
	waitNoSandbox(t, env)
}

// `cfsign sandbox` while another process runs the sandbox prints that
// sandbox's settings (it once exited 1 with nothing on stdout) and keeps it
// up: the process that started it may go, and the sandbox answers until
// `cfsign sandbox` is stopped too.
func TestSandboxCommandWhileAnotherRunsIt(t *testing.T) {
	env := newUser(t)
	first := cfsignCmd(env, "sandbox", "--json")
	firstOut, _ := first.StdoutPipe()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	var info struct {
		S3Endpoint      string `json:"s3_endpoint"`
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		LogFile         string `json:"log_file"`
	}
	line, err := bufio.NewReader(firstOut).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &info) != nil {
		t.Fatalf("first sandbox --json: %q %v", line, err)
	}

	second := cfsignCmd(env, "sandbox", "--json")
	secondOut, _ := second.StdoutPipe()
	var stderr bytes.Buffer
	second.Stderr = &stderr
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	defer second.Process.Kill()
	line2, err := bufio.NewReader(secondOut).ReadBytes('\n')
	if err != nil {
		t.Fatalf("second sandbox --json printed nothing: %v (stderr %q)", err, stderr.String())
	}
	var info2 map[string]string
	if err := json.Unmarshal(line2, &info2); err != nil || info2["s3_endpoint"] != info.S3Endpoint ||
		info2["access_key_id"] != info.AccessKeyID || info2["secret_access_key"] != info.SecretAccessKey {
		t.Fatalf("second sandbox --json: %s, want the running sandbox's settings %+v", line2, info)
	}

	// The first goes; the sandbox runs on for the second.
	first.Process.Signal(os.Interrupt)
	first.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ls := exec.CommandContext(ctx, "aws", "s3", "ls", "s3://sandbox/", "--endpoint-url", info.S3Endpoint)
	ls.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+info.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+info.SecretAccessKey, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if out, err := ls.CombinedOutput(); err != nil {
		t.Fatalf("after the first sandbox stopped, the AWS CLI gets: %v\n%s", err, out)
	}

	second.Process.Signal(os.Interrupt)
	second.Wait()
	if !strings.Contains(stderr.String(), "already running") {
		t.Errorf("second sandbox's stderr %q does not say it was already running", stderr.String())
	}
	waitNoSandbox(t, env)
}

// The banner's lines for "cfsign in another shell" are all another shell
// needs: with only those variables, cfsign lists the sandbox and signs a
// URL that the edge serves. They once left out the credentials. And
// `cfsign --sandbox sign` says when no sandbox runs, as its URL then opens
// nothing once it exits; with one running it says nothing.
func TestSandboxBannerExportsSuffice(t *testing.T) {
	env := newUser(t)
	out, err := cfsignCmd(env, "--sandbox", "upload", "README.md", "s3://sandbox/readme.md").CombinedOutput()
	if err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	sign := cfsignCmd(env, "--sandbox", "sign", "s3://sandbox/readme.md", "--expires", "1h")
	sign.Stderr = &stderr
	if _, err := sign.Output(); err != nil || !strings.Contains(stderr.String(), "no sandbox is running") {
		t.Fatalf("--sandbox sign with no sandbox running: %v, stderr %q; want a note that none runs", err, stderr.String())
	}
	waitNoSandbox(t, env)

	sb := cfsignCmd(env, "sandbox")
	stdout, _ := sb.StdoutPipe()
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sb.Process.Signal(os.Interrupt); sb.Wait(); waitNoSandbox(t, env) }()
	var exports []string
	sc := bufio.NewScanner(stdout)
	inBlock := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "For cfsign in another shell") {
			inBlock = true
			continue
		}
		if inBlock {
			if line == "" {
				break
			}
			exports = append(exports, strings.TrimPrefix(line, "export "))
		}
	}
	go io.Copy(io.Discard, stdout)
	if len(exports) == 0 {
		t.Fatal("no exports for cfsign in the banner")
	}
	shell := append(newUser(t), exports...) // another shell: nothing but those
	if out, err := cfsignCmd(shell, "ls", "s3://sandbox/").CombinedOutput(); err != nil || !strings.Contains(string(out), "readme.md") {
		t.Fatalf("cfsign ls with the banner's exports %q: %v\n%s", exports, err, out)
	}
	url, err := cfsignCmd(shell, "sign", "s3://sandbox/readme.md", "--expires", "10m").Output()
	if err != nil {
		t.Fatalf("cfsign sign with the banner's exports: %v", err)
	}
	resp, err := http.Get(strings.TrimSpace(string(url)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the edge answers %d to the URL signed in another shell", resp.StatusCode)
	}
	stderr.Reset()
	sign = cfsignCmd(env, "--sandbox", "sign", "s3://sandbox/readme.md", "--expires", "1h")
	sign.Stderr = &stderr
	if _, err := sign.Output(); err != nil || stderr.Len() != 0 {
		t.Fatalf("--sandbox sign with a sandbox running: %v, stderr %q; want nothing on stderr", err, stderr.String())
	}
}
