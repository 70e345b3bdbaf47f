// Faster RSA signing through OpenSSL: what the `openssl` build tag buys and costs.
//
// Go's crypto/rsa is the slow part of signing a batch of RSA CloudFront URLs:
// OpenSSL, which botocore signs through, does the same RSA-2048 signature
// 1.5 to 4 times faster depending on the CPU. To match botocore cfsign can be
// built with
//
//	CGO_ENABLED=1 go build -tags openssl
//
// which makes Accelerate hand RSA-2048 PKCS#1 v1.5 signing (SHA-1 or SHA-256)
// to the system's OpenSSL 3 libcrypto through a small cgo binding
// (accel_openssl.go); it then signs within a few percent of `openssl speed
// rsa2048` (BenchmarkAccelSign). The default build stays pure Go and cgo-free,
// and Accelerate returns its argument unchanged.
//
// The other cgo route is GOEXPERIMENT=boringcrypto (no build tag, no system
// library at run time: BoringCrypto is linked in statically, linux amd64/arm64
// only). It needs no code here, but on CPUs where OpenSSL's RSA assembly is
// faster than BoringCrypto's it leaves speed behind; compare both with the
// benchmark on the target machine.
//
// Trade-offs of the openssl build:
//   - It needs cgo: a C compiler and the OpenSSL 3 headers to build (Debian:
//     gcc and libssl-dev); no cross-compiling with a plain `go build`, and no
//     static binary unless linked with care.
//   - The binary links libcrypto.so.3 dynamically: it will not start on a
//     machine without OpenSSL 3 (the loader refuses it before main runs), and
//     its crypto then follows that machine's OpenSSL version and configuration
//     (providers, FIPS mode), updated by the OS rather than by our go.mod.
//   - The bytes out are the same: PKCS#1 v1.5 is deterministic, so the
//     OpenSSL signature equals Go's byte for byte. Accelerate checks this
//     once per key (SHA-1 and SHA-256) and keeps the Go signer if they
//     differ or OpenSSL refuses the key; the tests check it on random digests.
//   - Side-channel resistance (constant time, blinding, the CRT fault check)
//     is then OpenSSL's, not Go's. Both are widely reviewed; it is a
//     different implementation to trust, not a weaker one.
//   - The private key is also held in C memory (an EVP_PKEY) for the life of
//     the signer; OpenSSL clears it when the signer is garbage collected. The
//     DER copy used to hand it over is zeroed at once.
//   - Only RSA-2048 with SHA-1 or SHA-256 PKCS#1 v1.5 goes to OpenSSL.
//     ECDSA, other sizes, other hashes and PSS stay on Go, whose ECDSA P-256
//     is already fast.

package keys

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1" // registers crypto.SHA1 for the self-check
	_ "crypto/sha256"
	"sync/atomic"
)

// nativeSigner builds an OpenSSL-backed signer for an RSA key; nil in a
// pure-Go build. accel_openssl.go sets it (and nativeName) in openssl builds.
var nativeSigner func(*rsa.PrivateKey) (crypto.Signer, error)

// nativeName names the native backend, e.g. "openssl 3.0.19".
var nativeName string

// nativeLive counts native key handles not yet freed; the tests use it to
// check that dropped signers release their C memory.
var nativeLive atomic.Int64

// Accelerated names the RSA signing backend this binary was built with:
// "openssl 3.0.x" (the libcrypto version loaded at run time) or "go".
func Accelerated() string {
	if nativeSigner == nil {
		return "go"
	}
	return nativeName
}

// Accelerate returns a signer for s that signs RSA-2048 PKCS#1 v1.5 (SHA-1,
// SHA-256) through OpenSSL in an openssl build, and s itself otherwise.
//
// The result signs the same bytes as s, has the same Public key and is safe
// for concurrent use; anything it does not accelerate (PSS, other hashes) is
// passed to s. Build it once per key, not per signature: it signs with both
// Go and OpenSSL, SHA-1 and SHA-256, to check they agree. It returns s
// unchanged for non-RSA keys, other RSA sizes, in a pure-Go build, or if
// OpenSSL refuses the key or disagrees, so callers can tell by comparing the
// result with s. The result is not an *rsa.PrivateKey: type-switch on its
// Public() key instead.
func Accelerate(s crypto.Signer) crypto.Signer {
	k, ok := s.(*rsa.PrivateKey)
	if !ok || k == nil || k.N == nil || nativeSigner == nil || k.N.BitLen() != rsaBits {
		return s
	}
	fast, err := nativeSigner(k)
	if err != nil {
		return s
	}
	// Both hashes must work and agree byte for byte before we switch: a
	// system OpenSSL policy may refuse one (SHA-1 under some FIPS settings).
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		probe := h.New()
		probe.Write([]byte("cfsign accelerate self-check"))
		digest := probe.Sum(nil)
		want, err := rsa.SignPKCS1v15(nil, k, h, digest)
		if err != nil {
			return s
		}
		got, err := fast.Sign(nil, digest, h)
		if err != nil || !bytes.Equal(got, want) {
			return s
		}
	}
	return fast
}
