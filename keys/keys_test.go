package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../testdata/keys"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureSigner(t testing.TB, name string) crypto.Signer {
	t.Helper()
	s, err := ParsePrivate(fixture(t, name))
	if err != nil {
		t.Fatalf("parse fixture %s: %v", name, err)
	}
	return s
}

func pemOf(typ string, der []byte, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

// derOf returns a func that unwraps a (DER, error) pair, failing t on error.
func derOf(t testing.TB) func([]byte, error) []byte {
	return func(der []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
}

type equaler interface{ Equal(crypto.PrivateKey) bool }

// checkErrorHygiene fails when err spans lines or quotes any 12-character run
// of the PEM bodies in input (key material).
func checkErrorHygiene(t *testing.T, err error, input []byte) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	rest := input
	for {
		b, r := pem.Decode(rest)
		if b == nil {
			break
		}
		rest = r
		body := strings.Join(strings.Fields(string(pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: b.Bytes}))), "")
		body = strings.TrimSuffix(strings.TrimPrefix(body, "-----BEGINX-----"), "-----ENDX-----")
		for i := 0; i+12 <= len(body); i += 6 {
			if strings.Contains(msg, body[i:i+12]) {
				t.Fatalf("error quotes key material %q: %s", body[i:i+12], msg)
			}
		}
	}
}

func TestParsePrivateAccepts(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := fixtureSigner(t, "rsa2048-pkcs1.pem").(*rsa.PrivateKey)
	mustDER := derOf(t)
	cases := []struct {
		name string
		in   []byte
		want Type
	}{
		{"openssl genrsa -traditional (PKCS#1)", fixture(t, "rsa2048-pkcs1.pem"), RSA},
		{"openssl genrsa (PKCS#8)", fixture(t, "rsa2048-pkcs8.pem"), RSA},
		{"openssl ecparam -genkey (EC PARAMETERS + SEC1)", fixture(t, "p256-sec1-params.pem"), ECDSA},
		{"SEC1 without parameters block", fixture(t, "p256-sec1.pem"), ECDSA},
		{"ECDSA PKCS#8", fixture(t, "p256-pkcs8.pem"), ECDSA},
		{"Go ECDSA PKCS#8", pemOf("PRIVATE KEY", mustDER(x509.MarshalPKCS8PrivateKey(ecKey)), nil), ECDSA},
		{"Go ECDSA SEC1", pemOf("EC PRIVATE KEY", mustDER(x509.MarshalECPrivateKey(ecKey)), nil), ECDSA},
		{"certificate bundled before the key", append(fixture(t, "rsa2048-cert.pem"), fixture(t, "rsa2048-pkcs1.pem")...), RSA},
		{"text around the PEM", []byte("key for prod\n" + string(pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil)) + "end\n"), RSA},
		{"CRLF line endings", bytes.ReplaceAll(fixture(t, "p256-sec1-params.pem"), []byte("\n"), []byte("\r\n")), ECDSA},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParsePrivate(c.in)
			if err != nil {
				t.Fatalf("ParsePrivate: %v", err)
			}
			if got, err := TypeOf(s); err != nil || got != c.want {
				t.Fatalf("TypeOf = %q, %v; want %q", got, err, c.want)
			}
			// Re-encoding as we write it parses back to the same key.
			again, err := PrivatePEM(s)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := ParsePrivate(again)
			if err != nil {
				t.Fatal(err)
			}
			if !s.(equaler).Equal(s2) {
				t.Fatal("re-encoded key differs")
			}
		})
	}
	// The PKCS#1 and PKCS#8 files of one OpenSSL key are the same key.
	a := fixtureSigner(t, "p256-sec1.pem")
	if !a.(equaler).Equal(fixtureSigner(t, "p256-pkcs8.pem")) {
		t.Error("SEC1 and PKCS#8 forms of one key parse differently")
	}
}

