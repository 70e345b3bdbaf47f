package sandbox

// Sharing one sandbox between processes. The process that starts a sandbox
// on a data directory owns its store (the on-disk store admits one writer);
// it writes running.json there: its pid, its endpoints and a random instance
// token, which its S3 server answers at healthPath. Any other process (a
// second app, `cfsign --sandbox ls`) finds the record, checks that the server
// at that address answers with the same token, and uses it. A record whose
// server does not answer is stale (a crash): it is removed and the caller
// starts its own.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cfsign/cfsign/aws/sandbox/s3server"
)

const (
	runningFile = "running.json"
	// healthPath is answered, unsigned, with the instance token.
	healthPath = "/.cfsign-sandbox/health"
	// healthTimeout bounds the liveness check of a recorded sandbox.
	healthTimeout = 2 * time.Second
)

// running is the record a live sandbox keeps in its data directory.
type running struct {
	PID                int    `json:"pid"`
	Instance           string `json:"instance"`
	S3Endpoint         string `json:"s3_endpoint"`
	EdgeURL            string `json:"edge_url"`
	CloudFrontEndpoint string `json:"cloudfront_endpoint,omitempty"`
	DistributionID     string `json:"distribution_id,omitempty"`
	Memory             bool   `json:"memory,omitempty"`
}

// ErrRunning is returned by Start when another live process already runs a
// sandbox on the data directory.
var ErrRunning = errors.New("a sandbox is already running on this data directory")

// Open returns the sandbox running on opts' data directory when one is alive,
// else starts one (Start). A sandbox another process runs is held (see
// lifetime.go) until its Close, so it runs on while this process uses it.
func Open(ctx context.Context, opts Options) (*Sandbox, error) {
	for attempt := 0; ; attempt++ {
		dir, err := dataDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		if rec, ok := alive(ctx, dir); ok {
			return attach(dir, rec)
		}
		sb, err := Start(ctx, opts)
		// Two processes starting at once: the loser finds the winner's
		// record on its second look.
		if (errors.Is(err, ErrRunning) || errors.Is(err, s3server.ErrLocked)) && attempt == 0 {
			continue
		}
		return sb, err
	}
}

// attach describes the sandbox another process runs, and holds a lease on
// it until Close.
func attach(dir string, rec running) (*Sandbox, error) {
	st, _, privPath, pubPath, err := readKeys(dir)
	if err != nil {
		return nil, err
	}
	return &Sandbox{
		LogPath:            filepath.Join(dir, logName),
		lease:              holdLease(dir, rec),
		S3Endpoint:         rec.S3Endpoint,
		EdgeURL:            rec.EdgeURL,
		CloudFrontEndpoint: rec.CloudFrontEndpoint,
		DistributionID:     rec.DistributionID,
		Bucket:             Bucket,
		Region:             Region,
		AccessKeyID:        st.AccessKeyID,
		SecretAccessKey:    st.SecretAccessKey,
		KeyPairID:          st.KeyPairID,
		PrivateKeyPath:     privPath,
		PublicKeyPath:      pubPath,
		SharedPID:          rec.PID,
	}, nil
}

// alive reads dir's record and reports whether its server answers with the
// recorded instance token. A stale record is removed.
func alive(ctx context.Context, dir string) (running, bool) {
	path := filepath.Join(dir, runningFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return running{}, false
	}
	var rec running
	if json.Unmarshal(b, &rec) != nil || rec.Instance == "" || rec.S3Endpoint == "" {
		os.Remove(path)
		return running{}, false
	}
	if !answers(ctx, rec) {
		// Only remove what we read: a new owner may have just replaced it.
		if now, err := os.ReadFile(path); err == nil && string(now) == string(b) {
			os.Remove(path)
		}
		return running{}, false
	}
	return rec, true
}

func answers(ctx context.Context, rec running) bool {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rec.S3Endpoint+healthPath, nil)
	if err != nil {
		return false
	}
	// A plain client: the record names a loopback address, never a proxy.
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return resp.StatusCode == http.StatusOK && string(body) == rec.Instance
}

// claim checks that no live sandbox runs on dir; the returned token is this
// instance's.
func claim(ctx context.Context, dir string) (string, error) {
	if rec, ok := alive(ctx, dir); ok {
		return "", fmt.Errorf("%w: %s (pid %d, S3 at %s)", ErrRunning, dir, rec.PID, rec.S3Endpoint)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// publish writes the record of s, a sandbox this process runs.
func (s *Sandbox) publish(dir string, memory bool) error {
	rec := running{PID: os.Getpid(), Instance: s.instance, S3Endpoint: s.S3Endpoint, EdgeURL: s.EdgeURL,
		CloudFrontEndpoint: s.CloudFrontEndpoint, DistributionID: s.DistributionID, Memory: memory}
	b, _ := json.MarshalIndent(rec, "", "  ")
	if err := writeFile(filepath.Join(dir, runningFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record the running sandbox: %w", err)
	}
	s.recordPath = filepath.Join(dir, runningFile)
	return nil
}

// unpublish removes the record if it is still this instance's.
func (s *Sandbox) unpublish() {
	if s.recordPath == "" {
		return
	}
	b, err := os.ReadFile(s.recordPath)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var rec running
	if err == nil && json.Unmarshal(b, &rec) == nil && rec.Instance == s.instance {
		os.Remove(s.recordPath)
	}
}
