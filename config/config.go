// Package config holds cfsign's settings: the config file, the CFSIGN_*
// environment and the precedence between them and flags. Both front ends (the
// CLI and the TUI) read and write settings through it.
package config

import "errors"

// Settings are cfsign's user settings. Empty means unset.
type Settings struct {
	Profile       string `toml:"profile,omitempty"`
	Region        string `toml:"region,omitempty"`
	EndpointURL   string `toml:"endpoint_url,omitempty"`
	Bucket        string `toml:"bucket,omitempty"`
	Domain        string `toml:"domain,omitempty"`
	OriginPath    string `toml:"origin_path,omitempty"`
	KeyPairID     string `toml:"key_pair_id,omitempty"`
	PrivateKey    string `toml:"private_key,omitempty"`
	DefaultExpiry string `toml:"default_expiry,omitempty"`
	Hash          string `toml:"hash,omitempty"`
	// Buckets holds per-bucket CloudFront settings, so s3://bucket/key signs
	// with that bucket's distribution.
	Buckets map[string]BucketSettings `toml:"buckets,omitempty"`
}

// BucketSettings are the CloudFront settings of one bucket.
type BucketSettings struct {
	Domain     string `toml:"domain,omitempty"`
	OriginPath string `toml:"origin_path,omitempty"`
	KeyPairID  string `toml:"key_pair_id,omitempty"`
	PrivateKey string `toml:"private_key,omitempty"`
}

var errTODO = errors.New("not implemented yet")

// DefaultPath is $XDG_CONFIG_HOME/cfsign/config.toml (~/.config when unset).
func DefaultPath() string { return "" }

// Load reads the config file at path; a missing file gives empty Settings.
func Load(path string) (Settings, error) { return Settings{}, errTODO }

// Save writes s to path atomically with mode 0600 (directory 0700).
func Save(path string, s Settings) error { return errTODO }

// WithEnv overlays the CFSIGN_* variables read through getenv onto s.
func WithEnv(s Settings, getenv func(string) string) Settings { return s }
