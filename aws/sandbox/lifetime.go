package sandbox

// A sandbox stays up while anyone uses it. Every process that uses a
// sandbox another process runs holds a lease on it: one long request to
// leasePath, which ends when that process closes the sandbox, exits or
// dies (the kernel closes its socket). When the process that runs the
// sandbox is done while leases are held, it hands the sandbox over instead
// of stopping it: it stops serving, closes the store and starts a successor
// process (Options.Successor) with the three listening sockets, which never
// closed, so a request sent meanwhile waits in the socket's queue instead of
// being refused. The successor opens the store, serves on the same
// addresses under the same instance token (running.json stays true), and
// stops once no lease has been held for successorGrace.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const (
	// leasePath is held open, with the instance token, by each process that
	// uses the sandbox another process runs.
	leasePath = "/.cfsign-sandbox/lease"
	// leaseRetry is how long a lease broken by its server is tried again:
	// a handover takes a process start and a store open.
	leaseRetry = 10 * time.Second
	// successorGrace is how long a successor waits, with no lease held,
	// before it stops: its users reconnect in well under that.
	successorGrace = 3 * time.Second
	// handOverWait bounds the wait for a successor to answer.
	handOverWait = 10 * time.Second
	// takeOverEnv carries a handover's state to the successor.
	takeOverEnv = "CFSIGN_SANDBOX_TAKEOVER"
)

// leases counts the leases held on a sandbox this process runs.
type leases struct {
	mu      sync.Mutex
	n       int
	changed chan struct{} // closed and replaced at every change
	closing chan struct{} // closed when the sandbox stops serving
}

func newLeases() *leases {
	return &leases{changed: make(chan struct{}), closing: make(chan struct{})}
}

func (l *leases) add(d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += d
	close(l.changed)
	l.changed = make(chan struct{})
}

// count returns the leases held and a channel closed at the next change.
func (l *leases) count() (int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, l.changed
}

// take adds a lease, unless the sandbox stops: then the holder tries again,
// and reaches the successor if there is one.
func (l *leases) take() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.closing:
		return false
	default:
	}
	l.n++
	close(l.changed)
	l.changed = make(chan struct{})
	return true
}

// stop ends every lease and takes no more; it returns how many were held.
func (l *leases) stop() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.closing)
	return l.n
}

