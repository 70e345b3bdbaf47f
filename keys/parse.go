package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
)

// Algorithm and curve identifiers. The ASN.1 is read once by hand only to
// tell the user precisely what a refused key is (RSA-4096, P-384, Ed25519)
// before crypto/x509 does the real parsing.
var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDSA     = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidX25519  = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidX448    = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448   = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidP256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
)

var curveNames = map[string]string{
	"1.2.840.10045.3.1.1":   "P-192",
	"1.3.132.0.33":          "P-224",
	"1.2.840.10045.3.1.7":   "P-256",
	"1.3.132.0.34":          "P-384",
	"1.3.132.0.35":          "P-521",
	"1.3.132.0.10":          "secp256k1",
	"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	"1.2.156.10197.1.301":   "SM2",
}

const (
	accepted  = "CloudFront accepts only RSA-2048 or ECDSA P-256 keys (make one with: cfsign keys generate)"
	maxBlocks = 64 // more PEM blocks than any real key file holds
)

// pkcs1Head is the start of a PKCS#1 RSAPrivateKey: enough to read the size.
type pkcs1Head struct {
	Version int
	N       *big.Int
}

// pkcs8 is a PKCS#8 PrivateKeyInfo without its optional trailing fields.
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// sec1Head is the start of a SEC1 ECPrivateKey with its curve parameters.
type sec1Head struct {
	Version    int
	PrivateKey []byte
	Params     asn1.RawValue `asn1:"optional,explicit,tag:0"`
}

// spki is a SubjectPublicKeyInfo.
type spki struct {
	Algo      pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// ParsePrivate decodes a PEM private key: PKCS#1 "RSA PRIVATE KEY", PKCS#8
// "PRIVATE KEY" (RSA or ECDSA), or SEC1 "EC PRIVATE KEY" (an "EC PARAMETERS"
// block before it, as `openssl ecparam -genkey` writes, is skipped). Only
// RSA-2048 and ECDSA P-256 keys are accepted; encrypted keys, public keys,
// certificates, other sizes and curves, Ed25519, empty and non-PEM input are
// refused with a one-line error that wraps ErrEncrypted, ErrUnsupported or
// ErrNotKey and never quotes the key.
func ParsePrivate(pemBytes []byte) (crypto.Signer, error) {
	return parsePrivate(pemBytes, textSource)
}

// textSource stands for the file in hints about key text that came from no
// file (a setting's value, a secret, bytes handed in).
const textSource = "FILE"

// parsePrivate is ParsePrivate; file is how the key is named in the
// decryption hint (the shell-quoted path, or FILE).
func parsePrivate(data []byte, file string) (crypto.Signer, error) {
	blocks, err := pemBlocks(data, "private", file)
	if err != nil {
		return nil, err
	}
	var keyBlocks []*pem.Block
	other := ""
	for _, b := range blocks {
		switch b.Type {
		case "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY":
			if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") { // legacy OpenSSL encryption
				return nil, encryptedError(file)
			}
			keyBlocks = append(keyBlocks, b)
		case "ENCRYPTED PRIVATE KEY":
			return nil, encryptedError(file)
		case "DSA PRIVATE KEY":
			return nil, errorf(ErrUnsupported, "DSA key; %s", accepted)
		case "EC PARAMETERS":
			// Written by `openssl ecparam -genkey` before the key; the key
			// block names its curve again.
		default:
			if other == "" {
				other = b.Type
			}
		}
	}
	switch len(keyBlocks) {
	case 0:
		return nil, notPrivateError(other, file)
	case 1:
	default:
		return nil, errorf(ErrNotKey, "%d private keys in one file; keep only the one to sign with", len(keyBlocks))
	}
	b := keyBlocks[0]
	var signer crypto.Signer
	switch b.Type {
	case "RSA PRIVATE KEY":
		signer, err = parsePKCS1(b.Bytes)
	case "EC PRIVATE KEY":
		signer, err = parseSEC1(b.Bytes)
	default:
		signer, err = parsePKCS8(b.Bytes)
	}
	if err != nil {
		return nil, err
	}
	if err := checkSigner(signer); err != nil {
		return nil, err
	}
	return signer, nil
}

func encryptedError(file string) error {
	return errorf(ErrEncrypted, "key is encrypted with a passphrase; cfsign needs it unencrypted: "+
		"openssl pkey -in %s -out plain.pem (for RSA, to keep the form AWS CLI v1 reads: openssl rsa -in %s -out plain.pem -traditional)",
		file, file)
}

