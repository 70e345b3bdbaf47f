//go:build openssl && cgo

package keys

/*
#cgo LDFLAGS: -lcrypto
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#if OPENSSL_VERSION_MAJOR < 3
#error "the openssl build tag needs OpenSSL 3 headers (Debian: libssl-dev)"
#endif

// cf_load decodes a PKCS#1 RSAPrivateKey DER into an EVP_PKEY. On failure it
// returns NULL and the first OpenSSL error code in *err. The error queue is
// per OS thread, so it is read here, in the same C call.
static EVP_PKEY *cf_load(const unsigned char *der, long len, unsigned long *err) {
	const unsigned char *p = der;
	ERR_clear_error();
	EVP_PKEY *pkey = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
	*err = pkey == NULL ? ERR_peek_error() : 0;
	ERR_clear_error();
	return pkey;
}

// cf_sign signs an already-hashed digest with RSASSA-PKCS1-v1_5 using md
// (SHA-1 or SHA-256). It returns 1 on success; otherwise 0 and the first
// OpenSSL error code in *err (0 if OpenSSL queued none).
static int cf_sign(EVP_PKEY *pkey, const EVP_MD *md,
		const unsigned char *dgst, size_t dlen,
		unsigned char *sig, size_t *siglen, unsigned long *err) {
	int ok = 0;
	ERR_clear_error();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx != NULL
			&& EVP_PKEY_sign_init(ctx) > 0
			&& EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0
			&& EVP_PKEY_CTX_set_signature_md(ctx, md) > 0
			&& EVP_PKEY_sign(ctx, sig, siglen, dgst, dlen) > 0) {
		ok = 1;
	}
	*err = ok ? 0 : ERR_peek_error();
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static const EVP_MD *cf_sha1(void) { return EVP_sha1(); }
static const EVP_MD *cf_sha256(void) { return EVP_sha256(); }
static const char *cf_version(void) { return OpenSSL_version(OPENSSL_VERSION_STRING); }
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"runtime"
	"unsafe"
)

func init() {
	nativeSigner = newOpenSSLSigner
	nativeName = "openssl " + C.GoString(C.cf_version())
}

// opensslSigner signs RSA PKCS#1 v1.5 through libcrypto. The EVP_PKEY is
// only read after it is built, which OpenSSL 3 allows from many threads at
// once; each Sign gets its own EVP_PKEY_CTX. A pool of contexts was not
// worth it: making and initialising one costs about 3 µs against 250-800 µs
// for the signature.
type opensslSigner struct {
	key  *rsa.PrivateKey // Public, and every case we do not accelerate
	pkey *C.EVP_PKEY
	size int // signature length in bytes
}

func newOpenSSLSigner(k *rsa.PrivateKey) (crypto.Signer, error) {
	der := x509.MarshalPKCS1PrivateKey(k)
	defer clear(der)
	if len(der) == 0 {
		return nil, errors.New("openssl: empty RSA key")
	}
	var code C.ulong
	// der holds no Go pointers and C keeps none of it, so it may be passed
	// directly (no C copy left to wipe).
	pkey := C.cf_load((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)), &code)
	if pkey == nil {
		return nil, opensslError("load RSA key", code)
	}
	s := &opensslSigner{key: k, pkey: pkey, size: int(C.EVP_PKEY_get_size(pkey))}
	nativeLive.Add(1)
	runtime.AddCleanup(s, func(p *C.EVP_PKEY) {
		C.EVP_PKEY_free(p) // RSA private parts are BN_clear_free'd
		nativeLive.Add(-1)
	}, pkey)
	return s, nil
}

// Public returns the RSA public key.
func (s *opensslSigner) Public() crypto.PublicKey { return s.key.Public() }

// Sign signs digest (already hashed with opts.HashFunc()). SHA-1 and SHA-256
// PKCS#1 v1.5 go to OpenSSL; anything else to crypto/rsa. Like
// rsa.SignPKCS1v15 it ignores rand: the signature is deterministic.
func (s *opensslSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, errors.New("rsa sign: no hash given (nil SignerOpts)")
	}
	var md *C.EVP_MD
	switch opts.(type) {
	case crypto.Hash: // PKCS#1 v1.5; *rsa.PSSOptions and others go to Go
		switch opts.HashFunc() {
		case crypto.SHA1:
			md = C.cf_sha1()
		case crypto.SHA256:
			md = C.cf_sha256()
		}
	}
	if md == nil || len(digest) != opts.HashFunc().Size() {
		return s.key.Sign(rand, digest, opts)
	}
	sig := make([]byte, s.size)
	siglen := C.size_t(len(sig))
	var code C.ulong
	ok := C.cf_sign(s.pkey, md,
		(*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), &siglen, &code)
	runtime.KeepAlive(s) // keep the cleanup from freeing pkey mid-call
	if ok != 1 {
		return nil, opensslError("rsa sign", code)
	}
	return sig[:siglen], nil
}

// opensslError turns an OpenSSL error code into a one-line Go error. OpenSSL's
// error strings name the library, function and reason, never key bytes.
func opensslError(what string, code C.ulong) error {
	if code == 0 {
		return fmt.Errorf("openssl: %s failed", what)
	}
	var buf [256]C.char
	C.ERR_error_string_n(code, &buf[0], C.size_t(len(buf)))
	return fmt.Errorf("openssl: %s: %s", what, C.GoString(&buf[0]))
}
