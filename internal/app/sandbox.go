package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

// SandboxKey is the key cfsign signs with on the sandbox: the one a
// rotation or the setup screen chose (kept in its own file, never in
// config.toml, so a session on the sandbox never points config.toml at a
// server that is gone once it stops), else the sandbox's own pair.
type SandboxKey struct {
	KeyPairID, PrivateKey string

	path           string // the key file
	distributionID string
	sb             *sandbox.Sandbox
}

// sandboxKeyFile is the key file's JSON.
type sandboxKeyFile struct {
	DistributionID string `json:"distribution_id"`
	KeyPairID      string `json:"key_pair_id"`
	PrivateKey     string `json:"private_key"`
}

// SandboxKeyPath is the file that records the sandbox's chosen signing key.
func SandboxKeyPath(getenv func(string) string) string {
	return filepath.Join(filepath.Dir(config.ExpiryLedgerPath(getenv)), "sandbox-key.json")
}

// SandboxKey is the key the sandbox signs with: the one chosen, while the
// sandbox's CloudFront still trusts it (a key group holds it), else the
// sandbox's own key pair. Read once per session.
func (s *Session) SandboxKey(ctx context.Context) (*SandboxKey, error) {
	s.mu.Lock()
	k := s.sbKey
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	sb, err := s.Sandbox(ctx)
	if err != nil {
		return nil, err
	}
	k = &SandboxKey{KeyPairID: sb.KeyPairID, PrivateKey: sb.PrivateKeyPath, path: SandboxKeyPath(s.env.Getenv), distributionID: sb.DistributionID, sb: sb}
	if chosen, ok := s.chosenSandboxKey(ctx, k.path, sb); ok {
		k.KeyPairID, k.PrivateKey = chosen.KeyPairID, chosen.PrivateKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sbKey == nil {
		s.sbKey = k
	}
	return s.sbKey, nil
}

func (s *Session) chosenSandboxKey(ctx context.Context, path string, sb *sandbox.Sandbox) (sandboxKeyFile, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.logf("sandbox key: %v", err)
		}
		return sandboxKeyFile{}, false
	}
	var k sandboxKeyFile
	if json.Unmarshal(b, &k) != nil || k.DistributionID != sb.DistributionID || k.KeyPairID == "" {
		return k, false
	}
	cf, err := s.CloudFront(ctx)
	if err != nil {
		s.logf("sandbox key: %v", err)
		return k, false
	}
	groups, err := cf.GroupsWithKey(ctx, k.KeyPairID)
	if err != nil || len(groups) == 0 {
		s.logf("sandbox key %s is no longer in a key group: signing with the sandbox's own key", k.KeyPairID)
		return k, false
	}
	return k, true
}

// SetSandboxKey makes id and setting the sandbox's signing key from now on.
func (s *Session) SetSandboxKey(ctx context.Context, id, setting string) error {
	k, err := s.SandboxKey(ctx)
	if err != nil {
		return err
	}
	next := *k
	next.KeyPairID, next.PrivateKey = id, setting
	if err := next.save(); err != nil {
		return err
	}
	s.mu.Lock()
	s.sbKey = &next
	s.mu.Unlock()
	return nil
}

// save records the key in its file (0600).
func (k SandboxKey) save() error {
	b, _ := json.MarshalIndent(sandboxKeyFile{DistributionID: k.distributionID, KeyPairID: k.KeyPairID, PrivateKey: k.PrivateKey}, "", "  ")
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("save sandbox key: %w", err)
	}
	if err := os.WriteFile(k.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save sandbox key: %w", err)
	}
	return nil
}

// onSandbox returns s with the sandbox's values: its S3 endpoint, region
// and bucket, its edge as the domain (no origin path), and its signing key.
// A flag still wins for the bucket and the CloudFront settings: signing
// with --domain on the sandbox means that domain, and s3://BUCKET that bucket.
func (s Settings) onSandbox(k SandboxKey) Settings {
	sb := k.sb
	const from = "the sandbox"
	s.origins = cloneOrigins(s.origins)
	for k2, v := range map[Key]string{EndpointURL: sb.S3Endpoint, Region: sb.Region, Profile: ""} {
		s.set(k2, v, Origin{LayerSandbox, from})
	}
	for k2, v := range map[Key]string{Bucket: sb.Bucket, Domain: sb.EdgeURL, OriginPath: "", KeyPairID: k.KeyPairID, PrivateKey: k.PrivateKey} {
		if s.origins[k2].Layer != LayerFlag {
			s.set(k2, v, Origin{LayerSandbox, from})
		}
	}
	s.sandbox = &k
	return s
}

func cloneOrigins(m map[Key]Origin) map[Key]Origin {
	out := make(map[Key]Origin, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SandboxStopsWithUs reports whether the session's sandbox stops when the
// session closes: it started the sandbox from the data directory, and no
// other process uses it.
func (s *Session) SandboxStopsWithUs() bool {
	s.mu.Lock()
	sb := s.sb
	s.mu.Unlock()
	return sb != nil && s.env.OpenSandbox == nil && sb.SharedPID == 0 && sb.Users() == 0
}

// SandboxLog returns the last n lines of the sandbox's log: each refusal
// of its servers with the check that failed, and its handovers.
func (s *Session) SandboxLog(ctx context.Context, n int) ([]string, error) {
	sb, err := s.Sandbox(ctx)
	if err != nil {
		return nil, err
	}
	if sb == nil {
		return nil, errNoSandbox
	}
	return sandbox.Tail(sb.LogPath, n)
}

// EdgeRefusal is why the sandbox's edge refused the request it answered
// with requestID ("check NAME failed: DETAIL"); ok is false off the
// sandbox or when its log does not say.
func (s *Session) EdgeRefusal(ctx context.Context, requestID string) (reason string, ok bool) {
	if !s.useSandbox || requestID == "" {
		return "", false
	}
	sb, err := s.Sandbox(ctx)
	if err != nil || sb == nil {
		return "", false
	}
	return sandbox.RefusalFor(sb.LogPath, requestID)
}

// SandboxInfo describes the session's sandbox with the key cfsign signs
// with on it, and whether its distribution still trusts that key. A key
// setting that does not name an existing file is left out: it may be key
// text.
func (s *Session) SandboxInfo(ctx context.Context) (sandbox.Info, error) {
	sb, err := s.Sandbox(ctx)
	if err != nil {
		return sandbox.Info{}, err
	}
	if sb == nil {
		return sandbox.Info{}, errNoSandbox
	}
	info := sb.Info()
	k, err := s.SandboxKey(ctx)
	if err != nil {
		return info, nil
	}
	if k.KeyPairID != sb.KeyPairID {
		info.KeyPairID, info.PrivateKey, info.PublicKey = k.KeyPairID, "", ""
		if p, ok := keys.SettingFile(k.PrivateKey); ok {
			info.PrivateKey = p
			if filepath.Base(p) == keys.PrivateFile {
				// A pair as 'keys rotate' and 'keys generate' write it.
				if pub := filepath.Join(filepath.Dir(p), keys.PublicFile); fileExists(pub) {
					info.PublicKey = pub
				}
			}
		}
	}
	cf, err := s.CloudFront(ctx)
	if err != nil {
		s.logf("sandbox info: %v", err)
		return info, nil
	}
	dists, err := cf.ListDistributions(ctx)
	if err != nil {
		s.logf("sandbox info: %v", err)
		return info, nil
	}
	for _, d := range dists {
		if d.ID == sb.DistributionID {
			info.KeyStatus = sandbox.KeyStatusOf(len(d.KeyGroupsTrusting(info.KeyPairID)) > 0)
		}
	}
	return info, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
