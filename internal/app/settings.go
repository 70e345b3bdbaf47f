package app

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

// Key names a setting by its key in config.toml.
type Key string

// The settings. The last four may also be set per bucket.
const (
	Profile       Key = "profile"
	Region        Key = "region"
	EndpointURL   Key = "endpoint_url"
	Bucket        Key = "bucket"
	DefaultExpiry Key = "default_expiry"
	Hash          Key = "hash"
	Domain        Key = "domain"
	OriginPath    Key = "origin_path"
	KeyPairID     Key = "key_pair_id"
	PrivateKey    Key = "private_key"
)

// AllKeys lists every setting in the order messages name them.
var AllKeys = []Key{Profile, Region, EndpointURL, Bucket, Domain, OriginPath, KeyPairID, PrivateKey, DefaultExpiry, Hash}

// bucketKeys are the settings a [buckets.NAME] section may hold.
var bucketKeys = []Key{Domain, OriginPath, KeyPairID, PrivateKey}

// envNames are the environment variables that set each key.
var envNames = map[Key]string{
	Profile: config.EnvProfile, Region: config.EnvRegion, EndpointURL: config.EnvEndpointURL,
	Bucket: config.EnvBucket, Domain: config.EnvDomain, OriginPath: config.EnvOriginPath,
	KeyPairID: config.EnvKeyPairID, PrivateKey: config.EnvPrivateKey, DefaultExpiry: config.EnvExpires,
	Hash: config.EnvHash,
}

// Layer is where a setting's value came from, lowest precedence first.
type Layer int

// The layers.
const (
	LayerUnset   Layer = iota // nothing sets it
	LayerDefault              // a default cfsign supplies: the default key file
	LayerFile                 // config.toml's top level
	LayerBucket               // config.toml's [buckets.NAME] section
	LayerEnv                  // a CFSIGN_* environment variable
	LayerFlag                 // the command line
	LayerSandbox              // the running sandbox's own value
)

// Origin says where one setting came from, by name, never by value: a
// setting may be a key.
type Origin struct {
	Layer Layer
	Name  string // "--domain", "CFSIGN_DOMAIN", "domain in FILE", ...
}

// Flag is a setting given on the command line: the flag the user typed
// and its value.
type Flag struct {
	Name, Value string
}

// Sources are the layers settings are resolved from.
type Sources struct {
	ConfigPath string
	File       config.Settings
	Getenv     func(string) string
	// Flags are the settings the command line gave (for the s3:// argument
	// of the app, the bucket, named as such).
	Flags map[Key]Flag
	// DefaultKey is the key file used when no layer names a private key:
	// set when the file exists as the sources are loaded, so resolving
	// settings reads no disk (the app resolves them as it draws).
	DefaultKey string
}

// LoadSources reads the config file ($CFSIGN_CONFIG or the default path)
// and notes the environment; flags are added by the caller.
func LoadSources(getenv func(string) string) (Sources, error) {
	path := config.PathFrom(getenv)
	f, err := config.Load(path)
	if err != nil {
		return Sources{}, err
	}
	src := Sources{ConfigPath: path, File: f, Getenv: getenv, Flags: map[Key]Flag{}}
	if def := filepath.Join(config.KeyDir(getenv), keys.PrivateFile); fileExists(def) {
		src.DefaultKey = def
	}
	return src, nil
}

// WithFlag returns src with a command-line setting (ignored when empty).
func (src Sources) WithFlag(k Key, name, value string) Sources {
	if value == "" {
		return src
	}
	flags := make(map[Key]Flag, len(src.Flags)+1)
	for fk, f := range src.Flags {
		flags[fk] = f
	}
	flags[k] = Flag{Name: name, Value: value}
	src.Flags = flags
	return src
}

// Settings are resolved settings, each with where it came from.
type Settings struct {
	config.Settings // the effective values

	src     Sources
	bucket  string // the [buckets.NAME] section merged in, "" for none
	origins map[Key]Origin
	sandbox *SandboxKey // set when the sandbox's values are in
}

// OnSandbox reports whether the sandbox's values are in.
func (s Settings) OnSandbox() bool { return s.sandbox != nil }