func notPrivateError(other, file string) error {
	switch other {
	case "":
		return errorf(ErrNotKey, "EC PARAMETERS but no EC PRIVATE KEY block; expected a private key (openssl ecparam -genkey writes both)")
	case "PUBLIC KEY", "RSA PUBLIC KEY", "EC PUBLIC KEY":
		return errorf(ErrNotKey, "this is a public key, not a private key; give the private key (%s)", PrivateFile)
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		return errorf(ErrNotKey, "this is a certificate, not a private key; give the private key (%s)", PrivateFile)
	case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		return errorf(ErrNotKey, "this is a certificate request, not a private key; give the private key (%s)", PrivateFile)
	case "OPENSSH PRIVATE KEY":
		return errorf(ErrUnsupported, "OpenSSH-format key; cfsign reads PEM keys: convert a copy of an RSA-2048 or ECDSA P-256 key with ssh-keygen -p -m PEM -f COPY, or make one with: cfsign keys generate")
	}
	return errorf(ErrNotKey, "%s is not a private key; expected RSA PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY", blockName(other, file))
}

// pemBlocks decodes every PEM block in data, or says why there is none.
func pemBlocks(data []byte, kind, file string) ([]*pem.Block, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errorf(ErrNotKey, "empty file; expected a PEM %s key", kind)
	}
	var blocks []*pem.Block
	rest := data
	for len(blocks) < maxBlocks {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) > 0 {
		return blocks, nil
	}
	switch {
	case bytes.Contains(data, []byte("-----BEGIN")):
		return nil, errorf(ErrNotKey, "damaged PEM: a -----BEGIN line without a well-formed body and matching -----END line")
	case data[0] == 0x30: // an ASN.1 SEQUENCE: binary DER
		pubin := ""
		if kind == "public" {
			pubin = "-pubin "
		}
		return nil, errorf(ErrNotKey, "binary DER, not PEM; convert it with: openssl pkey %s-inform DER -in %s -out key.pem", pubin, file)
	}
	return nil, errorf(ErrNotKey, "not a PEM file (no -----BEGIN line); expected a PEM %s key", kind)
}

func damaged(block, format string) error {
	return errorf(ErrNotKey, "damaged %s block: not valid %s", block, format)
}

func rsaSizeError(bits int) error {
	return errorf(ErrUnsupported, "RSA-%d key; CloudFront accepts only RSA-2048 (make one with: cfsign keys generate)", bits)
}

func curveError(name string) error {
	return errorf(ErrUnsupported, "ECDSA %s key; CloudFront accepts only ECDSA P-256 (prime256v1) or RSA-2048", name)
}

// rsaBitsOf reads the modulus size of a PKCS#1 RSAPrivateKey (private) or
// RSAPublicKey.
func rsaBitsOf(der []byte, private bool) (int, bool) {
	var n *big.Int
	if private {
		var h pkcs1Head
		if _, err := asn1.Unmarshal(der, &h); err != nil {
			return 0, false
		}
		n = h.N
	} else {
		var h struct{ N *big.Int }
		if _, err := asn1.Unmarshal(der, &h); err != nil {
			return 0, false
		}
		n = h.N
	}
	if n == nil || n.Sign() <= 0 {
		return 0, false
	}
	return n.BitLen(), true
}

func parsePKCS1(der []byte) (crypto.Signer, error) {
	bits, ok := rsaBitsOf(der, true)
	if !ok {
		return nil, damaged("RSA PRIVATE KEY", "PKCS#1")
	}
	if bits != rsaBits {
		return nil, rsaSizeError(bits)
	}
	k, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, damaged("RSA PRIVATE KEY", "PKCS#1")
	}
	return k, nil
}

// namedCurve reads an OID from EC parameters; ok is false for explicit
// (unnamed) curve parameters.
func namedCurve(params []byte) (asn1.ObjectIdentifier, bool) {
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(params, &oid); err != nil {
		return nil, false
	}
	return oid, true
}

func checkCurveOID(oid asn1.ObjectIdentifier, ok bool) error {
	if !ok {
		return errorf(ErrUnsupported, "EC key with explicit curve parameters; CloudFront needs the named curve P-256 (prime256v1)")
	}
	if oid.Equal(oidP256) {
		return nil
	}
	name, known := curveNames[oid.String()]
	if !known {
		name = "curve " + oid.String()
	}
	return curveError(name)
}

