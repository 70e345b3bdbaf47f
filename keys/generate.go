package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

// rsaBits is the only RSA size CloudFront accepts.
const rsaBits = 2048

// Generate makes a new private key of type t ("" means RSA).
func Generate(t Type) (crypto.Signer, error) {
	t, err := ParseType(string(t))
	if err != nil {
		return nil, err
	}
	switch t {
	case ECDSA:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ECDSA P-256 key: %w", err)
		}
		return k, nil
	default:
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return nil, fmt.Errorf("generate RSA-2048 key: %w", err)
		}
		return k, nil
	}
}

// GenerateFiles is Generate followed by WriteFiles. When force is false and a
// key file already exists it refuses before spending time on key generation.
func GenerateFiles(dir string, t Type, force bool) (Pair, error) {
	if !force && dir != "" {
		if err := refuseExisting(dir); err != nil {
			return Pair{}, err
		}
	}
	priv, err := Generate(t)
	if err != nil {
		return Pair{}, err
	}
	return WriteFiles(dir, priv, force)
}
