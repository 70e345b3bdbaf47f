package cli

// Tests of issue 13: cfsign reports only what happened, and never a secret.

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leaks returns the first 16-byte window of secret found in out, if any.
func leaks(out, secret string) string {
	for i := 0; i+16 <= len(secret); i += 8 {
		if w := secret[i : i+16]; strings.Contains(out, w) {
			return w
		}
	}
	return ""
}

// A private key given as base64-encoded PEM or as a PEM body without its
// BEGIN/END lines, through the flag, the environment or the config file,
// is used as key text; a broken one fails with one line that names where
// it came from and never repeats it, not even with --debug after the
// command.
func TestSecretKeyTextNeverEchoed(t *testing.T) {
	rsaKey, ecKey := testKeys(t)
	pemRSA, _ := os.ReadFile(rsaKey)
	pemEC, _ := os.ReadFile(ecKey)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	body := func(p []byte) string { // the PEM body without BEGIN/END lines
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
			if !strings.HasPrefix(l, "-----") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	values := []struct {
		name, value string
		ok          bool
	}{
		{"base64 PEM rsa", b64(pemRSA), true},
		{"base64 PEM ecdsa", b64(pemEC), true},
		{"PEM body rsa", body(pemRSA), true},
		{"PEM body one line", strings.ReplaceAll(body(pemEC), "\n", ""), true},
		{"base64 of half a PEM", b64(pemRSA[:len(pemRSA)/2]), false},
		{"PEM body cut short", body(pemRSA)[:300], false},
		{"base64 of the public key", b64([]byte(strings.Replace(string(pemRSA), "PRIVATE", "PUBLIC", -1))), false},
	}
	sign := []string{"sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", keyPairID}
	for _, v := range values {
		for _, src := range []string{"--private-key", "CFSIGN_PRIVATE_KEY", "config.toml"} {
			t.Run(v.name+"/"+src, func(t *testing.T) {
				te := newTestEnv(t)
				args := append([]string{}, sign...)
				switch src {
				case "--private-key":
					args = append(args, "--private-key", v.value)
				case "CFSIGN_PRIVATE_KEY":
					te.set("CFSIGN_PRIVATE_KEY", v.value)
				default:
					cfg := filepath.Join(t.TempDir(), "config.toml")
					os.WriteFile(cfg, []byte("private_key = '''"+v.value+"'''\n"), 0o600)
					te.set("CFSIGN_CONFIG", cfg)
				}
				args = append(args, "--debug")
				r := te.run(args...)
				if w := leaks(r.stdout+r.stderr, v.value); w != "" {
					t.Errorf("output repeats the key text (%q):\nstdout %q\nstderr %q", w, r.stdout, r.stderr)
				}
				if v.ok {
					r.mustOK(t)
					if !strings.Contains(r.stdout, "Signature=") {
						t.Errorf("no signed URL: %q", r.stdout)
					}
					return
				}
				if r.code != ExitError || r.stdout != "" {
					t.Errorf("exit %d stdout %q, want 1 and nothing", r.code, r.stdout)
				}
				var errLines []string
				for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
					if !strings.HasPrefix(l, "cfsign debug:") {
						errLines = append(errLines, l)
					}
				}
				if len(errLines) != 1 || !strings.Contains(errLines[0], src) {
					t.Errorf("want one line naming %s, got %q", src, errLines)
				}
			})
		}
	}
}

// --debug after the command opens the debug log, as before it (the README
// says global flags go before or after), and the log shows an endpoint
// with its user:password redacted.
func TestDebugFlagAfterCommandAndURLUserinfo(t *testing.T) {
	rsaKey, _ := testKeys(t)
	te := newTestEnv(t)
	r := te.run("sign", "https://d1.cloudfront.net/a.txt", "--expires", "1h", "--key-pair-id", keyPairID,
		"--private-key", rsaKey, "--debug").mustOK(t)
	if !strings.Contains(r.stderr, "cfsign debug: ") || !strings.Contains(r.stderr, "command sign") {
		t.Errorf("--debug after the command wrote no log: %q", r.stderr)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	for _, args := range [][]string{
		{"--debug", "ls", "s3://b/", "--endpoint-url", "http://user:SECRETPASS@127.0.0.1:1", "--timeout", "2s"},
		{"ls", "s3://b/", "--endpoint-url", "http://user:SECRETPASS@127.0.0.1:1", "--timeout", "2s", "--debug"},
	} {
		r = te.run(args...)
		if r.code != ExitError {
			t.Errorf("%q: exit %d", args, r.code)
		}
		if !strings.Contains(r.stderr, "endpoint=") {
			t.Errorf("%q: the debug log does not show the endpoint: %q", args, r.stderr)
		}
		if strings.Contains(r.stderr, "SECRETPASS") {
			t.Errorf("%q: the password reached stderr: %q", args, r.stderr)
		}
	}
}
