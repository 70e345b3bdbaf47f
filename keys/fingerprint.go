package keys

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
)

// Fingerprint identifies a public key for display: "SHA256:" followed by the
// unpadded standard base64 (RFC 4648 section 4, no '=') of the SHA-256 digest
// of the key's DER-encoded SubjectPublicKeyInfo, which is the body of the
// "PUBLIC KEY" PEM block CloudFront is given. It looks like an ssh-keygen
// fingerprint but hashes different bytes, so the two never match for the same
// key. The same value comes from:
//
//	openssl pkey -pubin -in public_key.pem -outform DER | openssl dgst -sha256 -binary | base64 | tr -d =
//
// pub may also be a private key (crypto.Signer); its public half is used.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	pub = publicOf(pub)
	if pub == nil {
		return "", errorf(ErrNotKey, "no public key given")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", errorf(ErrUnsupported, "cannot encode %T key", pub))
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}
