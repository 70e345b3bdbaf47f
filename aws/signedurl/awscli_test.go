package signedurl

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The AWS CLI v1 (`aws cloudfront sign`) and openssl are independent
// implementations: our output must agree with them. They run only when
// installed, and under CI their absence is a failure.

// cliExpires is a fixed expiry: the CLI does not refuse past dates, and a
// fixed value keeps the golden file stable.
var cliExpires = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// cliSlots bounds concurrent CLI runs: each is a Python start-up, and the
// machine is shared.
var cliSlots = make(chan struct{}, 3)

func awsCLISign(t *testing.T, keyFile, u string, extra ...string) string {
	t.Helper()
	aws := needTool(t, "aws")
	cliSlots <- struct{}{}
	defer func() { <-cliSlots }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"cloudfront", "sign", "--url", u, "--key-pair-id", testKeyID,
		"--private-key", "file://" + keyFile, "--date-less-than", strconv.FormatInt(cliExpires.Unix(), 10)}, extra...)
	cmd := exec.CommandContext(ctx, aws, args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_DEFAULT_REGION=us-east-1", "AWS_PROFILE=", "AWS_PAGER=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws cloudfront sign %s: %v: %s", u, err, stderr.Bytes())
	}
	return string(out)
}

// awkwardKeys are object keys that have tripped up signers: each goes through
// ObjectURL, then both signers.
var awkwardKeys = []string{
	"plain.txt",
	"dir/with space.txt",
	"ünïcødé/日本語.pdf",
	"a+b.txt",
	"100%.txt",
	"a&b=c.txt",
	"what?now.txt",
	"emoji 🎉 #1.png",
	"tilde~and..dots/(paren)'quote'!*.txt",
}

// awkwardURLs are URLs with query strings of their own.
var awkwardURLs = []string{
	"https://d111111abcdef8.cloudfront.net/q.txt?response-content-disposition=attachment%3B%20filename%3D%22x.txt%22",
	"https://d111111abcdef8.cloudfront.net/q.txt?a=1&b=2&a=3",
	"http://127.0.0.1:8080/x%20y?v",
}

func awkwardTargets(t *testing.T) []string {
	var urls []string
	for _, k := range awkwardKeys {
		u, err := ObjectURL("d111111abcdef8.cloudfront.net", "", k)
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	return append(urls, awkwardURLs...)
}

func TestAWSCLICannedByteEqual(t *testing.T) {
	needTool(t, "aws")
	key := testRSA(t)
	keyFile := writeRSAPKCS1(t, t.TempDir(), key)
	s := mustSigner(t, key, SHA1)
	for i, u := range awkwardTargets(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			want := awsCLISign(t, keyFile, u)
			got, err := s.SignURL(u, PolicyOptions{Expires: cliExpires}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("URL %s\n ours: %s\n  aws: %s", u, got, want)
			}
		})
	}
}

func TestAWSCLICustomPolicy(t *testing.T) {
	needTool(t, "aws")
	key := testRSA(t)
	keyFile := writeRSAPKCS1(t, t.TempDir(), key)
	s := mustSigner(t, key, SHA1)
	starts := time.Date(2029, 12, 1, 0, 0, 0, 0, time.UTC)
	u1, _ := ObjectURL("d111111abcdef8.cloudfront.net", "", "dir/my file+1.txt")
	tests := []struct {
		url  string
		opts PolicyOptions
		args []string
		ip   string
	}{
		{u1, PolicyOptions{Expires: cliExpires, Starts: starts, IP: "192.0.2.0/24"},
			[]string{"--date-greater-than", strconv.FormatInt(starts.Unix(), 10), "--ip-address", "192.0.2.0/24"}, "192.0.2.77"},
		{u1 + "?v=2", PolicyOptions{Expires: cliExpires, IP: "203.0.113.7"},
			[]string{"--ip-address", "203.0.113.7"}, "203.0.113.7"},
		{"https://d111111abcdef8.cloudfront.net/a?b=c", PolicyOptions{Expires: cliExpires, Starts: starts},
			[]string{"--date-greater-than", strconv.FormatInt(starts.Unix(), 10)}, ""},
	}
	keys := PublicKeys{testKeyID: key.Public()}
	for i, tt := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			theirs := awsCLISign(t, keyFile, tt.url, tt.args...)
			ours, err := s.SignURL(tt.url, tt.opts, testNow)
			if err != nil {
				t.Fatal(err)
			}
			var pt, po any
			if err := json.Unmarshal([]byte(mustDecode(t, queryParam(theirs, "Policy"))), &pt); err != nil {
				t.Fatalf("CLI policy: %v", err)
			}
			if err := json.Unmarshal([]byte(mustDecode(t, queryParam(ours, "Policy"))), &po); err != nil {
				t.Fatalf("our policy: %v", err)
			}
			if !reflect.DeepEqual(pt, po) {
				t.Errorf("policies differ\n ours: %v\n  aws: %v", po, pt)
			}
			req := VerifyRequest{At: starts.Add(time.Hour)}
			if tt.ip != "" {
				req.ClientIP = netip.MustParseAddr(tt.ip)
			}
			for who, signed := range map[string]string{"ours": ours, "aws": theirs} {
				req.URL = signed
				if v := Verify(req, keys); !v.OK {
					t.Errorf("%s does not verify: %s: %s", who, v.Check, v.Detail)
				}
			}
		})
	}
}

