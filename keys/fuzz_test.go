package keys

import (
	"bytes"
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFixtures adds every PEM in testdata/keys, plus cut and mangled copies,
// to the fuzz corpus.
func seedFixtures(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.pem"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	}
	for _, s := range []string{
		"", "\n", "garbage", "\x30\x82\x01\x00", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
		"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
	} {
		f.Add([]byte(s))
	}
}

func checkFuzzError(t *testing.T, err error) {
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("multi-line error: %q", err)
	}
}

// FuzzParsePrivate: never panics; every accepted key re-encodes (as
// WriteFiles writes it) and parses back to an equal key, and its public half
// survives the same round trip.
func FuzzParsePrivate(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParsePrivate(data)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		out, err := PrivatePEM(s)
		if err != nil {
			t.Fatalf("accepted key does not encode: %v", err)
		}
		s2, err := ParsePrivate(out)
		if err != nil {
			t.Fatalf("re-encoded key refused: %v", err)
		}
		if !s.(equaler).Equal(s2) {
			t.Fatal("re-encoded key differs")
		}
		pubPEM, err := PublicPEM(s.Public())
		if err != nil {
			t.Fatalf("public half does not encode: %v", err)
		}
		pub, err := ParsePublic(pubPEM)
		if err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
			t.Fatalf("public half round trip: %v", err)
		}
	})
}

// FuzzParsePublic: never panics; every accepted key re-encodes and parses
// back to an equal key with the same fingerprint.
func FuzzParsePublic(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublic(data)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		out, err := PublicPEM(pub)
		if err != nil {
			t.Fatalf("accepted key does not encode: %v", err)
		}
		pub2, err := ParsePublic(out)
		if err != nil {
			t.Fatalf("re-encoded key refused: %v", err)
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub2) {
			t.Fatal("re-encoded key differs")
		}
		a, err1 := Fingerprint(pub)
		b, err2 := Fingerprint(pub2)
		if err1 != nil || err2 != nil || a != b {
			t.Fatalf("fingerprints %q %q (%v %v)", a, b, err1, err2)
		}
	})
}
