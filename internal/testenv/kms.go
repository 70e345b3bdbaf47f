package testenv

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeKMS is a KMS over HTTP with one RSA_2048 signing key ("fake"). It
// signs properly in both message types, which moto does not for DIGEST
// (it hashes the digest again), checks the 4,096-byte RAW limit, and can
// answer ThrottlingException to the first Sign calls. Read its counters
// under Mu.
type FakeKMS struct {
	URL string
	Key *rsa.PrivateKey

	Mu          sync.Mutex
	Throttle    int            // Sign calls still to refuse with ThrottlingException
	Types       map[string]int // Sign calls by MessageType, throttled ones included
	InFlight    int
	MaxInFlight int           // most Sign calls served at once
	Latency     time.Duration // how long a Sign takes, so concurrency shows
}

// FakeKMSARN is the ARN of the fake KMS's key.
const FakeKMSARN = "arn:aws:kms:us-east-1:123456789012:key/fake"

// NewFakeKMS starts a fake KMS that stops when the test ends.
func NewFakeKMS(t testing.TB, throttle int) *FakeKMS {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &FakeKMS{Key: k, Throttle: throttle, Types: map[string]int{}, Latency: 2 * time.Millisecond}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *FakeKMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	json.Unmarshal(body, &in)
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	fail := func(code, msg string) { reply(http.StatusBadRequest, map[string]any{"__type": code, "message": msg}) }
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService."); op {
	case "DescribeKey":
		reply(http.StatusOK, map[string]any{"KeyMetadata": map[string]any{"KeyId": "fake", "Arn": FakeKMSARN, "Enabled": true,
			"KeyState": "Enabled", "KeyUsage": "SIGN_VERIFY", "KeySpec": "RSA_2048",
			"SigningAlgorithms": []string{"RSASSA_PKCS1_V1_5_SHA_256"}}})
	case "GetPublicKey":
		der, _ := x509.MarshalPKIXPublicKey(&f.Key.PublicKey)
		reply(http.StatusOK, map[string]any{"KeyId": FakeKMSARN, "PublicKey": der, "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"})
	case "Sign":
		f.Mu.Lock()
		f.InFlight++
		f.MaxInFlight = max(f.MaxInFlight, f.InFlight)
		throttled := f.Throttle > 0
		if throttled {
			f.Throttle--
		}
		mt, _ := in["MessageType"].(string)
		f.Types[mt]++
		latency := f.Latency
		f.Mu.Unlock()
		defer func() { f.Mu.Lock(); f.InFlight--; f.Mu.Unlock() }()
		time.Sleep(latency) // a round trip's worth: lets concurrent calls overlap
		if throttled {
			fail("ThrottlingException", "Rate exceeded")
			return
		}
		if in["SigningAlgorithm"] != "RSASSA_PKCS1_V1_5_SHA_256" {
			fail("ValidationException", "unsupported signing algorithm")
			return
		}
		b64, _ := in["Message"].(string)
		msg, _ := base64.StdEncoding.DecodeString(b64)
		var digest []byte
		switch mt {
		case "RAW", "":
			if len(msg) > 4096 {
				fail("ValidationException", "RAW messages must be at most 4096 bytes")
				return
			}
			d := sha256.Sum256(msg)
			digest = d[:]
		case "DIGEST":
			if len(msg) != sha256.Size {
				fail("ValidationException", "digest is not 32 bytes")
				return
			}
			digest = msg
		default:
			fail("ValidationException", "unknown MessageType")
			return
		}
		sig, _ := rsa.SignPKCS1v15(nil, f.Key, crypto.SHA256, digest)
		reply(http.StatusOK, map[string]any{"KeyId": FakeKMSARN, "Signature": sig, "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"})
	default:
		fail("UnsupportedOperationException", op+" is not faked")
	}
}