func parseSEC1(der []byte) (crypto.Signer, error) {
	var h sec1Head
	if _, err := asn1.Unmarshal(der, &h); err != nil {
		return nil, damaged("EC PRIVATE KEY", "SEC1")
	}
	if len(h.Params.FullBytes) == 0 {
		return nil, errorf(ErrNotKey, "EC PRIVATE KEY block names no curve; expected a P-256 (prime256v1) key")
	}
	if err := checkCurveOID(namedCurve(h.Params.Bytes)); err != nil {
		return nil, err
	}
	k, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, damaged("EC PRIVATE KEY", "SEC1")
	}
	return k, nil
}

// algorithmError names a refused key algorithm.
func algorithmError(oid asn1.ObjectIdentifier) error {
	switch {
	case oid.Equal(oidEd25519):
		return errorf(ErrUnsupported, "Ed25519 key; %s", accepted)
	case oid.Equal(oidEd448):
		return errorf(ErrUnsupported, "Ed448 key; %s", accepted)
	case oid.Equal(oidX25519), oid.Equal(oidX448):
		return errorf(ErrUnsupported, "X25519/X448 key-agreement key, which cannot sign; %s", accepted)
	case oid.Equal(oidDSA):
		return errorf(ErrUnsupported, "DSA key; %s", accepted)
	case oid.Equal(oidRSAPSS):
		return errorf(ErrUnsupported, "RSA-PSS key (openssl genpkey -algorithm rsa-pss); CloudFront needs a plain RSA-2048 key (make one with: cfsign keys generate)")
	}
	return errorf(ErrUnsupported, "key algorithm %s; %s", oid.String(), accepted)
}

func parsePKCS8(der []byte) (crypto.Signer, error) {
	var p pkcs8
	if _, err := asn1.Unmarshal(der, &p); err != nil {
		return nil, damaged("PRIVATE KEY", "PKCS#8")
	}
	switch alg := p.Algo.Algorithm; {
	case alg.Equal(oidRSA):
		bits, ok := rsaBitsOf(p.PrivateKey, true)
		if !ok {
			return nil, damaged("PRIVATE KEY", "PKCS#8 RSA")
		}
		if bits != rsaBits {
			return nil, rsaSizeError(bits)
		}
	case alg.Equal(oidEC):
		if err := checkCurveOID(namedCurve(p.Algo.Parameters.FullBytes)); err != nil {
			return nil, err
		}
	default:
		return nil, algorithmError(alg)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, damaged("PRIVATE KEY", "PKCS#8")
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errorf(ErrUnsupported, "%T key; %s", k, accepted)
	}
	return s, nil
}

// checkSigner refuses any private key CloudFront cannot use.
func checkSigner(s crypto.Signer) error {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		return checkPublic(&k.PublicKey)
	case *ecdsa.PrivateKey:
		return checkPublic(&k.PublicKey)
	case ed25519.PrivateKey:
		return errorf(ErrUnsupported, "Ed25519 key; %s", accepted)
	case nil:
		return errorf(ErrNotKey, "no private key given")
	}
	return errorf(ErrUnsupported, "%T key; %s", s, accepted)
}

// checkPublic refuses any public key CloudFront cannot use.
func checkPublic(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return errorf(ErrNotKey, "empty RSA key")
		}
		if bits := k.N.BitLen(); bits != rsaBits {
			return rsaSizeError(bits)
		}
		return nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return errorf(ErrNotKey, "empty ECDSA key")
		}
		if k.Curve != elliptic.P256() {
			return curveError(k.Curve.Params().Name)
		}
		return nil
	case ed25519.PublicKey:
		return errorf(ErrUnsupported, "Ed25519 key; %s", accepted)
	case nil:
		return errorf(ErrNotKey, "no public key given")
	}
	return errorf(ErrUnsupported, "%T key; %s", pub, accepted)
}

// ParsePublic decodes a PEM public key: SubjectPublicKeyInfo "PUBLIC KEY" or
// PKCS#1 "RSA PUBLIC KEY". Only RSA-2048 and ECDSA P-256 are accepted; a
// private key or certificate is refused with a hint (errors wrap ErrNotKey or
// ErrUnsupported).
func ParsePublic(pemBytes []byte) (crypto.PublicKey, error) {
	return parsePublic(pemBytes, textSource)
}

