// Package keys makes, writes and loads the key pairs CloudFront signs with.
// It is pure crypto and files: no AWS, no terminal.
package keys

import (
	"crypto"
	"errors"
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

// Pair describes a key pair written to disk.
type Pair struct {
	PrivatePath string
	PublicPath  string
	Fingerprint string
	Type        Type
}

var errTODO = errors.New("not implemented yet")

// Generate makes a new private key of type t.
func Generate(t Type) (crypto.Signer, error) { return nil, errTODO }

// WriteFiles writes priv and its public key into dir as PrivateFile (0600) and
// PublicFile (0644); dir is created 0700 if missing. Both files are written
// atomically; an existing file is refused with ErrExists unless force is set.
func WriteFiles(dir string, priv crypto.Signer, force bool) (Pair, error) { return Pair{}, errTODO }

// GenerateFiles is Generate followed by WriteFiles.
func GenerateFiles(dir string, t Type, force bool) (Pair, error) { return Pair{}, errTODO }

// ParsePrivate decodes a PEM private key (PKCS#1, PKCS#8 RSA/ECDSA, SEC1 EC).
func ParsePrivate(pemBytes []byte) (crypto.Signer, error) { return nil, errTODO }

// LoadPrivate reads and parses a private key file. warning is non-empty when
// the file is readable by group or others (the caller prints it).
func LoadPrivate(path string) (signer crypto.Signer, warning string, err error) {
	return nil, "", errTODO
}

// ParsePublic decodes a PEM public key (SubjectPublicKeyInfo).
func ParsePublic(pemBytes []byte) (crypto.PublicKey, error) { return nil, errTODO }

// LoadPublic reads and parses a public key file.
func LoadPublic(path string) (crypto.PublicKey, error) { return nil, errTODO }

// PublicPEM encodes pub as a "PUBLIC KEY" PEM block, the form CloudFront takes.
func PublicPEM(pub crypto.PublicKey) ([]byte, error) { return nil, errTODO }

// Fingerprint is "SHA256:" and the unpadded base64 of the SHA-256 of the DER
// SubjectPublicKeyInfo, as ssh-keygen shows fingerprints.
func Fingerprint(pub crypto.PublicKey) (string, error) { return "", errTODO }
