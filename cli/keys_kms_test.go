package cli

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	sdkconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/sandbox"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/testenv"
)

// awsTestEnv is a test env whose AWS calls (KMS, Secrets Manager, SSM,
// CloudFront) go to endpoint with test credentials, through the
// AWS_ENDPOINT_URL_* variables cfsign honours.
func awsTestEnv(t *testing.T, endpoint string) *testEnv {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	te := newTestEnv(t).set("CFSIGN_CLOUDFRONT_ENDPOINT_URL", endpoint)
	for _, v := range []string{"AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_SSM"} {
		te.set(v, endpoint)
	}
	return te
}

var (
	kmsARNRe  = regexp.MustCompile(`(?m)^kms key: +(arn:aws:kms:\S+)$`)
	keyIDRe   = regexp.MustCompile(`(?m)^key pair ID: +(\S+)$`)
	fpLineRe  = regexp.MustCompile(`(?m)^fingerprint: +(\S+)$`)
	urlLineRe = regexp.MustCompile(`^https://d111\.cloudfront\.net/(\d+)\.txt\?Expires=\d+&Signature=[A-Za-z0-9_~-]+&Key-Pair-Id=\S+&Hash-Algorithm=SHA256$`)
)

func match(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not in %q", re, s)
	}
	return m[1]
}

func TestKeysCreateKMSAndSign(t *testing.T) {
	moto := testenv.Moto(t)
	te := awsTestEnv(t, moto)
	alias := testenv.Unique("cfsign-cli")
	group := testenv.Unique("cfsign-kms-group")
	r := te.run("keys", "create", "--kms", "--alias", alias, "--key-group", group).mustOK(t)
	arn := match(t, kmsARNRe, r.stdout)
	id := match(t, keyIDRe, r.stdout)
	fp := match(t, fpLineRe, r.stdout)
	if !strings.Contains(r.stderr, "created key group "+group) {
		t.Errorf("key group not created: %q", r.stderr)
	}
	// The fingerprint is computed as for a key file, from the same key.
	show := te.run("keys", "show", "--private-key", "kms:alias/"+alias).mustOK(t)
	if got := match(t, fpLineRe, show.stdout); got != fp {
		t.Errorf("keys show fingerprint %s, keys create said %s", got, fp)
	}

	for _, key := range []string{"kms:" + arn, "kms:alias/" + alias} {
		r = te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "1h", "--key-pair-id", id, "--private-key", key).mustOK(t)
		u := strings.TrimSpace(r.stdout)
		if !strings.HasSuffix(u, "&Hash-Algorithm=SHA256") {
			t.Errorf("KMS signing should choose SHA-256: %s", u)
		}
		te.run("verify", u, "--private-key", key).mustOK(t)
	}
	te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "1h", "--key-pair-id", id,
		"--private-key", "kms:"+arn, "--hash", "sha1").oneLineError(t, ExitError, "KMS has no SHA-1 signing")
	te.set("CFSIGN_HASH", "sha1")
	te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "1h", "--key-pair-id", id,
		"--private-key", "kms:"+arn).oneLineError(t, ExitError, "CFSIGN_HASH")
	delete(te.vars, "CFSIGN_HASH")

	te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "1h", "--key-pair-id", id,
		"--private-key", "kms:alias/cfsign-none").oneLineError(t, ExitError, "KMS key alias/cfsign-none: no such key")
	te.run("keys", "create", "--alias", "x").oneLineError(t, ExitUsage, "only --kms is supported")
}

func TestSignBatchKMSConcurrentThrottledInOrder(t *testing.T) {
	f := testenv.NewFakeKMS(t, 5)
	f.Latency = 20 * 1e6 // 20ms
	te := awsTestEnv(t, f.URL)
	var in strings.Builder
	const n = 64
	for i := range n {
		fmt.Fprintf(&in, "https://d111.cloudfront.net/%d.txt\n", i)
	}
	te.in = in.String()
	r := te.run("sign", "-", "--expires", "1h", "--key-pair-id", "KFAKE", "--private-key", "kms:fake").mustOK(t)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines out, want %d", len(lines), n)
	}
	for i, l := range lines {
		if m := urlLineRe.FindStringSubmatch(l); m == nil || m[1] != fmt.Sprint(i) {
			t.Fatalf("line %d out of order or malformed: %s", i, l)
		}
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.Throttle != 0 {
		t.Errorf("%d throttled answers never reached", f.Throttle)
	}
	if f.MaxInFlight < 4 || f.MaxInFlight > 16 {
		t.Errorf("at most %d Sign calls in flight, want several and at most 16", f.MaxInFlight)
	}
	if f.Types["RAW"] != n+5 {
		t.Errorf("Sign calls %v, want %d RAW", f.Types, n+5)
	}

	// --shared-policy: one KMS call for any number of URLs.
	f.Types = map[string]int{}
	f.Mu.Unlock()
	r = te.run("sign", "-", "--expires", "1h", "--key-pair-id", "KFAKE", "--private-key", "kms:fake",
		"--shared-policy", "--resource", "https://d111.cloudfront.net/*").mustOK(t)
	f.Mu.Lock()
	if strings.Count(r.stdout, "\n") != n || f.Types["RAW"] != 1 {
		t.Errorf("--shared-policy: %d lines, KMS calls %v; want %d lines and one RAW call", strings.Count(r.stdout, "\n"), f.Types, n)
	}
	help := te.run("sign", "--help").mustOK(t).stdout
	if !strings.Contains(help, "With a KMS key that is one KMS call for any number of URLs") {
		t.Errorf("sign --help does not say --shared-policy needs one KMS call")
	}
}