func parsePublic(data []byte, file string) (crypto.PublicKey, error) {
	blocks, err := pemBlocks(data, "public", file)
	if err != nil {
		return nil, err
	}
	var keyBlocks []*pem.Block
	other := ""
	for _, b := range blocks {
		switch b.Type {
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			keyBlocks = append(keyBlocks, b)
		default:
			if other == "" {
				other = b.Type
			}
		}
	}
	switch len(keyBlocks) {
	case 0:
		return nil, notPublicError(other, file)
	case 1:
	default:
		return nil, errorf(ErrNotKey, "%d public keys in one file; keep only one", len(keyBlocks))
	}
	b := keyBlocks[0]
	var pub crypto.PublicKey
	if b.Type == "RSA PUBLIC KEY" {
		bits, ok := rsaBitsOf(b.Bytes, false)
		if !ok {
			return nil, damaged(b.Type, "PKCS#1")
		}
		if bits != rsaBits {
			return nil, rsaSizeError(bits)
		}
		if pub, err = x509.ParsePKCS1PublicKey(b.Bytes); err != nil {
			return nil, damaged(b.Type, "PKCS#1")
		}
	} else {
		var s spki
		if _, err := asn1.Unmarshal(b.Bytes, &s); err != nil {
			return nil, damaged(b.Type, "SubjectPublicKeyInfo")
		}
		switch alg := s.Algo.Algorithm; {
		case alg.Equal(oidRSA):
			bits, ok := rsaBitsOf(s.PublicKey.RightAlign(), false)
			if !ok {
				return nil, damaged(b.Type, "SubjectPublicKeyInfo RSA")
			}
			if bits != rsaBits {
				return nil, rsaSizeError(bits)
			}
		case alg.Equal(oidEC):
			if err := checkCurveOID(namedCurve(s.Algo.Parameters.FullBytes)); err != nil {
				return nil, err
			}
		default:
			return nil, algorithmError(alg)
		}
		if pub, err = x509.ParsePKIXPublicKey(b.Bytes); err != nil {
			return nil, damaged(b.Type, "SubjectPublicKeyInfo")
		}
	}
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

func notPublicError(other, file string) error {
	switch other {
	case "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PARAMETERS":
		return errorf(ErrNotKey, "this is a private key, not a public key; print its public key with: cfsign keys show %s", file)
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		return errorf(ErrNotKey, "this is a certificate, not a public key; extract its key with: openssl x509 -in %s -pubkey -noout > %s", file, PublicFile)
	}
	return errorf(ErrNotKey, "%s is not a public key; expected PUBLIC KEY or RSA PUBLIC KEY", blockName(other, file))
}

// blockName names a PEM block of an unexpected type: by its type line when
// the PEM came from a file, which may be shown; key text from anywhere else
// is never quoted, not even its type line.
func blockName(typ, file string) string {
	if file == textSource {
		return "its PEM block"
	}
	return fmt.Sprintf("PEM block %q", clip(typ, 40))
}

// publicOf returns pub, or the public half when pub is a private key.
func publicOf(pub crypto.PublicKey) crypto.PublicKey {
	if s, ok := pub.(crypto.Signer); ok {
		return s.Public()
	}
	return pub
}

// PublicPEM encodes pub as a "PUBLIC KEY" PEM block, the form CloudFront takes.
// pub must be RSA-2048 or ECDSA P-256; a private key (crypto.Signer) stands
// for its public half.
func PublicPEM(pub crypto.PublicKey) ([]byte, error) {
	pub = publicOf(pub)
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// PrivatePEM encodes priv as WriteFiles does: RSA-2048 as PKCS#1 "RSA PRIVATE
// KEY" (what AWS CLI v1 reads), ECDSA P-256 as PKCS#8 "PRIVATE KEY".
func PrivatePEM(priv crypto.Signer) ([]byte, error) {
	if err := checkSigner(priv); err != nil {
		return nil, err
	}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	default:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("encode private key: %w", errorf(ErrNotKey, "cannot encode %T key", k))
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
}

// TypeOf reports whether key (public or private) is RSA or ECDSA; it fails
// for keys CloudFront cannot use.
func TypeOf(key any) (Type, error) {
	pub := publicOf(key)
	if err := checkPublic(pub); err != nil {
		return "", err
	}
	if _, ok := pub.(*rsa.PublicKey); ok {
		return RSA, nil
	}
	return ECDSA, nil
}
