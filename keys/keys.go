// Package keys makes, writes and loads the key pairs CloudFront signs with.
// It is pure crypto and files: no AWS, no terminal.
//
// CloudFront accepts two kinds of key: RSA-2048 and ECDSA P-256. RSA private
// keys are written as PKCS#1 ("RSA PRIVATE KEY", what `openssl genrsa
// -traditional` writes) because AWS CLI v1 and many SDKs load only that form;
// ECDSA private keys as PKCS#8 ("PRIVATE KEY"); public keys as
// SubjectPublicKeyInfo ("PUBLIC KEY"), the form CreatePublicKey takes.
//
// Errors never contain key material: they name the file, the kind of key and
// what to do, nothing from inside the PEM body.
package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Type is the kind of key pair: RSA-2048 or ECDSA P-256, the two CloudFront accepts.
type Type string

// Key types.
const (
	RSA   Type = "rsa"
	ECDSA Type = "ecdsa"
)

// File names inside a key directory.
const (
	PrivateFile = "private_key.pem"
	PublicFile  = "public_key.pem"
)

// ErrExists is returned (wrapped) when a key file exists and force was not given.
var ErrExists = errors.New("key file already exists")

// ErrEncrypted is returned (wrapped) for a passphrase-protected private key.
var ErrEncrypted = errors.New("encrypted private key")

// ErrUnsupported is returned (wrapped) for a well-formed key CloudFront cannot
// use: another RSA size, another curve, Ed25519, DSA, RSA-PSS.
var ErrUnsupported = errors.New("unsupported key")

// ErrNotKey is returned (wrapped) for input that holds no usable key of the
// expected kind: empty, garbage, damaged PEM, a public key or certificate
// where a private key was expected, or the other way round.
var ErrNotKey = errors.New("not a usable key")

// Pair describes a key pair written to disk.
type Pair struct {
	PrivatePath string
	PublicPath  string
	Fingerprint string
	Type        Type
}

// Remove deletes the pair's two files, and their directory when that is
// then empty and removeDir is set: for a key made for a rotation that
// CloudFront refused, which nothing trusts.
func (p Pair) Remove(removeDir bool) {
	os.Remove(p.PrivatePath)
	os.Remove(p.PublicPath)
	if removeDir {
		os.Remove(filepath.Dir(p.PrivatePath)) // fails, harmlessly, unless empty
	}
}

// ParseType turns a --type flag value ("rsa", "ecdsa"; case-insensitive, ""
// means rsa) into a Type.
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "rsa", "rsa2048", "rsa-2048":
		return RSA, nil
	case "ecdsa", "ec", "p256", "p-256", "ecdsa-p256":
		return ECDSA, nil
	}
	return "", fmt.Errorf("unknown key type %q: use rsa (RSA-2048) or ecdsa (ECDSA P-256)", clip(s, 40))
}

// keyError is a one-line message plus the sentinel it matches with errors.Is.
type keyError struct {
	kind error
	msg  string
}

func (e *keyError) Error() string { return e.msg }
func (e *keyError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &keyError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// clip shortens untrusted text (a PEM type line, a flag value) before it goes
// into an error; callers print it with %q so control characters stay escaped.
func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