// Resolve merges the layers for bucket ("" for the defaults): config.toml's
// top level, then its [buckets.NAME] section (a bucket that names its own
// domain names its own distribution, so it does not inherit the top
// level's origin path), then CFSIGN_* variables, then flags; a private key
// named nowhere is the default key file when that exists.
func (src Sources) Resolve(bucket string) Settings {
	if src.Getenv == nil {
		src.Getenv = func(string) string { return "" }
	}
	s := Settings{src: src, bucket: bucket, origins: map[Key]Origin{}}
	s.Settings.Mouse = src.File.Mouse
	s.Settings.Buckets = src.File.Buckets
	file := src.File
	for _, k := range AllKeys {
		if v := get(&file, k); v != "" {
			s.set(k, v, Origin{LayerFile, fmt.Sprintf("%s in %s", k, src.ConfigPath)})
		}
	}
	if b, ok := src.File.Buckets[bucket]; ok && bucket != "" {
		in := func(k Key) Origin {
			return Origin{LayerBucket, fmt.Sprintf("%s in [buckets.%s] of %s", k, bucket, src.ConfigPath)}
		}
		if b.Domain != "" {
			s.set(Domain, b.Domain, in(Domain))
			// Its own distribution: its own origin path, even none.
			s.set(OriginPath, b.OriginPath, in(OriginPath))
		} else if b.OriginPath != "" {
			s.set(OriginPath, b.OriginPath, in(OriginPath))
		}
		if b.KeyPairID != "" {
			s.set(KeyPairID, b.KeyPairID, in(KeyPairID))
		}
		if b.PrivateKey != "" {
			s.set(PrivateKey, b.PrivateKey, in(PrivateKey))
		}
	}
	for _, k := range AllKeys {
		if v := src.Getenv(envNames[k]); v != "" {
			s.set(k, v, Origin{LayerEnv, envNames[k]})
		}
	}
	for k, f := range src.Flags {
		s.set(k, f.Value, Origin{LayerFlag, f.Name})
	}
	if s.PrivateKey == "" && src.DefaultKey != "" {
		s.set(PrivateKey, src.DefaultKey, Origin{LayerDefault, "the default key file"})
	}
	return s
}

func (s *Settings) set(k Key, v string, o Origin) {
	*field(&s.Settings, k) = v
	s.origins[k] = o
}

// field is the string of s that holds k.
func field(s *config.Settings, k Key) *string {
	switch k {
	case Profile:
		return &s.Profile
	case Region:
		return &s.Region
	case EndpointURL:
		return &s.EndpointURL
	case Bucket:
		return &s.Bucket
	case Domain:
		return &s.Domain
	case OriginPath:
		return &s.OriginPath
	case KeyPairID:
		return &s.KeyPairID
	case PrivateKey:
		return &s.PrivateKey
	case DefaultExpiry:
		return &s.DefaultExpiry
	case Hash:
		return &s.Hash
	}
	panic("app: unknown setting " + string(k))
}

func get(s *config.Settings, k Key) string { return *field(s, k) }

// Get is the effective value of k.
func (s Settings) Get(k Key) string { return get(&s.Settings, k) }

// Origin is where k came from.
func (s Settings) Origin(k Key) Origin { return s.origins[k] }

// ForBucket resolves the same layers for another bucket (the sandbox's
// values, if in, stay in). It reads nothing: the layers were read before.
func (s Settings) ForBucket(bucket string) Settings {
	if bucket == s.bucket {
		return s
	}
	r := s.src.Resolve(bucket)
	if s.sandbox != nil {
		r = r.onSandbox(*s.sandbox)
	}
	return r
}

// Literal is settings given whole, every value as if from the top of the
// config file: for what has no layers to resolve (tests, mostly).
func Literal(cs config.Settings) Settings {
	return Sources{File: cs, ConfigPath: "config.toml"}.Resolve("")
}

// SectionBucket is the bucket whose [buckets.NAME] section is merged in.
func (s Settings) SectionBucket() string { return s.bucket }

// ConfigPath is the config file these settings were read from.
func (s Settings) ConfigPath() string { return s.src.ConfigPath }

// Describe lists where each setting came from, for the debug log: names
// only, never a value.
func (s Settings) Describe() string {
	var parts []string
	for _, k := range AllKeys {
		if o, ok := s.origins[k]; ok {
			parts = append(parts, fmt.Sprintf("%s from %s", k, o.Name))
		}
	}
	if len(parts) == 0 {
		return "no settings"
	}
	return strings.Join(parts, "; ")
}

