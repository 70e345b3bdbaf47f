//go:build unix

package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// testSuccessor runs this test binary as the successor (see TestMain).
func testSuccessor() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }

// processGone waits up to limit for pid to exit.
func processGone(pid int, limit time.Duration) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
	}
	return false
}

// The process that started the sandbox is done while another one still
// uploads: the sandbox runs on, at the same addresses, for as long as that
// one uses it, and no request of it fails. Then it stops by itself. The
// sandbox once stopped with its first process, and everyone else's next
// request was refused.
func TestSandboxOutlivesItsStarterWhileUsed(t *testing.T) {
	if !canHandOver {
		t.Skip("sockets cannot be handed to a child process on this system")
	}
	dir := t.TempDir()
	owner, err := Start(context.Background(), Options{DataDir: dir, Successor: testSuccessor})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	user, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer user.Close()
	if user.SharedPID != os.Getpid() || owner.Users() != 1 {
		t.Fatalf("attached to pid %d, owner counts %d users; want this process and 1", user.SharedPID, owner.Users())
	}

	// The user sends requests without a pause while the owner closes.
	c := sbClient(user)
	var failures atomic.Int32
	var sent atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d/%04d", w, i)
				if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: sdkaws.String(Bucket), Key: &key, Body: bytes.NewReader([]byte(key))}); err != nil {
					t.Errorf("put %s: %v", key, err)
					failures.Add(1)
				}
				sent.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	if err := owner.Close(); err != nil {
		t.Fatalf("owner Close: %v", err)
	}
	if owner.HandedTo == 0 {
		t.Fatal("the owner stopped the sandbox although another process used it")
	}
	before := sent.Load()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failures.Load() > 0 || sent.Load() == before {
		t.Fatalf("%d requests failed, %d sent after the handover", failures.Load(), sent.Load()-before)
	}
	// Everything written, before and after, is there.
	for w := range 2 {
		key := fmt.Sprintf("w%d/%04d", w, 0)
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: sdkaws.String(Bucket), Key: &key})
		if err != nil {
			t.Fatalf("get %s from the successor: %v", key, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != key {
			t.Fatalf("%s holds %q", key, b)
		}
	}
	if rec, ok := alive(context.Background(), dir); !ok || rec.PID != owner.HandedTo || rec.S3Endpoint != owner.S3Endpoint {
		t.Fatalf("record %+v (alive %v), want pid %d at %s", rec, ok, owner.HandedTo, owner.S3Endpoint)
	}

	// The last user goes: the successor stops and removes its record.
	user.Close()
	if !processGone(owner.HandedTo, successorGrace+5*time.Second) {
		t.Fatalf("the successor (pid %d) still runs with nobody using it", owner.HandedTo)
	}
	if _, err := os.Stat(filepath.Join(dir, runningFile)); !os.IsNotExist(err) {
		t.Errorf("running.json left after the successor stopped: %v", err)
	}
	lines, _ := Tail(filepath.Join(dir, logName), 10)
	t.Logf("log:\n%s", bytes.Join(func() (b [][]byte) {
		for _, l := range lines {
			b = append(b, []byte(l))
		}
		return
	}(), []byte("\n")))
}

// A sandbox nobody else uses stops with the process that runs it, and a
// process that used it lets it go at its Close (its lease ends).
func TestSandboxUnusedStopsAtClose(t *testing.T) {
	dir := t.TempDir()
	owner, err := Start(context.Background(), Options{DataDir: dir, Successor: testSuccessor})
	if err != nil {
		t.Fatal(err)
	}
	user, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	user.Close()
	for end := time.Now().Add(2 * time.Second); owner.Users() != 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
	}
	if n := owner.Users(); n != 0 {
		t.Fatalf("%d users after the only user closed", n)
	}
	if err := owner.Close(); err != nil || owner.HandedTo != 0 {
		t.Fatalf("Close: %v, handed to %d; want a plain stop", err, owner.HandedTo)
	}
	if _, err := http.Get(owner.S3Endpoint + healthPath); err == nil {
		t.Fatal("the S3 server still answers after Close")
	}
}

// A lease needs the instance token: a web page that guesses the address
// cannot keep the sandbox alive.
func TestSandboxLeaseNeedsTheToken(t *testing.T) {
	sb, _ := sbStart(t)
	resp, err := http.Get(sb.S3Endpoint + leasePath + "?instance=guess")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || sb.Users() != 0 {
		t.Fatalf("lease with a wrong token: %d, %d users", resp.StatusCode, sb.Users())
	}
}
