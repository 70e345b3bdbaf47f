package aws

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/testenv"
	"github.com/cfsign/cfsign/keys"
)

// keySourceOpts points every key source at endpoint with test credentials.
func keySourceOpts(endpoint string) KeySourceOptions {
	return KeySourceOptions{
		ClientOptions: ClientOptions{Region: "us-east-1", AccessKeyID: "testing", SecretAccessKey: "testing",
			maxBackoff: 20 * time.Millisecond},
		KMSEndpointURL: endpoint, SecretsManagerEndpointURL: endpoint, SSMEndpointURL: endpoint,
	}
}

// verifyURL checks signed with pub as the edge would.
func verifyURL(t *testing.T, signed, keyPairID string, pub crypto.PublicKey) {
	t.Helper()
	v := signedurl.Verify(signedurl.VerifyRequest{URL: signed}, signedurl.PublicKeys{keyPairID: pub})
	if !v.OK {
		t.Fatalf("signed URL does not verify: %s %s", v.Check, v.Detail)
	}
}

func TestKMSSignerMotoRaw(t *testing.T) {
	moto := testenv.Moto(t)
	ctx := context.Background()
	opts := keySourceOpts(moto)
	for _, typ := range []KMSKeyType{KMSRSA, KMSECDSA} {
		t.Run(string(typ), func(t *testing.T) {
			alias := testenv.Unique("cfsign-test-" + string(typ))
			created, err := CreateKMSKey(ctx, typ, alias, "cfsign test", opts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(created.ARN(), "arn:aws:kms:") {
				t.Errorf("ARN %q", created.ARN())
			}
			// Loaded again through the setting, by alias.
			s, _, err := LoadKeySigner(ctx, "kms:alias/"+alias, "--private-key", opts)
			if err != nil {
				t.Fatal(err)
			}
			fpA, _ := keys.Fingerprint(created.Public())
			fpB, _ := keys.Fingerprint(s.Public())
			if fpA != fpB {
				t.Fatalf("fingerprints differ: %s %s", fpA, fpB)
			}
			sg, err := signedurl.NewSigner("KTESTKMS", s, signedurl.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			u, err := sg.SignURL("https://d111.cloudfront.net/a.pdf", signedurl.PolicyOptions{Expires: now.Add(time.Hour)}, now)
			if err != nil {
				t.Fatal(err)
			}
			verifyURL(t, u, "KTESTKMS", s.Public())
			u, err = sg.SignURL("https://d111.cloudfront.net/b.pdf", signedurl.PolicyOptions{Expires: now.Add(time.Hour), IP: "10.0.0.0/8"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(u, "Policy=") {
				t.Fatalf("custom policy expected: %s", u)
			}
			// SHA-1 never reaches KMS.
			sg1, err := signedurl.NewSigner("KTESTKMS", s, signedurl.SHA1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sg1.SignURL("https://d111.cloudfront.net/a.pdf", signedurl.PolicyOptions{Expires: now.Add(time.Hour)}, now); err == nil || !strings.Contains(err.Error(), "KMS has no SHA-1 signing") {
				t.Fatalf("SHA-1 through KMS: %v, want the SHA-1 refusal", err)
			}
		})
	}
}

func TestKMSKeyThatCannotSign(t *testing.T) {
	moto := testenv.Moto(t)
	ctx := context.Background()
	opts := keySourceOpts(moto)
	cfg, err := keySourceConfig(ctx, opts.ClientOptions)
	if err != nil {
		t.Fatal(err)
	}
	// Keys cfsign cannot sign with, made with the SDK's own client.
	api := kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = sdkaws.String(moto) })
	sym, err := api.CreateKey(ctx, &kms.CreateKeyInput{KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	rsa4k, err := api.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa4096, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, want string }{
		{*sym.KeyMetadata.KeyId, "its key usage is ENCRYPT_DECRYPT"},
		{*rsa4k.KeyMetadata.KeyId, "its key spec is RSA_4096"},
		{"alias/cfsign-no-such-key", "no such key"},
	} {
		_, _, err := LoadKeySigner(ctx, "kms:"+tc.id, "--private-key", opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("kms:%s: %v, want one line with %q", tc.id, err, tc.want)
		}
	}
}

func TestKMSSignerDigestAndThrottling(t *testing.T) {
	f := testenv.NewFakeKMS(t, 3)
	endpoint := f.URL
	ctx := context.Background()
	s, _, err := LoadKeySigner(ctx, "kms:fake", "CFSIGN_PRIVATE_KEY", keySourceOpts(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	// A long policy goes as a digest, a short one raw; both verify.
	for _, n := range []int{100, 4096, 4097, 9000} {
		msg := []byte(strings.Repeat("p", n))
		sig, err := crypto.SignMessage(s, rand.Reader, msg, crypto.SHA256)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		d := sha256.Sum256(msg)
		if err := rsa.VerifyPKCS1v15(&f.Key.PublicKey, crypto.SHA256, d[:], sig); err != nil {
			t.Fatalf("%d bytes: signature does not verify: %v", n, err)
		}
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.Types["RAW"] != 2+3 || f.Types["DIGEST"] != 2 {
		t.Errorf("message types seen %v, want RAW 2 (+3 throttled) and DIGEST 2", f.Types)
	}
	if f.Throttle != 0 {
		t.Errorf("throttled calls left %d", f.Throttle)
	}
}

func TestKMSSignedCookiesWithLongPolicy(t *testing.T) {
	f := testenv.NewFakeKMS(t, 0)
	endpoint := f.URL
	s, _, err := LoadKeySigner(context.Background(), "kms:fake", "--private-key", keySourceOpts(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	sg, _ := signedurl.NewSigner("KFAKE", s, signedurl.SHA256)
	now := time.Now()
	res := "https://d111.cloudfront.net/" + strings.Repeat("x", 4200) + "*"
	cookies, err := sg.SignCookies("", signedurl.PolicyOptions{Expires: now.Add(time.Hour), Resource: res}, now)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, c := range cookies {
		m[c.Name] = c.Value
	}
	v := signedurl.Verify(signedurl.VerifyRequest{URL: "https://d111.cloudfront.net/" + strings.Repeat("x", 4200) + "/a", Cookies: m},
		signedurl.PublicKeys{"KFAKE": &f.Key.PublicKey})
	if !v.OK {
		t.Fatalf("cookies do not verify: %s %s", v.Check, v.Detail)
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.Types["DIGEST"] != 1 {
		t.Errorf("message types %v, want one DIGEST", f.Types)
	}
}

func TestKeysFromSecretsManagerAndSSM(t *testing.T) {
	moto := testenv.Moto(t)
	ctx := context.Background()
	opts := keySourceOpts(moto)
	pair, err := keys.GenerateFiles(t.TempDir(), keys.RSA, false)
	if err != nil {
		t.Fatal(err)
	}
	pemText, err := os.ReadFile(pair.PrivatePath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := keySourceConfig(ctx, opts.ClientOptions)
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = sdkaws.String(moto) })
	ps := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = sdkaws.String(moto) })
	plain, jsonName, junk := testenv.Unique("cfsign-pem"), testenv.Unique("cfsign-json"), testenv.Unique("cfsign-junk")
	param := "/" + testenv.Unique("cfsign") + "/private_key"
	js, _ := json.Marshal(map[string]any{"private_key": string(pemText), "n": 1})
	const junkValue = "hunter2-not-a-key-value"
	for name, v := range map[string]string{plain: string(pemText), jsonName: string(js), junk: junkValue} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: sdkaws.String(name), SecretString: sdkaws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Overwrite: sdkaws.Bool(true), Name: sdkaws.String(param), Value: sdkaws.String(string(pemText)),
		Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	sign := func(setting string) string {
		t.Helper()
		k, _, err := LoadKeySigner(ctx, setting, "--private-key", opts)
		if err != nil {
			t.Fatalf("%s: %v", setting, err)
		}
		sg, _ := signedurl.NewSigner("KTEST", k, signedurl.SHA256)
		u, err := sg.SignURL("https://d111.cloudfront.net/a.pdf", signedurl.PolicyOptions{Expires: now.Add(time.Hour)}, now)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	want := sign(pair.PrivatePath)
	for _, setting := range []string{"secretsmanager:" + plain, "secretsmanager:" + jsonName + "#private_key", "ssm:" + param} {
		if got := sign(setting); got != want {
			t.Errorf("%s signs differently from the key file:\n%s\n%s", setting, got, want)
		}
	}

	for _, tc := range []struct{ setting, want string }{
		{"secretsmanager:cfsign-no-such-secret", "read secret cfsign-no-such-secret: no such secret"},
		{"secretsmanager:" + jsonName + "#nope", "read secret " + jsonName + ": it has no JSON field nope"},
		{"secretsmanager:" + jsonName + "#n", "JSON field n is not a string"},
		{"secretsmanager:" + plain + "#private_key", "is not a JSON object"},
		{"secretsmanager:" + junk, "load private key from secret " + junk + ": "},
		{"ssm:/cfsign/no/such/param", "read parameter /cfsign/no/such/param: no such parameter"},
		{"ssm:", "ssm: needs a parameter path"},
	} {
		_, _, err := LoadKeySigner(ctx, tc.setting, "--private-key", opts)
		if err == nil {
			t.Errorf("%s: no error", tc.setting)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q, want one line with %q", tc.setting, msg, tc.want)
		}
		if strings.Contains(msg, junkValue) || strings.Contains(msg, "PRIVATE KEY-----") {
			t.Errorf("%s: error shows the secret's value: %q", tc.setting, msg)
		}
	}
}

// A key service that never answers fails after --timeout with one plain
// line naming the service, as S3 and CloudFront do, not after a minute.
func TestKeySourceSilentServerTimesOut(t *testing.T) {
	opts := keySourceOpts(testenv.Silent(t))
	opts.Timeout = time.Second
	opts.MaxAttempts = 1
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"kms", func() error { _, err := NewKMSSigner(ctx, "alias/cfsign", opts); return err }, "KMS did not answer for 1s"},
		{"secretsmanager", func() error {
			_, err := FetchKeyText(ctx, keys.Source{Kind: keys.SourceSecretsManager, Ref: "cfsign/key"}, opts)
			return err
		}, "Secrets Manager did not answer for 1s"},
		{"ssm", func() error {
			_, err := FetchKeyText(ctx, keys.Source{Kind: keys.SourceSSM, Ref: "/cfsign/key"}, opts)
			return err
		}, "SSM did not answer for 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "operation error") {
				t.Fatalf("error %v, want one line with %q", err, tc.want)
			}
		})
	}
}