func TestSignWithKeysFromSecretsManagerAndSSM(t *testing.T) {
	moto := testenv.Moto(t)
	te := awsTestEnv(t, moto)
	te.run("keys", "generate", "--dir", filepath.Join(te.vars["HOME"], "k")).mustOK(t)
	keyFile := filepath.Join(te.vars["HOME"], "k", "private_key.pem")
	pemText, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := sdkconfig.LoadDefaultConfig(ctx, sdkconfig.WithRegion("us-east-1"),
		sdkconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	secret := testenv.Unique("cfsign-cli-secret")
	param := "/" + testenv.Unique("cfsign-cli") + "/key"
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = sdkaws.String(moto) })
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: sdkaws.String(secret),
		SecretString: sdkaws.String(`{"pem":` + fmt.Sprintf("%q", pemText) + `}`)}); err != nil {
		t.Fatal(err)
	}
	ps := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = sdkaws.String(moto) })
	if _, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Overwrite: sdkaws.Bool(true), Name: sdkaws.String(param), Value: sdkaws.String(string(pemText)),
		Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	sign := func(key string) string {
		return te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "2099-01-01", "--key-pair-id", "KTEST", "--private-key", key).mustOK(t).stdout
	}
	want := sign(keyFile)
	for _, key := range []string{"secretsmanager:" + secret + "#pem", "ssm:" + param} {
		if got := sign(key); got != want {
			t.Errorf("%s: %q, want the key file's %q", key, got, want)
		}
	}
	te.set("CFSIGN_PRIVATE_KEY", "ssm:"+param)
	if got := te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "2099-01-01", "--key-pair-id", "KTEST").mustOK(t).stdout; got != want {
		t.Errorf("CFSIGN_PRIVATE_KEY=ssm:...: %q", got)
	}
	delete(te.vars, "CFSIGN_PRIVATE_KEY")
	r := te.run("sign", "https://d111.cloudfront.net/a.pdf", "--expires", "1h", "--key-pair-id", "KTEST", "--private-key", "secretsmanager:"+secret+"#nope")
	r.oneLineError(t, ExitError, "read secret "+secret+": it has no JSON field nope")
	if strings.Contains(r.stderr, "PRIVATE KEY") {
		t.Errorf("error shows key text: %q", r.stderr)
	}
}

// rotationSandbox is a fresh sandbox of the test's own (rotation changes
// its trusted key group), with a file on the edge.
func rotationSandbox(t *testing.T) (*testEnv, *sandbox.Sandbox) {
	sb := testenv.NewSandbox(t)
	te := newTestEnv(t)
	te.env.Sandbox = func(context.Context) (*sandbox.Sandbox, func(), error) { return sb, func() {}, nil }
	src := filepath.Join(t.TempDir(), "r.txt")
	os.WriteFile(src, []byte("rotated\n"), 0o600)
	te.run("--sandbox", "upload", src, "s3://sandbox/rot/").mustOK(t)
	return te, sb
}