// testdata/sign/awscli_canned.txt holds URL<TAB>signed-URL lines made by
// `aws cloudfront sign` with testdata/sign/rsa2048_pkcs1.pem, key pair ID
// K2JCJMDEHXQW5F and --date-less-than 1893456000, so the byte-for-byte check
// also runs where the CLI is not installed. Regenerate with:
//
//	while read u; do printf '%s\t%s\n' "$u" "$(aws cloudfront sign --url "$u" ...)"; done
func TestAWSCLIGolden(t *testing.T) {
	pemBytes, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sign", "rsa2048_pkcs1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemBytes)
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	s := mustSigner(t, key, SHA1)
	f, err := os.Open(filepath.Join("..", "..", "testdata", "sign", "awscli_canned.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		u, want, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		got, err := s.SignURL(u, PolicyOptions{Expires: cliExpires}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("URL %s\n ours: %s\n  aws: %s", u, got, want)
		}
		if v := Verify(VerifyRequest{URL: want, At: testNow}, PublicKeys{testKeyID: key.Public()}); !v.OK {
			t.Errorf("CLI URL %s does not verify: %s", want, v.Detail)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("golden file has %d lines, want at least 10", n)
	}
}

func TestOpenSSLVerifiesSignatures(t *testing.T) {
	openssl := needTool(t, "openssl")
	keys := []struct {
		name string
		key  crypto.Signer
	}{{"rsa", testRSA(t)}, {"ecdsa", testEC(t)}}
	for _, k := range keys {
		for _, h := range []Hash{SHA1, SHA256} {
			for _, custom := range []bool{false, true} {
				name := fmt.Sprintf("%s-%s-custom=%v", k.name, h, custom)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					pub := writePublic(t, dir, k.key.Public())
					s := mustSigner(t, k.key, h)
					opts := PolicyOptions{Expires: testExpires}
					if custom {
						opts.IP, opts.Resource = "10.0.0.0/8", "https://d1.cloudfront.net/*"
					}
					signed, err := s.SignURL("https://d1.cloudfront.net/a%20b.txt?x=1", opts, testNow)
					if err != nil {
						t.Fatal(err)
					}
					sp, err := ParseSigned(signed)
					if err != nil {
						t.Fatal(err)
					}
					sig, err := decodeBase64(sp.Signature)
					if err != nil {
						t.Fatal(err)
					}
					policy, sigFile := filepath.Join(dir, "policy.json"), filepath.Join(dir, "sig.bin")
					if err := os.WriteFile(sigFile, sig, 0o600); err != nil {
						t.Fatal(err)
					}
					run := func(policyJSON string) (string, error) {
						if err := os.WriteFile(policy, []byte(policyJSON), 0o600); err != nil {
							t.Fatal(err)
						}
						out, err := exec.Command(openssl, "dgst", "-"+string(h), "-verify", pub, "-signature", sigFile, policy).CombinedOutput()
						return string(out), err
					}
					if out, err := run(sp.Policy); err != nil || !strings.Contains(out, "Verified OK") {
						t.Errorf("openssl rejects our signature over %s: %v: %s", sp.Policy, err, out)
					}
					// The check can fail: one changed byte and openssl refuses.
					if out, err := run(strings.Replace(sp.Policy, "Statement", "Statemenu", 1)); err == nil {
						t.Errorf("openssl accepted a tampered policy: %s", out)
					}
				})
			}
		}
	}
}