// Edit is a change the user made to one setting.
type Edit struct {
	Key   Key
	Value string
}

// Saved is what Save did.
type Saved struct {
	Settings Settings // resolved again from the saved file
	// Overridden names the edits a higher layer still overrides ("domain:
	// CFSIGN_DOMAIN overrides it"), so the screen can say the saved value
	// is not the one in effect.
	Overridden []string
	// Wrote reports whether config.toml changed (the sandbox's key is kept
	// in a file of its own).
	Wrote bool
}

// Save writes the settings the user edited in set (the settings the
// edits were made on), and only those, each into the layer it came from:
// the bucket's section when it came from there, else the top level of
// config.toml. A setting that came from a flag or the environment is saved
// where the file would supply it, and said to be still overridden; flags
// and the environment themselves are never written. On the sandbox, the key
// pair ID and private key go to the sandbox's key file, not config.toml.
// Every other key, section and comment of the file stays as the user wrote
// it.
func (s *Session) Save(ctx context.Context, set Settings, edits ...Edit) (Saved, error) {
	var fileEdits []config.Edit
	var out Saved
	id, key, sandboxKey := set.KeyPairID, set.PrivateKey, false
	for _, e := range edits {
		if e.Value == set.Get(e.Key) {
			continue
		}
		o := set.Origin(e.Key)
		if o.Layer == LayerSandbox && (e.Key == KeyPairID || e.Key == PrivateKey) {
			sandboxKey = true
			if e.Key == KeyPairID {
				id = e.Value
			} else {
				key = e.Value
			}
			continue
		}
		ce := config.Edit{Key: string(e.Key), Value: e.Value, Remove: e.Value == ""}
		if set.inSection(e.Key, o) {
			ce.Bucket = set.bucket
		}
		fileEdits = append(fileEdits, ce)
		switch o.Layer {
		case LayerEnv, LayerFlag:
			out.Overridden = append(out.Overridden, fmt.Sprintf("%s: %s overrides it", e.Key, o.Name))
		case LayerSandbox:
			out.Overridden = append(out.Overridden, fmt.Sprintf("%s: the sandbox's own is used while on the sandbox", e.Key))
		}
	}
	if sandboxKey {
		if err := s.SetSandboxKey(ctx, id, key); err != nil {
			return Saved{}, err
		}
	}
	if len(fileEdits) > 0 {
		if err := s.applyConfig(fileEdits...); err != nil {
			return Saved{}, err
		}
		out.Wrote = true
	}
	var err error
	out.Settings, err = s.BucketSettings(ctx, set.bucket)
	return out, err
}

// BucketSettings resolves the settings of the bucket they name: for bucket
// ("" for the default), and when that names another bucket (bucket in
// config.toml), for that one, so its [buckets.NAME] section is in.
func (s *Session) BucketSettings(ctx context.Context, bucket string) (Settings, error) {
	set, err := s.Settings(ctx, bucket)
	if err != nil || set.Bucket == "" || set.Bucket == bucket {
		return set, err
	}
	return s.Settings(ctx, set.Bucket)
}

// applyConfig edits config.toml and reads it again.
func (s *Session) applyConfig(edits ...config.Edit) error {
	path := s.sources().ConfigPath
	if err := config.Apply(path, edits...); err != nil {
		return err
	}
	f, err := config.Load(path)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.src.File = f
	s.mu.Unlock()
	return nil
}

// inSection reports whether an edit of k goes to the bucket's section: it
// came from there, or the section already sets it (a value from a flag or
// the environment over it), or the section names its own distribution
// (its origin path is its own).
func (s Settings) inSection(k Key, o Origin) bool {
	if s.bucket == "" || !slices.Contains(bucketKeys, k) {
		return false
	}
	if o.Layer == LayerBucket {
		return true
	}
	b, ok := s.src.File.Buckets[s.bucket]
	if !ok {
		return false
	}
	sec := config.Settings{Domain: b.Domain, OriginPath: b.OriginPath, KeyPairID: b.KeyPairID, PrivateKey: b.PrivateKey}
	return get(&sec, k) != "" || (k == OriginPath && b.Domain != "")
}