// status GETs a signed URL from the edge.
func status(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(strings.TrimSpace(u))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestKeysRotateRetireOnSandbox(t *testing.T) {
	te, sb := rotationSandbox(t)
	oldURL := te.run("--sandbox", "sign", "s3://sandbox/rot/r.txt", "--expires", "10m").mustOK(t).stdout
	if !strings.Contains(oldURL, "Key-Pair-Id="+sb.KeyPairID) {
		t.Fatalf("signed with %q, want the sandbox key %s", oldURL, sb.KeyPairID)
	}
	if c := status(t, oldURL); c != 200 {
		t.Fatalf("before rotate: %d", c)
	}

	r := te.run("--sandbox", "keys", "rotate").mustOK(t)
	newID := strings.TrimSpace(r.stdout)
	if newID == "" || newID == sb.KeyPairID || !strings.Contains(r.stderr, "old key "+sb.KeyPairID+" stays trusted") {
		t.Fatalf("rotate: %q / %q", r.stdout, r.stderr)
	}
	if c := status(t, oldURL); c != 200 {
		t.Errorf("URL signed before rotate: %d after rotate, want 200", c)
	}
	newURL := te.run("--sandbox", "sign", "s3://sandbox/rot/r.txt", "--expires", "10m").mustOK(t).stdout
	if !strings.Contains(newURL, "Key-Pair-Id="+newID) {
		t.Fatalf("after rotate signed with %q, want %s", newURL, newID)
	}
	if c := status(t, newURL); c != 200 {
		t.Errorf("URL signed with the new key: %d, want 200", c)
	}

	list := te.run("--sandbox", "keys", "list").mustOK(t).stdout
	for _, want := range []string{sb.KeyPairID, newID, "signing", "2 of 5 keys", "SHA256:"} {
		if !strings.Contains(list, want) {
			t.Errorf("keys list lacks %q:\n%s", want, list)
		}
	}
	for _, l := range strings.Split(list, "\n") {
		if strings.Contains(l, newID) && !strings.Contains(l, "signing") {
			t.Errorf("the new key is not marked signing: %q", l)
		}
	}

	// Links signed with the old key are still valid: retire says until when.
	te.run("--sandbox", "keys", "retire", newID).oneLineError(t, ExitError, "is the key cfsign signs with")
	te.run("--sandbox", "keys", "retire", sb.KeyPairID).oneLineError(t, ExitError, "are valid until")
	r = te.run("--sandbox", "keys", "retire", sb.KeyPairID, "--force", "--delete").mustOK(t)
	if !strings.Contains(r.stderr, "(1 key left)") {
		t.Errorf("retire stderr %q, want the count of keys left, in the singular: (1 key left)", r.stderr)
	}
	if c := status(t, oldURL); c != 403 {
		t.Errorf("URL signed with the retired key: %d, want 403", c)
	}
	if c := status(t, newURL); c != 200 {
		t.Errorf("URL signed with the new key after retire: %d, want 200", c)
	}
	if list := te.run("--sandbox", "keys", "list").mustOK(t).stdout; strings.Contains(list, sb.KeyPairID) {
		t.Errorf("deleted key still listed:\n%s", list)
	}
	st, err := os.Stat(filepath.Join(te.vars["XDG_STATE_HOME"], "cfsign", "signed-expiries.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("expiry ledger: %v, %v; want mode 0600", st, err)
	}
}

func TestKeysRotateRefusesFullGroup(t *testing.T) {
	te, _ := rotationSandbox(t)
	for range 4 {
		te.run("--sandbox", "keys", "rotate").mustOK(t)
	}
	te.run("--sandbox", "keys", "rotate").oneLineError(t, ExitError, "already holds 5 keys")
}

// --sandbox verify checks a URL against the key the sandbox's CloudFront
// holds for its Key-Pair-Id, as the edge does: the built-in key, a rotated
// one, and an ID it never registered.
func TestVerifyOnSandbox(t *testing.T) {
	te, _ := rotationSandbox(t)
	sign := func() string {
		return strings.TrimSpace(te.run("--sandbox", "sign", "s3://sandbox/rot/r.txt", "--expires", "10m").mustOK(t).stdout)
	}
	first := sign()
	if r := te.run("--sandbox", "verify", first).mustOK(t); !strings.Contains(r.stdout, "VALID") {
		t.Errorf("verify: %q", r.stdout)
	}
	te.run("--sandbox", "keys", "rotate").mustOK(t)
	te.run("--sandbox", "verify", sign()).mustOK(t)
	te.run("--sandbox", "verify", first).mustOK(t)
	tampered := strings.Replace(first, "r.txt", "s.txt", 1)
	if r := te.run("--sandbox", "verify", tampered); r.code != ExitError || !strings.Contains(r.stdout, "INVALID") {
		t.Errorf("tampered URL: exit %d, %q", r.code, r.stdout)
	}
	unknown := regexp.MustCompile(`Key-Pair-Id=[A-Z0-9]+`).ReplaceAllString(first, "Key-Pair-Id=K2NEVERREGISTERED")
	te.run("--sandbox", "verify", unknown).oneLineError(t, ExitError, "key pair ID K2NEVERREGISTERED is not registered with the sandbox's CloudFront")
}

// When CloudFront refuses the new public key (here its account limit),
// rotate says why in CloudFront's words made plain, and leaves no key files
// behind: a key nothing trusts is no use.
func TestKeysRotateAccountFullLeavesNothing(t *testing.T) {
	te, sb := rotationSandbox(t)
	cf, err := aws.NewCloudFront(context.Background(), aws.CloudFrontOptions{
		ClientOptions:         aws.ClientOptions{Region: sb.Region, AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
		CloudFrontEndpointURL: sb.CloudFrontEndpoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		_, _, err := cf.RegisterPublicKey(context.Background(), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), fmt.Sprintf("filler-%d", i))
		if err != nil {
			if !strings.Contains(err.Error(), "TooManyPublicKeys") || strings.Contains(err.Error(), "operation error") {
				t.Fatalf("filling the account: %v", err)
			}
			break
		}
		if i > 20 {
			t.Fatal("the sandbox took 20 public keys without a limit")
		}
	}
	r := te.run("--sandbox", "keys", "rotate")
	r.oneLineError(t, ExitError, "limit of public keys (TooManyPublicKeys)")
	if strings.Contains(r.stderr, "operation error") {
		t.Errorf("raw SDK text: %q", r.stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(config.KeyDir(func(k string) string { return te.vars[k] }), "rotated-*")); len(left) != 0 {
		t.Errorf("key files left behind: %v", left)
	}
}

// TestKeysRotateSwitchesConfig rotates through the sandbox's CloudFront
// API addressed as any CloudFront (no --sandbox), so the settings switched
// are config.toml's: first to a new key file, then to a new KMS key (moto).
func TestKeysRotateSwitchesConfig(t *testing.T) {
	moto := testenv.Moto(t)
	te, sb := rotationSandbox(t)
	t.Setenv("AWS_ACCESS_KEY_ID", sb.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sb.SecretAccessKey)
	t.Setenv("AWS_REGION", sb.Region)
	te.set("CFSIGN_CLOUDFRONT_ENDPOINT_URL", sb.CloudFrontEndpoint).set("AWS_ENDPOINT_URL_KMS", moto)
	cfgPath := filepath.Join(te.vars["XDG_CONFIG_HOME"], "cfsign", "config.toml")
	os.MkdirAll(filepath.Dir(cfgPath), 0o700)
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("key_pair_id = %q\nprivate_key = %q\ndomain = %q\n", sb.KeyPairID, sb.PrivateKeyPath, sb.EdgeURL)), 0o600)

	signed := func() string {
		return te.run("sign", "rot/r.txt", "--expires", "10m").mustOK(t).stdout
	}
	before := signed()
	fileID := strings.TrimSpace(te.run("keys", "rotate").mustOK(t).stdout)
	cfg, _ := os.ReadFile(cfgPath)
	if !strings.Contains(string(cfg), fileID) || !strings.Contains(string(cfg), "rotated-") {
		t.Fatalf("config.toml not switched to the new key %s:\n%s", fileID, cfg)
	}
	afterFile := signed()
	if !strings.Contains(afterFile, "Key-Pair-Id="+fileID) || status(t, afterFile) != 200 || status(t, before) != 200 {
		t.Fatalf("after rotate: new %s (%d), old (%d)", afterFile, status(t, afterFile), status(t, before))
	}

	r := te.run("keys", "rotate", "--kms", "--alias", testenv.Unique("cfsign-rot")).mustOK(t)
	kmsID := strings.TrimSpace(r.stdout)
	cfg, _ = os.ReadFile(cfgPath)
	if !strings.Contains(string(cfg), `private_key = "kms:arn:aws:kms:`) || !strings.Contains(string(cfg), kmsID) {
		t.Fatalf("config.toml not switched to the KMS key:\n%s", cfg)
	}
	afterKMS := signed()
	if !strings.Contains(afterKMS, "Key-Pair-Id="+kmsID) || !strings.Contains(afterKMS, "Hash-Algorithm=SHA256") {
		t.Fatalf("after rotate --kms: %s", afterKMS)
	}
	for _, u := range []string{before, afterFile, afterKMS} {
		if c := status(t, u); c != 200 {
			t.Errorf("%s: %d, want 200 (three keys trusted)", u, c)
		}
	}
	te.run("keys", "retire", fileID, "--force").mustOK(t)
	if c := status(t, afterFile); c != 403 {
		t.Errorf("retired key's URL: %d, want 403", c)
	}
	te.run("verify", strings.TrimSpace(afterKMS)).mustOK(t)
	// doctor signs its test link through KMS and fetches it from the edge.
	if r := te.run("doctor", "rot/r.txt").mustOK(t); !strings.Contains(r.stdout, "ok       key pair ID "+kmsID) || !strings.Contains(r.stdout, "link answers HTTP 200") {
		t.Errorf("doctor with the KMS key:\n%s", r.stdout)
	}
}