func TestParsePrivateRefuses(t *testing.T) {
	rsaKey := fixtureSigner(t, "rsa2048-pkcs1.pem").(*rsa.PrivateKey)
	mustDER := derOf(t)
	rsaPKCS8 := mustDER(x509.MarshalPKCS8PrivateKey(rsaKey))
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	xKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	legacy, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), []byte("pw"), x509.PEMCipherAES256) //nolint:staticcheck // making a legacy encrypted key to refuse
	if err != nil {
		t.Fatal(err)
	}
	corrupt := fixture(t, "rsa2048-pkcs1.pem")
	corrupt = bytes.Replace(corrupt, []byte("\n"), []byte("\nAAAA"), 3) // valid base64, broken DER

	cases := []struct {
		name string
		in   []byte
		kind error
		want string
	}{
		{"empty", nil, ErrNotKey, "empty file"},
		{"whitespace", []byte(" \n\t\n"), ErrNotKey, "empty file"},
		{"garbage", []byte("hello, this is not a key\n"), ErrNotKey, "not a PEM file"},
		{"binary DER", x509.MarshalPKCS1PrivateKey(rsaKey), ErrNotKey, "binary DER, not PEM; convert it with: openssl pkey -inform DER"},
		{"BEGIN without END", []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"), ErrNotKey, "damaged PEM"},
		{"broken DER in PKCS#1", corrupt, ErrNotKey, "damaged RSA PRIVATE KEY block"},
		{"PKCS#8 labelled RSA PRIVATE KEY", pemOf("RSA PRIVATE KEY", rsaPKCS8, nil), ErrNotKey, "damaged RSA PRIVATE KEY block"},
		{"garbage PKCS#8", pemOf("PRIVATE KEY", []byte("not asn1"), nil), ErrNotKey, "damaged PRIVATE KEY block"},
		{"garbage SEC1", pemOf("EC PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, nil), ErrNotKey, "EC PRIVATE KEY"},
		{"encrypted PKCS#8 (openssl genrsa -aes256)", fixture(t, "rsa2048-encrypted-pkcs8.pem"), ErrEncrypted, "openssl pkey -in FILE -out plain.pem"},
		{"encrypted legacy (Proc-Type: 4,ENCRYPTED)", fixture(t, "rsa2048-encrypted-legacy.pem"), ErrEncrypted, "openssl rsa -in FILE -out plain.pem -traditional"},
		{"encrypted legacy made by Go", pem.EncodeToMemory(legacy), ErrEncrypted, "encrypted with a passphrase"},
		{"public key (SPKI)", fixture(t, "rsa2048-public.pem"), ErrNotKey, "this is a public key, not a private key"},
		{"public key (PKCS#1)", fixture(t, "rsa2048-public-pkcs1.pem"), ErrNotKey, "this is a public key, not a private key"},
		{"certificate", fixture(t, "rsa2048-cert.pem"), ErrNotKey, "this is a certificate, not a private key"},
		{"RSA-1024", fixture(t, "rsa1024.pem"), ErrUnsupported, "RSA-1024 key; CloudFront accepts only RSA-2048"},
		{"RSA-4096", fixture(t, "rsa4096-pkcs1.pem"), ErrUnsupported, "RSA-4096 key; CloudFront accepts only RSA-2048"},
		{"RSA-PSS", fixture(t, "rsapss2048.pem"), ErrUnsupported, "RSA-PSS key"},
		{"P-384 with EC PARAMETERS", fixture(t, "p384-sec1-params.pem"), ErrUnsupported, "ECDSA P-384 key; CloudFront accepts only ECDSA P-256"},
		{"P-384 PKCS#8", pemOf("PRIVATE KEY", mustDER(x509.MarshalPKCS8PrivateKey(p384)), nil), ErrUnsupported, "ECDSA P-384 key"},
		{"P-521 SEC1", pemOf("EC PRIVATE KEY", mustDER(x509.MarshalECPrivateKey(p521)), nil), ErrUnsupported, "ECDSA P-521 key"},
		{"secp256k1", fixture(t, "secp256k1-sec1.pem"), ErrUnsupported, "ECDSA secp256k1 key"},
		{"Ed25519 (openssl genpkey)", fixture(t, "ed25519.pem"), ErrUnsupported, "Ed25519 key; CloudFront accepts only RSA-2048 or ECDSA P-256"},
		{"Ed25519 (Go)", pemOf("PRIVATE KEY", mustDER(x509.MarshalPKCS8PrivateKey(edKey)), nil), ErrUnsupported, "Ed25519 key"},
		{"X25519", pemOf("PRIVATE KEY", mustDER(x509.MarshalPKCS8PrivateKey(xKey)), nil), ErrUnsupported, "cannot sign"},
		{"OpenSSH format", fixture(t, "openssh-ed25519.pem"), ErrUnsupported, "OpenSSH-format key"},
		{"DSA block", pemOf("DSA PRIVATE KEY", []byte{1, 2, 3}, nil), ErrUnsupported, "DSA key"},
		{"EC PARAMETERS alone", []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"), ErrNotKey, "EC PARAMETERS but no EC PRIVATE KEY"},
		{"unknown block", pemOf("FOO\x1b[2J BAR", []byte{1}, nil), ErrNotKey, "its PEM block is not a private key"}, // key text: not even its type line is quoted
		{"two private keys", append(fixture(t, "rsa2048-pkcs1.pem"), fixture(t, "p256-pkcs8.pem")...), ErrNotKey, "2 private keys in one file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParsePrivate(c.in)
			if err == nil {
				t.Fatalf("accepted %T", s)
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %q does not wrap %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			checkErrorHygiene(t, err, c.in)
		})
	}
}

func TestParsePublic(t *testing.T) {
	rsaPub := fixtureSigner(t, "rsa2048-pkcs1.pem").Public()
	ecPub := fixtureSigner(t, "p256-sec1.pem").Public()
	accepts := []struct {
		name string
		in   []byte
		want crypto.PublicKey
	}{
		{"SPKI RSA", fixture(t, "rsa2048-public.pem"), rsaPub},
		{"PKCS#1 RSA PUBLIC KEY", fixture(t, "rsa2048-public-pkcs1.pem"), rsaPub},
		{"SPKI P-256", fixture(t, "p256-public.pem"), ecPub},
	}
	for _, c := range accepts {
		t.Run(c.name, func(t *testing.T) {
			pub, err := ParsePublic(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(c.want) {
				t.Fatal("public key does not match the private key's")
			}
			out, err := PublicPEM(pub)
			if err != nil {
				t.Fatal(err)
			}
			if c.name != "PKCS#1 RSA PUBLIC KEY" && !bytes.Equal(out, c.in) {
				t.Errorf("PublicPEM differs from openssl's output:\n%s\n%s", out, c.in)
			}
		})
	}
	refuses := []struct {
		name string
		in   []byte
		kind error
		want string
	}{
		{"empty", []byte{}, ErrNotKey, "empty file; expected a PEM public key"},
		{"garbage", []byte("ssh-rsa AAAAB3NzaC1yc2E"), ErrNotKey, "not a PEM file"},
		{"DER", []byte{0x30, 0x82, 0x01, 0x22}, ErrNotKey, "openssl pkey -pubin -inform DER"},
		{"private key", fixture(t, "rsa2048-pkcs1.pem"), ErrNotKey, "this is a private key, not a public key; print its public key with: cfsign keys show FILE"},
		{"encrypted private key", fixture(t, "rsa2048-encrypted-pkcs8.pem"), ErrNotKey, "this is a private key"},
		{"certificate", fixture(t, "rsa2048-cert.pem"), ErrNotKey, "openssl x509 -in FILE -pubkey -noout"},
		{"RSA-4096", fixture(t, "rsa4096-public.pem"), ErrUnsupported, "RSA-4096 key"},
		{"P-384", fixture(t, "p384-public.pem"), ErrUnsupported, "ECDSA P-384 key"},
		{"Ed25519", fixture(t, "ed25519-public.pem"), ErrUnsupported, "Ed25519 key"},
		{"broken SPKI", pemOf("PUBLIC KEY", []byte{0x30, 0x00}, nil), ErrNotKey, "damaged PUBLIC KEY block"},
		{"broken PKCS#1", pemOf("RSA PUBLIC KEY", []byte("x"), nil), ErrNotKey, "damaged RSA PUBLIC KEY block"},
		{"two keys", append(fixture(t, "rsa2048-public.pem"), fixture(t, "p256-public.pem")...), ErrNotKey, "2 public keys"},
	}
	for _, c := range refuses {
		t.Run(c.name, func(t *testing.T) {
			pub, err := ParsePublic(c.in)
			if err == nil {
				t.Fatalf("accepted %T", pub)
			}
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q; want %v saying %q", err, c.kind, c.want)
			}
			checkErrorHygiene(t, err, c.in)
		})
	}
}

func TestGenerate(t *testing.T) {
	for _, c := range []struct {
		in   Type
		want Type
		pem  string
	}{
		{"", RSA, "RSA PRIVATE KEY"},
		{ECDSA, ECDSA, "PRIVATE KEY"},
	} {
		s, err := Generate(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := TypeOf(s); err != nil || got != c.want {
			t.Fatalf("Generate(%q) made %q, %v", c.in, got, err)
		}
		b, err := PrivatePEM(s)
		if err != nil {
			t.Fatal(err)
		}
		if blk, _ := pem.Decode(b); blk == nil || blk.Type != c.pem {
			t.Fatalf("Generate(%q) encodes as %v, want %s", c.in, blk, c.pem)
		}
	}
	if _, err := Generate("dsa"); err == nil || !strings.Contains(err.Error(), "use rsa (RSA-2048) or ecdsa (ECDSA P-256)") {
		t.Fatalf("Generate(dsa) = %v", err)
	}
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]Type{"": RSA, "rsa": RSA, "RSA": RSA, "ecdsa": ECDSA, " ECDSA ": ECDSA, "p256": ECDSA} {
		if got, err := ParseType(in); err != nil || got != want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"ed25519", "rsa4096", "x"} {
		if _, err := ParseType(in); err == nil {
			t.Errorf("ParseType(%q) accepted", in)
		}
	}
}

func TestFingerprint(t *testing.T) {
	// Expected values from: openssl pkey -pubin -in F -outform DER | openssl dgst -sha256 -binary | base64 | tr -d =
	for _, c := range []struct{ file, want string }{
		{"rsa2048-public.pem", "SHA256:TK67W5fEPxd1j073KXkCODJB9PFNuA3NsxxHDxWSGZM"},
		{"rsa2048-public-pkcs1.pem", "SHA256:TK67W5fEPxd1j073KXkCODJB9PFNuA3NsxxHDxWSGZM"},
		{"p256-public.pem", "SHA256:fE5bAWMB73OEc/y6M2sQvgquc9ncQq29bR4zHd1tysY"},
	} {
		pub, err := ParsePublic(fixture(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Fingerprint(pub)
		if err != nil || got != c.want {
			t.Errorf("Fingerprint(%s) = %q, %v; want %q", c.file, got, err, c.want)
		}
	}
	// A private key stands for its public half.
	got, err := Fingerprint(fixtureSigner(t, "rsa2048-pkcs1.pem"))
	if err != nil || got != "SHA256:TK67W5fEPxd1j073KXkCODJB9PFNuA3NsxxHDxWSGZM" {
		t.Errorf("Fingerprint(private) = %q, %v", got, err)
	}
	if _, err := Fingerprint(nil); err == nil {
		t.Error("Fingerprint(nil) succeeded")
	}
}

func TestLoadPrivate(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.Remove(p) // an earlier case may have left it read-only
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := fixture(t, "p256-sec1-params.pem")
	for _, c := range []struct {
		mode os.FileMode
		warn string
	}{
		{0o600, ""},
		{0o400, ""},
		{0o644, "is readable by others (mode 0644); run: chmod 600 "},
		{0o640, "is readable by others (mode 0640)"},
		{0o604, "is readable by others (mode 0604)"},
		{0o620, "is accessible by others (mode 0620)"},
		{0o666, "(mode 0666)"},
	} {
		p := write("k.pem", key, c.mode)
		s, warn, err := LoadPrivate(p)
		if err != nil || s == nil {
			t.Fatalf("mode %04o: %v", c.mode, err)
		}
		if c.warn == "" && warn != "" || c.warn != "" && !strings.Contains(warn, c.warn) {
			t.Errorf("mode %04o: warning %q, want %q", c.mode, warn, c.warn)
		}
	}
	p := write("k.pem", key, 0o644)
	if _, warn, _ := LoadPrivate(p); warn != "private key "+p+" is readable by others (mode 0644); run: chmod 600 "+p {
		t.Errorf("warning wording: %q", warn)
	}
	spaced := write("my key.pem", key, 0o644)
	if _, warn, _ := LoadPrivate(spaced); !strings.HasSuffix(warn, "chmod 600 '"+spaced+"'") {
		t.Errorf("path with a space is not quoted for the shell: %q", warn)
	}

	enc := write("enc.pem", fixture(t, "rsa2048-encrypted-legacy.pem"), 0o600)
	big := write("big.pem", bytes.Repeat([]byte("A"), maxKeyFile+1), 0o600)
	cases := []struct {
		name, path, want string
		is               error
	}{
		{"missing", filepath.Join(dir, "nope.pem"), "no such file or directory (make a key pair with: cfsign keys generate)", os.ErrNotExist},
		{"directory", dir, "is a directory, not a key file", ErrNotKey},
		{"too big", big, "not a key file", ErrNotKey},
		{"encrypted names the file in the hint", enc, "openssl pkey -in " + enc + " -out plain.pem", ErrEncrypted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, warn, err := LoadPrivate(c.path)
			if err == nil {
				t.Fatal("loaded")
			}
			if warn != "" {
				t.Errorf("warning with an error: %q", warn)
			}
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "load private key "+c.path+": ") {
				t.Errorf("error %q; want %v saying %q", err, c.is, c.want)
			}
			if strings.Count(err.Error(), c.path) > 1 && c.name != "encrypted names the file in the hint" {
				t.Errorf("path repeated: %q", err)
			}
		})
	}

	if _, _, err := LoadPrivate(""); err == nil || err.Error() != "load private key: no file name given" {
		t.Errorf("LoadPrivate(\"\") = %v", err)
	}
	pubPath := write("pub.pem", fixture(t, "p256-public.pem"), 0o644)
	if _, err := LoadPublic(pubPath); err != nil {
		t.Errorf("LoadPublic: %v", err)
	}
	if _, err := LoadPublic(p); err == nil || !strings.Contains(err.Error(), "cfsign keys show "+p) {
		t.Errorf("LoadPublic(private) = %v", err)
	}
}