// serve holds one lease until its holder goes away or the sandbox stops.
func (l *leases) serve(w http.ResponseWriter, r *http.Request) {
	if !l.take() {
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	defer l.add(-1)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	select {
	case <-r.Context().Done():
	case <-l.closing:
	}
}

// Users is how many other processes use this sandbox now (the leases
// held); 0 for a sandbox another process runs.
func (s *Sandbox) Users() int {
	if s.leases == nil {
		return 0
	}
	n, _ := s.leases.count()
	return n
}

// lease is a process's hold on a sandbox another process runs.
type lease struct {
	stop context.CancelFunc
	done chan struct{}
}

// holdLease keeps a lease on the sandbox rec describes until release. It
// returns once the first lease is held (or could not be, within
// healthTimeout: the sandbox then works as before, without one).
func holdLease(dir string, rec running) *lease {
	ctx, cancel := context.WithCancel(context.Background())
	l := &lease{stop: cancel, done: make(chan struct{})}
	held := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(l.done)
		defer once.Do(func() { close(held) })
		client := &http.Client{Transport: &http.Transport{Proxy: nil}}
		var broken time.Time // when the server last ended the lease
		for ctx.Err() == nil {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, rec.S3Endpoint+leasePath+"?instance="+rec.Instance, nil)
			if err != nil {
				return
			}
			if resp, err := client.Do(req); err == nil {
				if resp.StatusCode == http.StatusOK {
					once.Do(func() { close(held) })
					broken = time.Time{}
					io.Copy(io.Discard, resp.Body) // until the server ends it
				}
				resp.Body.Close()
			}
			if ctx.Err() != nil {
				return
			}
			// The sandbox stopped, or is being handed over: then its
			// record stays and a successor answers at the same address.
			if broken.IsZero() {
				broken = time.Now()
			}
			if time.Since(broken) > leaseRetry || !sameRecord(dir, rec) {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	select {
	case <-held:
	case <-time.After(healthTimeout):
	}
	return l
}

// release ends the lease.
func (l *lease) release() {
	l.stop()
	<-l.done
}

// sameRecord reports whether dir's record still names rec's instance.
func sameRecord(dir string, rec running) bool {
	b, err := os.ReadFile(filepath.Join(dir, runningFile))
	var now running
	return err == nil && json.Unmarshal(b, &now) == nil && now.Instance == rec.Instance
}

// takeOver is the state a successor is started with, as JSON in takeOverEnv;
// its listening sockets are its file descriptors 3, 4 and 5 (S3 server,
// edge, CloudFront API).
type takeOver struct {
	DataDir    string   `json:"data_dir"`
	Instance   string   `json:"instance"`
	AllowHosts []string `json:"allow_hosts,omitempty"`
	CORSOrigin string   `json:"cors_origin,omitempty"`
}

// handOver starts the successor on the sockets in files, which it closes,
// and waits until it answers. It returns the successor's pid.
func (s *Sandbox) handOver(files []*os.File) (int, error) {
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	state, _ := json.Marshal(takeOver{DataDir: s.dir, Instance: s.instance, AllowHosts: s.hosts.list(), CORSOrigin: s.cors})
	cmd := s.successor()
	cmd.Env = append(os.Environ(), takeOverEnv+"="+string(state))
	cmd.ExtraFiles = files
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), handOverWait)
	defer cancel()
	rec := running{Instance: s.instance, S3Endpoint: s.S3Endpoint}
	for {
		// The queued request is answered once the successor serves.
		if answers(ctx, rec) {
			return cmd.Process.Pid, nil
		}
		select {
		case err := <-exited:
			return 0, fmt.Errorf("the new process exited: %v", err)
		case <-ctx.Done():
			cmd.Process.Kill()
			return 0, errors.New("the new process did not answer")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// listenerFiles duplicates the listening sockets, to hand them over.
func listenerFiles(ls []net.Listener) ([]*os.File, error) {
	var files []*os.File
	for _, l := range ls {
		tl, ok := l.(*net.TCPListener)
		if !ok {
			return nil, errors.ErrUnsupported
		}
		f, err := tl.File()
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// TakeOver runs the sandbox handed over to this process (see the package
// comment): the state comes in the environment variable and the sockets as
// file descriptors 3 to 5. It returns the running sandbox; WaitUnused then
// waits until nobody uses it.
func TakeOver(ctx context.Context, getenv func(string) string) (*Sandbox, error) {
	var st takeOver
	if err := json.Unmarshal([]byte(getenv(takeOverEnv)), &st); err != nil || st.DataDir == "" || st.Instance == "" {
		return nil, errors.New("take over a sandbox: no handover state (this runs only when a sandbox is handed over)")
	}
	var ls []net.Listener
	for i, name := range []string{"s3", "edge", "cloudfront"} {
		f := os.NewFile(uintptr(3+i), name)
		l, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return nil, fmt.Errorf("take over a sandbox: socket %s: %w", name, err)
		}
		ls = append(ls, l)
	}
	return start(ctx, Options{DataDir: st.DataDir, AllowHosts: st.AllowHosts, CORSOrigin: st.CORSOrigin}, &inherited{listeners: ls, instance: st.Instance})
}

// WaitUnused returns once no other process has used the sandbox for
// successorGrace, or ctx is done.
func (s *Sandbox) WaitUnused(ctx context.Context) {
	idle := time.NewTimer(successorGrace)
	defer idle.Stop()
	for {
		n, changed := s.leases.count()
		if n > 0 {
			idle.Stop()
		} else {
			idle.Reset(successorGrace)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-idle.C:
			if n, _ := s.leases.count(); n == 0 {
				return
			}
		}
	}
}
