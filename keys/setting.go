package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
)

// ValueKind is what a private key setting holds.
type ValueKind int

// The kinds of value a key setting may hold.
const (
	// KindPath is a file path (a file:// prefix is accepted).
	KindPath ValueKind = iota
	// KindPEM is PEM key text itself.
	KindPEM
	// KindBase64PEM is PEM key text encoded in base64, as CI secret stores
	// often hold keys.
	KindBase64PEM
	// KindBase64DER is a PEM body without its BEGIN/END lines: base64 DER.
	KindBase64DER
	// KindSecret is not a usable path and may be key material (a long
	// base64 blob, several lines): it must never be echoed.
	KindSecret
)

// minBlob is the shortest run of base64 taken for encoded key material: an
// ECDSA P-256 key in DER is 121 bytes, 164 characters of base64; no file
// name people type is this long and made of base64 characters only.
const minBlob = 64

// Classify tells what a key setting's value holds. It is the one place
// that decides whether a value may be key material, so that nothing else
// ever prints one: a file path is safe to show, anything else is named by
// where it came from instead.
func Classify(value string) ValueKind {
	v := strings.TrimSpace(value)
	if strings.Contains(v, "-----BEGIN") {
		return KindPEM
	}
	if der, ok := decodeBase64(v); ok {
		switch {
		case bytes.Contains(der, []byte("-----BEGIN")):
			return KindBase64PEM
		case isDERSequence(der):
			return KindBase64DER
		}
		return KindSecret
	}
	if strings.ContainsAny(v, "\n\r") {
		return KindSecret
	}
	return KindPath
}

// isDERSequence reports whether b is one ASN.1 SEQUENCE whose length is
// exactly what follows its header, as every DER key is.
func isDERSequence(b []byte) bool {
	if len(b) < 2 || b[0] != 0x30 {
		return false
	}
	n, hdr := int(b[1]), 2
	if n >= 0x80 {
		size := n & 0x7f
		if size == 0 || size > 3 || len(b) < 2+size {
			return false
		}
		n = 0
		for _, c := range b[2 : 2+size] {
			n = n<<8 | int(c)
		}
		hdr += size
	}
	return hdr+n == len(b)
}

// IsEncodedKey reports whether s, a run of base64, decodes to PEM text or
// to a DER structure: the shape of key material, for redacting logs.
func IsEncodedKey(s string) bool {
	k := Classify(s)
	return k == KindBase64PEM || k == KindBase64DER
}

// decodeBase64 decodes s when it is a long run of base64 (standard or URL
// alphabet, padded or not, line breaks allowed).
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) < minBlob {
		return nil, false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+/-_=", r)) {
			return nil, false
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	// Base64 characters that do not decode: still nothing to echo.
	return nil, true
}

// LoadPrivateSetting loads the private key a setting names: a file path
// (file:// accepted), PEM text, base64-encoded PEM text, or a base64 PEM
// body without its BEGIN/END lines. from says where the value came from
// ("--private-key", "CFSIGN_PRIVATE_KEY", "private_key in FILE"); errors
// about key text name it instead of the value, so a key never reaches a
// terminal or a log. warning is LoadPrivate's, for files only.
func LoadPrivateSetting(value, from string) (signer crypto.Signer, warning string, err error) {
	switch Classify(value) {
	case KindPath:
		path := strings.TrimPrefix(strings.TrimSpace(value), "file://")
		if path == "" {
			return nil, "", fmt.Errorf("load private key: %w", errorf(ErrNotKey, "%s is empty", from))
		}
		return LoadPrivate(path)
	case KindPEM:
		signer, err = parsePrivate([]byte(strings.TrimSpace(value)), "FILE")
	case KindBase64PEM:
		der, _ := decodeBase64(strings.TrimSpace(value))
		signer, err = parsePrivate(der, "FILE")
	case KindBase64DER:
		der, _ := decodeBase64(strings.TrimSpace(value))
		signer, err = parsePrivate(pem.EncodeToMemory(&pem.Block{Type: derBlockType(der), Bytes: der}), "FILE")
	default:
		if _, statErr := os.Stat(strings.TrimSpace(value)); statErr == nil {
			return LoadPrivate(strings.TrimSpace(value))
		}
		err = errorf(ErrNotKey, "neither a key file nor PEM key text (plain or base64)")
	}
	if err != nil {
		return nil, "", fmt.Errorf("load private key from the text in %s: %w", from, err)
	}
	return signer, "", nil
}

// derBlockType guesses the PEM block type of a bare DER private key, so
// the parser reports on it as it would on the PEM file.
func derBlockType(der []byte) string {
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return "RSA PRIVATE KEY"
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return "EC PRIVATE KEY"
	}
	return "PRIVATE KEY"
}

// DescribeSetting names a key setting for messages and logs: its path, or
// "key text from FROM" when the value may be key material.
func DescribeSetting(value, from string) string {
	if Classify(value) == KindPath {
		return strings.TrimPrefix(strings.TrimSpace(value), "file://")
	}
	return "key text from " + from
}
