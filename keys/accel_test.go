package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// accelKey is the RSA-2048 fixture, parsed afresh so tests do not share state.
func accelKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, ok := fixtureSigner(t, "rsa2048-pkcs1.pem").(*rsa.PrivateKey)
	if !ok {
		t.Fatal("rsa2048-pkcs1.pem is not an RSA key")
	}
	return k
}

func accelerated() bool { return Accelerated() != "go" }

func randomDigest(t testing.TB, h crypto.Hash) []byte {
	t.Helper()
	d := make([]byte, h.Size())
	if _, err := rand.Read(d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAccelBackend(t *testing.T) {
	name := Accelerated()
	t.Logf("RSA signing backend: %s", name)
	k := accelKey(t)
	s := Accelerate(k)
	if !accelerated() {
		if name != "go" {
			t.Fatalf("Accelerated() = %q, want \"go\"", name)
		}
		if s != crypto.Signer(k) {
			t.Fatalf("pure-Go build: Accelerate returned %T, want the key itself", s)
		}
		return
	}
	if !strings.HasPrefix(name, "openssl 3.") {
		t.Fatalf("Accelerated() = %q, want \"openssl 3.x.y\"", name)
	}
	if s == crypto.Signer(k) {
		t.Fatal("openssl build: Accelerate returned the Go key for RSA-2048")
	}
	if !k.PublicKey.Equal(s.Public()) {
		t.Fatal("accelerated signer has another public key")
	}
}

// TestAccelMatchesGo checks byte equality with crypto/rsa on random digests,
// for the fixture and a freshly generated key.
func TestAccelMatchesGo(t *testing.T) {
	fresh, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]*rsa.PrivateKey{"fixture": accelKey(t), "generated": fresh} {
		s := Accelerate(k)
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
			for range 25 {
				d := randomDigest(t, h)
				want, err := rsa.SignPKCS1v15(nil, k, h, d)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Sign(rand.Reader, d, h)
				if err != nil {
					t.Fatalf("%s %v: %v", name, h, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s %v: signature differs from crypto/rsa for digest %x", name, h, d)
				}
				if err := rsa.VerifyPKCS1v15(&k.PublicKey, h, d, got); err != nil {
					t.Fatalf("%s %v: does not verify: %v", name, h, err)
				}
			}
		}
	}
}

// TestAccelSignsPolicy signs a whole message the way the CloudFront signer
// does (hash, then Sign) and verifies it.
func TestAccelSignsPolicy(t *testing.T) {
	k := accelKey(t)
	s := Accelerate(k)
	policy := []byte(`{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/a.mp4","Condition":{"DateLessThan":{"AWS:EpochTime":1767225600}}}]}`)
	sum := sha1.Sum(policy)
	sig, err := s.Sign(rand.Reader, sum[:], crypto.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA1, sum[:], sig); err != nil {
		t.Fatalf("policy signature does not verify: %v", err)
	}
}

func TestAccelPassesThrough(t *testing.T) {
	// ParsePrivate refuses RSA sizes CloudFront does not take; parse them raw.
	rawRSA := func(name string) *rsa.PrivateKey {
		b, _ := pem.Decode(fixture(t, name))
		if b == nil {
			t.Fatalf("%s: no PEM block", name)
		}
		if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
			return k
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		rk, ok := k.(*rsa.PrivateKey)
		if err != nil || !ok {
			t.Fatalf("%s: not an RSA key: %v", name, err)
		}
		return rk
	}
	bad := *accelKey(t) // same modulus, wrong private exponent
	bad.D = new(big.Int).Add(bad.D, big.NewInt(2))
	cases := map[string]crypto.Signer{
		"inconsistent rsa 2048": &bad,
		"ecdsa p256":            fixtureSigner(t, "p256-pkcs8.pem"),
		"rsa 4096":              rawRSA("rsa4096-pkcs1.pem"),
		"rsa 1024":              rawRSA("rsa1024.pem"),
		"nil rsa key":           (*rsa.PrivateKey)(nil),
		"empty rsa key":         &rsa.PrivateKey{},
	}
	for name, k := range cases {
		if got := Accelerate(k); got != k {
			t.Errorf("%s: Accelerate returned %T, want the key itself", name, got)
		}
	}
}

func TestAccelFallsBack(t *testing.T) {
	k := accelKey(t)
	s := Accelerate(k)

	t.Run("pss", func(t *testing.T) {
		d := randomDigest(t, crypto.SHA256)
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		sig, err := s.Sign(rand.Reader, d, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, d, sig, opts); err != nil {
			t.Fatalf("PSS signature does not verify: %v", err)
		}
	})
	for _, h := range []crypto.Hash{crypto.SHA512, crypto.SHA384, crypto.Hash(0)} {
		t.Run(h.String(), func(t *testing.T) {
			d := make([]byte, 32)
			if h != 0 {
				d = randomDigest(t, h)
			}
			want, err := rsa.SignPKCS1v15(nil, k, h, d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Sign(rand.Reader, d, h)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("fallback signature differs from crypto/rsa")
			}
		})
	}
	t.Run("wrong digest length", func(t *testing.T) {
		short := sha512.Sum512_224([]byte("x")) // 28 bytes, not SHA-256's 32
		_, wantErr := k.Sign(rand.Reader, short[:], crypto.SHA256)
		_, err := s.Sign(rand.Reader, short[:], crypto.SHA256)
		if err == nil || wantErr == nil {
			t.Fatalf("short digest accepted: accel err %v, go err %v", err, wantErr)
		}
	})
	if accelerated() {
		t.Run("nil opts", func(t *testing.T) {
			d := sha256.Sum256([]byte("x"))
			if _, err := s.Sign(rand.Reader, d[:], nil); err == nil {
				t.Fatal("nil opts accepted")
			}
		})
	}
}

func TestAccelConcurrent(t *testing.T) {
	k := accelKey(t)
	s := Accelerate(k)
	type job struct {
		h      crypto.Hash
		d, sig []byte
	}
	var jobs []job
	for i := range 16 {
		h := []crypto.Hash{crypto.SHA1, crypto.SHA256}[i%2]
		d := randomDigest(t, h)
		sig, err := rsa.SignPKCS1v15(nil, k, h, d)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{h, d, sig})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(jobs))
	for g := range 8 {
		wg.Go(func() {
			for i := range jobs {
				j := jobs[(i+g)%len(jobs)]
				got, err := s.Sign(rand.Reader, j.d, j.h)
				if err != nil {
					errs <- err.Error()
				} else if !bytes.Equal(got, j.sig) {
					errs <- "signature differs from crypto/rsa"
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestAccelFreesKeys drops accelerated signers and waits for the garbage
// collector to free their OpenSSL keys.
func TestAccelFreesKeys(t *testing.T) {
	if !accelerated() {
		t.Skip("pure-Go build: no C memory to free")
	}
	k := accelKey(t)
	before := nativeLive.Load()
	for range 20 {
		if Accelerate(k) == crypto.Signer(k) {
			t.Fatal("not accelerated")
		}
	}
	if n := nativeLive.Load(); n < before+20 {
		t.Fatalf("live OpenSSL keys = %d after 20 signers, want >= %d", n, before+20)
	}
	deadline := time.Now().Add(10 * time.Second)
	for nativeLive.Load() > before {
		if time.Now().After(deadline) {
			t.Fatalf("live OpenSSL keys = %d, want %d: cleanup did not free them", nativeLive.Load(), before)
		}
		runtime.GC()
		runtime.Gosched()
	}
}

func TestAccelECDSAUnchanged(t *testing.T) {
	k, ok := fixtureSigner(t, "p256-pkcs8.pem").(*ecdsa.PrivateKey)
	if !ok {
		t.Fatal("p256-pkcs8.pem is not ECDSA")
	}
	s := Accelerate(k)
	d := sha256.Sum256([]byte("policy"))
	sig, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
		t.Fatal("ECDSA signature does not verify")
	}
}
