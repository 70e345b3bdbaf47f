package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/keys"
)

// Target is how one bucket's objects are signed: its distribution's domain
// and origin path, the key pair and the hash.
type Target struct {
	Domain, OriginPath string
	KeyPairID          string
	// Key is the private key setting and KeyFrom where it came from (for
	// messages: the setting may be key text).
	Key, KeyFrom string
	Hash         signedurl.Hash
	// KMS reports that KMS signs with the key: SHA-256 only.
	KMS bool
}

// Errors of a target that cannot sign. The front ends say how to set what
// is missing.
var (
	ErrNoKeyPairID  = errors.New("no key pair ID is set (key_pair_id)")
	ErrNoPrivateKey = errors.New("no private key is set (private_key)")
	ErrNoDomain     = errors.New("no CloudFront domain is set (domain)")
)

// ErrKMSSHA1 is the refusal of SHA-1 with a KMS key.
var ErrKMSSHA1 = errors.New("a KMS key cannot sign with SHA-1 (KMS has no SHA-1 signing): choose SHA-256, or drop the sha1 setting and cfsign signs with SHA-256 (Hash-Algorithm=SHA256)")

// Target is how these settings sign: the KMS rule applied (a KMS key signs
// with SHA-256, and an explicit sha1 is refused, never silently changed).
// Missing settings are left to Ready and ObjectURL to report, so a
// target that only presigns still resolves.
func (s Settings) Target() (Target, error) {
	t := Target{Domain: s.Domain, OriginPath: s.OriginPath, KeyPairID: s.KeyPairID, Key: s.PrivateKey,
		KeyFrom: s.Origin(PrivateKey).Name, Hash: signedurl.SHA1}
	if s.Hash != "" {
		h, err := signedurl.ParseHash(s.Hash)
		if err != nil {
			return t, fmt.Errorf("%s: %w", s.Origin(Hash).Name, err)
		}
		t.Hash = h
	}
	t, err := t.withKey(s.Hash != "")
	if err != nil {
		return t, fmt.Errorf("%s is sha1, but %w", s.Origin(Hash).Name, err)
	}
	return t, nil
}

// withKey applies the KMS rule to t's key; chosen says the hash was asked
// for, not a default.
func (t Target) withKey(chosen bool) (Target, error) {
	src, err := keys.ParseSource(t.Key)
	t.KMS = err == nil && src.Kind == keys.SourceKMS
	if !t.KMS {
		return t, nil
	}
	if chosen && t.Hash == signedurl.SHA1 {
		return t, ErrKMSSHA1
	}
	t.Hash = signedurl.SHA256
	return t, nil
}

// WithKey is t signing with another key (a screen's field): the KMS rule
// applies as to a hash chosen with chosen.
func (t Target) WithKey(keyPairID, key, from string, chosen bool) (Target, error) {
	t.KeyPairID, t.Key, t.KeyFrom = keyPairID, key, from
	return t.withKey(chosen)
}

// WithHash is t signing with h, as a screen lets the user choose: the KMS
// rule applies.
func (t Target) WithHash(h signedurl.Hash) (Target, error) {
	if t.KMS && h == signedurl.SHA1 {
		return t, ErrKMSSHA1
	}
	t.Hash = h
	return t, nil
}

// Ready says what is missing for t to sign.
func (t Target) Ready() error {
	switch {
	case t.KeyPairID == "":
		return ErrNoKeyPairID
	case t.Key == "":
		return ErrNoPrivateKey
	}
	return nil
}

// ObjectURL is the CloudFront URL of key (unsigned) under t's domain and
// origin path.
func (t Target) ObjectURL(key string) (string, error) {
	if t.Domain == "" {
		return "", ErrNoDomain
	}
	return signedurl.ObjectURL(t.Domain, t.OriginPath, key)
}

// Signer signs CloudFront URLs and cookies, recording in the ledger the
// latest expiry it has signed with its key pair ID (for 'cfsign keys
// retire'); safe for concurrent use.
type Signer struct {
	*signedurl.Signer
	// Warning is the key file's mode warning, if any, for the front end to
	// show once.
	Warning string
	// KMS reports that KMS signs: many requests may be in flight.
	KMS bool

	ledger    *keys.Ledger
	latest    atomic.Int64 // Unix seconds of the latest expiry recorded
	recordErr atomic.Pointer[error]
}

// LedgerError is the last failure to record an expiry, if any: the URLs are
// good, but 'keys retire' will know less, worth a warning.
func (r *Signer) LedgerError() error {
	if p := r.recordErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Signer loads t's key (a file, key text, KMS, Secrets Manager, Parameter
// Store) and makes a signer, once per key pair ID, key and hash.
func (s *Session) Signer(ctx context.Context, t Target) (*Signer, error) {
	if err := t.Ready(); err != nil {
		return nil, err
	}
	id := t.KeyPairID + "\x00" + t.Key + "\x00" + string(t.Hash)
	s.mu.Lock()
	sg, ok := s.signers[id]
	s.mu.Unlock()
	if ok {
		return sg, nil
	}
	key, warning, err := aws.LoadKeySigner(ctx, t.Key, t.KeyFrom, s.KeySourceOptions())
	if err != nil {
		return nil, err
	}
	_, isKMS := key.(*aws.KMSSigner)
	// With -tags openssl, RSA signs through libcrypto (same bytes, faster).
	inner, err := signedurl.NewSigner(t.KeyPairID, keys.Accelerate(key), t.Hash)
	if err != nil {
		return nil, err
	}
	sg = &Signer{Signer: inner, Warning: warning, KMS: isKMS, ledger: s.Ledger()}
	s.logf("signer key pair %s key %s hash %s", t.KeyPairID, keys.DescribeSetting(t.Key, t.KeyFrom), t.Hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.signers[id]; ok {
		return prev, nil
	}
	s.signers[id] = sg
	return sg, nil
}

// Record notes that a signature valid until exp was made; the ledger file
// is written only when exp is later than any before. A failed write only
// makes 'keys retire' know less, so it is returned for a warning at most.
func (r *Signer) Record(exp time.Time) error {
	for {
		prev := r.latest.Load()
		if exp.Unix() <= prev {
			return nil
		}
		if r.latest.CompareAndSwap(prev, exp.Unix()) {
			break
		}
	}
	err := r.ledger.Record(r.KeyPairID(), exp)
	if err != nil {
		r.recordErr.Store(&err)
	}
	return err
}

// SignURL signs rawURL and records the expiry.
func (r *Signer) SignURL(rawURL string, opts signedurl.PolicyOptions, now time.Time) (string, error) {
	u, err := r.Signer.SignURL(rawURL, opts, now)
	if err == nil {
		r.Record(opts.Expires)
	}
	return u, err
}

// SignCookies signs cookies for rawURL and records the expiry.
func (r *Signer) SignCookies(rawURL string, opts signedurl.PolicyOptions, now time.Time) ([]*http.Cookie, error) {
	c, err := r.Signer.SignCookies(rawURL, opts, now)
	if err == nil {
		r.Record(opts.Expires)
	}
	return c, err
}

// SignShared signs one wildcard policy for many URLs and records the expiry.
func (r *Signer) SignShared(opts signedurl.PolicyOptions, now time.Time) (*signedurl.SharedPolicy, error) {
	sp, err := r.Signer.SignShared(opts, now)
	if err == nil {
		r.Record(opts.Expires)
	}
	return sp, err
}
