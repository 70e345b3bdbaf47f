package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	sdkconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cfsign/cfsign/internal/testenv"
	"github.com/cfsign/cfsign/internal/testenv/keytext"
)

// A private key reaches cfsign through a flag, CFSIGN_PRIVATE_KEY,
// config.toml, a Secrets Manager secret or a Parameter Store parameter, in
// whatever form it was pasted. Whatever the form and wherever it came from,
// no part of it is printed or logged; the forms that are keys load as the
// very key of the PEM file (an RSA URL signs byte for byte the same; an
// ECDSA key shows the same public key).
func TestKeyMaterialNeverPrinted(t *testing.T) {
	moto := testenv.Moto(t)
	ctx := context.Background()
	cfg, err := sdkconfig.LoadDefaultConfig(ctx, sdkconfig.WithRegion("us-east-1"),
		sdkconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = sdkaws.String(moto) })
	ps := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = sdkaws.String(moto) })

	const url = "https://d111.cloudfront.net/a.pdf"
	for _, fixture := range []string{"rsa2048-pkcs1.pem", "p256-pkcs8.pem"} {
		pemBytes, err := os.ReadFile(filepath.Join("..", "testdata", "keys", fixture))
		if err != nil {
			t.Fatal(err)
		}
		pemText := string(pemBytes)
		rsa := strings.HasPrefix(fixture, "rsa")
		te := awsTestEnv(t, moto)
		keyFile := filepath.Join(te.vars["HOME"], "private_key.pem")
		if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		// RSA signatures are deterministic: the URL itself is compared.
		// ECDSA ones are not: the public key the command shows is.
		command := func(extra ...string) []string {
			if rsa {
				return append([]string{"sign", url, "--expires", "2099-01-01", "--key-pair-id", "KTEST", "--debug"}, extra...)
			}
			return append([]string{"keys", "show", "--debug"}, extra...)
		}
		want := te.run(command("--private-key", keyFile)...).mustOK(t).stdout

		for i, form := range keytext.Forms(pemText) {
			secret := testenv.Unique("cfsign-leak")
			param := "/" + testenv.Unique("cfsign-leak") + "/key"
			if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: sdkaws.String(secret), SecretString: sdkaws.String(form.Value)}); err != nil {
				t.Fatal(err)
			}
			if _, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Overwrite: sdkaws.Bool(true), Name: sdkaws.String(param), Value: sdkaws.String(form.Value),
				Type: ssmtypes.ParameterTypeSecureString, Tier: ssmtypes.ParameterTierAdvanced}); err != nil {
				t.Fatal(err)
			}
			for _, entry := range []struct {
				name  string
				setup func(te *testEnv) []string // extra arguments
			}{
				{"--private-key", func(*testEnv) []string { return []string{"--private-key", form.Value} }},
				{"CFSIGN_PRIVATE_KEY", func(te *testEnv) []string { te.set("CFSIGN_PRIVATE_KEY", form.Value); return nil }},
				{"config.toml", func(te *testEnv) []string {
					var b bytes.Buffer
					if err := toml.NewEncoder(&b).Encode(map[string]string{"private_key": form.Value}); err != nil {
						t.Fatal(err)
					}
					path := filepath.Join(te.vars["HOME"], "config.toml")
					if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
						t.Fatal(err)
					}
					te.set("CFSIGN_CONFIG", path)
					return nil
				}},
				{"secretsmanager:", func(*testEnv) []string { return []string{"--private-key", "secretsmanager:" + secret} }},
				{"ssm:", func(*testEnv) []string { return []string{"--private-key", "ssm:" + param} }},
			} {
				te := awsTestEnv(t, moto)
				debugLog := filepath.Join(te.vars["HOME"], "debug.log")
				te.set("CFSIGN_DEBUG", debugLog)
				r := te.run(command(entry.setup(te)...)...)
				logText, _ := os.ReadFile(debugLog)
				name := fixture + " " + form.Name + " via " + entry.name
				for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "the debug log": string(logText)} {
					if what == "stdout" && r.code == 0 {
						continue // the URL or public key asked for
					}
					if leak := keytext.Leak(out, pemText, form.Value); leak != "" {
						t.Errorf("%s: %s holds %q of the key:\n%s", name, what, leak, out)
					}
				}
				switch {
				case form.Want == keytext.Accept && r.code != 0:
					t.Errorf("%s: refused: %s", name, r.stderr)
				case form.Want == keytext.Accept && r.stdout != want:
					t.Errorf("%s: got %q, want %q (the PEM file's)", name, r.stdout, want)
				case form.Want == keytext.Refuse && r.code == 0:
					t.Errorf("%s: a damaged key was accepted", name)
				case r.code != 0 && !strings.Contains(r.stderr, strings.TrimSuffix(entry.name, ":")) && !strings.Contains(r.stderr, secret) && !strings.Contains(r.stderr, param):
					t.Errorf("%s: the error does not say where the key came from: %s", name, r.stderr)
				}
			}
			if t.Failed() && i > 2 {
				return // one broken form is enough to read
			}
		}
	}
}
