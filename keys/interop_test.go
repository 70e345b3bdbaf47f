package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireTool finds an external reference tool. In CI (CI set) a missing tool
// fails the test; elsewhere it skips.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// run runs a tool with a deadline and returns stdout; it fails t on a
// non-zero exit unless allowFail.
func run(t *testing.T, env []string, allowFail bool, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && !allowFail {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes(), err
}

// written keeps one generated pair per type for the interop tests: RSA key
// generation under -race is slow enough to do once.
var written = struct {
	sync.Mutex
	dirs map[Type]string
}{dirs: map[Type]string{}}

func writtenPair(t *testing.T, typ Type) Pair {
	t.Helper()
	written.Lock()
	defer written.Unlock()
	dir, ok := written.dirs[typ]
	if !ok {
		var err error
		if dir, err = os.MkdirTemp("", "cfsign-keys-interop-"); err != nil {
			t.Fatal(err)
		}
		written.dirs[typ] = dir
		if _, err := GenerateFiles(dir, typ, false); err != nil {
			t.Fatal(err)
		}
	}
	return Pair{PrivatePath: filepath.Join(dir, PrivateFile), PublicPath: filepath.Join(dir, PublicFile)}
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range written.dirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func TestOpenSSLReadsOurKeys(t *testing.T) {
	openssl := requireTool(t, "openssl")
	for _, typ := range []Type{RSA, ECDSA} {
		t.Run(string(typ), func(t *testing.T) {
			pair := writtenPair(t, typ)
			if typ == RSA {
				out, _ := run(t, nil, false, openssl, "rsa", "-check", "-noout", "-in", pair.PrivatePath)
				if !bytes.Contains(out, []byte("RSA key ok")) {
					t.Errorf("openssl rsa -check: %q", out)
				}
			} else {
				out, _ := run(t, nil, false, openssl, "pkey", "-check", "-noout", "-in", pair.PrivatePath)
				if !bytes.Contains(out, []byte("Key is valid")) {
					t.Errorf("openssl pkey -check: %q", out)
				}
			}
			pubout, _ := run(t, nil, false, openssl, "pkey", "-in", pair.PrivatePath, "-pubout")
			ours, err := os.ReadFile(pair.PublicPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pubout, ours) {
				t.Errorf("openssl pkey -pubout differs from public_key.pem:\n%s\n%s", pubout, ours)
			}
			// Fingerprint: the SHA-256 openssl computes over the DER openssl writes.
			der := filepath.Join(t.TempDir(), "pub.der")
			run(t, nil, false, openssl, "pkey", "-pubin", "-in", pair.PublicPath, "-outform", "DER", "-out", der)
			sum, _ := run(t, nil, false, openssl, "dgst", "-sha256", "-binary", der)
			pub, err := LoadPublic(pair.PublicPath)
			if err != nil {
				t.Fatal(err)
			}
			fp, err := Fingerprint(pub)
			if want := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum); err != nil || fp != want {
				t.Errorf("Fingerprint = %q, %v; openssl gives %q", fp, err, want)
			}
		})
	}
}

func TestOpenSSLKeys(t *testing.T) {
	openssl := requireTool(t, "openssl")
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want Type  // accepted as this type
		kind error // or refused with this error
		says string
	}{
		{"genrsa -traditional 2048", []string{"genrsa", "-traditional", "2048"}, RSA, nil, ""},
		{"genrsa 2048 (PKCS#8)", []string{"genrsa", "2048"}, RSA, nil, ""},
		{"ecparam -genkey prime256v1", []string{"ecparam", "-genkey", "-name", "prime256v1"}, ECDSA, nil, ""},
		{"genpkey ec P-256", []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, ECDSA, nil, ""},
		{"genpkey ed25519", []string{"genpkey", "-algorithm", "ed25519"}, "", ErrUnsupported, "Ed25519 key"},
		{"genrsa 1024", []string{"genrsa", "1024"}, "", ErrUnsupported, "RSA-1024 key; CloudFront accepts only RSA-2048"},
		{"genrsa 4096", []string{"genrsa", "4096"}, "", ErrUnsupported, "RSA-4096 key; CloudFront accepts only RSA-2048"},
		{"ecparam secp384r1", []string{"ecparam", "-name", "secp384r1", "-genkey"}, "", ErrUnsupported, "ECDSA P-384 key"},
		{"genrsa -aes256", []string{"genrsa", "-aes256", "-passout", "pass:x", "2048"}, "", ErrEncrypted, "openssl pkey -in "},
		{"genrsa -traditional -aes256", []string{"genrsa", "-traditional", "-aes256", "-passout", "pass:x", "2048"}, "", ErrEncrypted, "-traditional"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name == "genrsa 4096" {
				t.Skip("slow to generate; -short relies on testdata/keys/rsa4096-pkcs1.pem")
			}
			path := filepath.Join(dir, fmt.Sprintf("key%d.pem", i))
			// genrsa wants the bit count last, so -out goes right after the command.
			args := append([]string{c.args[0], "-out", path}, c.args[1:]...)
			run(t, nil, false, openssl, args...)
			s, warn, err := LoadPrivate(path)
			if c.kind == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got, _ := TypeOf(s); got != c.want {
					t.Fatalf("loaded as %q, want %q", got, c.want)
				}
				_ = warn // openssl writes 0600 or 0644 depending on umask; TestLoadPrivate covers warnings
				return
			}
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("error %v; want %v saying %q", err, c.kind, c.says)
			}
			data, _ := os.ReadFile(path)
			checkErrorHygiene(t, err, data)
		})
	}
}

// TestAWSCLIReadsOurKey signs with AWS CLI v1 using the private key we wrote,
// then checks the signature against the public key we wrote.
func TestAWSCLIReadsOurKey(t *testing.T) {
	aws := requireTool(t, "aws")
	pair := writtenPair(t, RSA)
	env := append(os.Environ(),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_DEFAULT_REGION=us-east-1",
	)
	const resource = "https://d111111abcdef8.cloudfront.net/x"
	out, _ := run(t, env, false, aws, "cloudfront", "sign",
		"--url", resource,
		"--key-pair-id", "K2JCJMDEHXQW5F",
		"--private-key", "file://"+pair.PrivatePath,
		"--date-less-than", "2030-01-01")
	u, err := url.Parse(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("aws printed %q: %v", out, err)
	}
	q := u.Query()
	if q.Get("Key-Pair-Id") != "K2JCJMDEHXQW5F" || q.Get("Expires") == "" {
		t.Fatalf("unexpected signed URL %q", out)
	}
	// CloudFront's URL-safe base64: '+' '=' '/' become '-' '_' '~'.
	sig, err := base64.StdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(q.Get("Signature")))
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	policy := `{"Statement":[{"Resource":"` + resource + `","Condition":{"DateLessThan":{"AWS:EpochTime":` + q.Get("Expires") + `}}}]}`
	digest := sha1.Sum([]byte(policy))
	pub, err := LoadPublic(pair.PublicPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA1, digest[:], sig); err != nil {
		t.Fatalf("AWS CLI's signature does not verify with our public key: %v", err)
	}
}
