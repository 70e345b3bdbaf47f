package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/cli"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"
)

// cfsignRun runs the real command line with vars as its environment and
// returns stdout, stderr and the exit code; with app set, the terminal app
// is app, handed what the command line resolved.
func cfsignRun(t *testing.T, vars map[string]string, runApp func(cli.AppStart) error, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}
	if runApp != nil {
		env.RunApp = func(_ context.Context, start cli.AppStart) error { return runApp(start) }
	}
	code := cli.Main(context.Background(), args, env)
	return out.String(), errb.String(), code
}

// appSign signs key in bucket through the app's sign view, as the app
// started with args would, and returns the URL or the error it shows.
func appSign(t *testing.T, vars map[string]string, bucket, key, expires string, args ...string) (string, string) {
	t.Helper()
	var url, shown string
	_, stderr, code := cfsignRun(t, vars, func(start cli.AppStart) error {
		deps := Deps{Settings: start.Settings, Signers: SessionSigners{start.Session}, Sandbox: start.Session.OnSandbox()}
		v := newSignView(deps, NewStyles(), bucket, []string{key})
		v.preset = customPreset
		v.custom.SetValue(expires)
		for _, m := range vtRun(v.sign()) {
			v.Update(m)
		}
		if len(v.result) == 1 {
			url = v.result[0].url
		}
		_, optErr := v.options(v.now())
		shown = v.err
		if optErr != nil {
			shown = optErr.Error()
		}
		return nil
	}, args...)
	if code != 0 {
		t.Fatalf("the app did not start: %s", stderr)
	}
	return url, shown
}

// The same object signed through the command line and through the app
// gives the same URL, however its settings are layered: the top level, a
// bucket section with and without its own origin path, the environment,
// flags, and a KMS key with and without a hash setting (which both refuse
// alike when it is sha1).
func TestSignSameURLFromCLIAndApp(t *testing.T) {
	keyFile, err := filepath.Abs(filepath.Join("..", "testdata", "keys", "rsa2048-pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	const top = "domain = \"d1.example.com\"\norigin_path = \"/pub\"\nkey_pair_id = \"KTOPLEVEL00001\"\nprivate_key = %q\n"
	kmsARN := func() string {
		moto := testenv.Moto(t)
		t.Setenv("AWS_ACCESS_KEY_ID", "testing")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
		t.Setenv("AWS_REGION", "us-east-1")
		k, err := aws.CreateKMSKey(context.Background(), aws.KMSRSA, "", "layering test",
			aws.KeySourceOptions{KMSEndpointURL: moto, ClientOptions: aws.ClientOptions{Region: "us-east-1"}})
		if err != nil {
			t.Fatal(err)
		}
		return k.ARN()
	}
	for _, tc := range []struct {
		name    string
		config  string
		env     map[string]string
		appArgs []string // the app's command line (it opens bucket media)
		cliArgs []string // more for 'cfsign sign'
		kms     bool
		want    string // the URL's start, or the refusal both give
	}{
		{name: "top level only", config: top,
			want: "https://d1.example.com/a.txt?"},
		{name: "a bucket section with its own domain and no origin path", config: top + "[buckets.media]\ndomain = \"d2.example.com\"\n",
			want: "https://d2.example.com/pub/a.txt?"},
		{name: "a bucket section with its own domain and origin path", config: top + "[buckets.media]\ndomain = \"d2.example.com\"\norigin_path = \"/pub\"\n",
			want: "https://d2.example.com/a.txt?"},
		{name: "a bucket section with an origin path only", config: top + "[buckets.media]\norigin_path = \"/\"\n",
			want: "https://d1.example.com/pub/a.txt?"},
		{name: "the environment", config: top + "[buckets.media]\ndomain = \"d2.example.com\"\n", env: map[string]string{"CFSIGN_DOMAIN": "d3.example.com", "CFSIGN_KEY_PAIR_ID": "KENVIRON00001"},
			want: "https://d3.example.com/pub/a.txt?"},
		{name: "flags", config: top + "[buckets.media]\ndomain = \"d2.example.com\"\n", appArgs: []string{"--bucket", "media", "--region", "eu-west-1"}, cliArgs: []string{"--region", "eu-west-1"},
			want: "https://d2.example.com/pub/a.txt?"},
		{name: "a KMS key", config: top, kms: true,
			want: "https://d1.example.com/a.txt?"},
		{name: "a KMS key with hash sha256", config: top + "hash = \"sha256\"\n", kms: true,
			want: "https://d1.example.com/a.txt?"},
		{name: "a KMS key with hash sha1", config: top + "hash = \"sha1\"\n", kms: true,
			want: app.ErrKMSSHA1.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			vars := map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
				"AWS_PROFILE": "test"} // an account: not the sandbox
			for k, v := range tc.env {
				vars[k] = v
			}
			key := keyFile
			if tc.kms {
				key = "kms:" + kmsARN()
				vars["AWS_ENDPOINT_URL_KMS"] = testenv.Moto(t)
				delete(vars, "AWS_PROFILE")
				vars["AWS_ACCESS_KEY_ID"] = "testing"
			}
			cfg := filepath.Join(dir, "config", "cfsign", "config.toml")
			os.MkdirAll(filepath.Dir(cfg), 0o700)
			body := strings.Replace(tc.config, "%q", `"`+key+`"`, 1)
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"sign", "s3://media/pub/a.txt", "--expires", "2099-01-01"}, tc.cliArgs...)
			cliURL, cliErr, code := cfsignRun(t, vars, nil, args...)
			appArgs := tc.appArgs
			if appArgs == nil {
				appArgs = []string{"s3://media/"}
			}
			appURL, appErr := appSign(t, vars, "media", "pub/a.txt", "2099-01-01", appArgs...)
			if !strings.HasPrefix(tc.want, "https://") {
				if code == 0 || !strings.Contains(cliErr, tc.want) || !strings.Contains(appErr, tc.want) {
					t.Fatalf("want both to refuse with %q:\ncli (exit %d): %s\napp: %s", tc.want, code, cliErr, appErr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("cli: exit %d: %s", code, cliErr)
			}
			cliURL = strings.TrimSpace(cliURL)
			if !strings.HasPrefix(cliURL, tc.want) || appURL != cliURL {
				t.Fatalf("\ncli: %s\napp: %s (%s)\nwant both %s...", cliURL, appURL, appErr, tc.want)
			}
			if tc.kms != strings.Contains(cliURL, "Hash-Algorithm=SHA256") {
				t.Errorf("hash: %s", cliURL)
			}
		})
	}
}
