package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/testenv"
)

// keys register and distributions against moto's CloudFront: registering the
// same key twice gives one ID, --key-group creates the group, and the table
// shows a distribution's domain, origin bucket and trusted group by name.
func TestKeysRegisterAndDistributionsOnMoto(t *testing.T) {
	moto := testenv.Moto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	te := newTestEnv(t).set("CFSIGN_CLOUDFRONT_ENDPOINT_URL", moto)
	dir := t.TempDir()
	te.run("keys", "generate", "--dir", dir).mustOK(t)
	group := strings.ToLower(relStamp("grp"))

	r := te.run("keys", "register", "--private-key", dir+"/private_key.pem", "--key-group", group).mustOK(t)
	id := strings.TrimSpace(r.stdout)
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("register printed %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "created key group "+group) {
		t.Errorf("stderr %q does not say the group was created", r.stderr)
	}
	r = te.run("keys", "register", "--public-key", dir+"/public_key.pem").mustOK(t)
	if got := strings.TrimSpace(r.stdout); got != id || !strings.Contains(r.stderr, "already registered") {
		t.Fatalf("second register: %q %q, want the same ID %s", got, r.stderr, id)
	}

	cf, err := aws.NewCloudFront(context.Background(), aws.CloudFrontOptions{
		ClientOptions: aws.ClientOptions{Region: "us-east-1"}, CloudFrontEndpointURL: moto})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := cf.ListKeyGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	groupID := ""
	for _, g := range groups {
		if g.Name == group {
			groupID = g.ID
		}
	}
	if groupID == "" {
		t.Fatalf("group %s not on moto: %+v", group, groups)
	}
	bucket := strings.ToLower(relStamp("media"))
	d, err := cf.CreateDistribution(context.Background(), aws.DistributionRequest{Bucket: bucket, Region: "us-east-1", KeyGroupID: groupID})
	if err != nil {
		t.Fatal(err)
	}
	r = te.run("distributions").mustOK(t)
	for _, want := range []string{d.ID, d.DomainName, bucket, group} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("distributions output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// distributions create, against moto's CloudFront and S3: it asks first, a
// "no" creates nothing; --yes creates the distribution for the key group and
// merges the read statement into the bucket policy, keeping what was there.
func TestDistributionsCreateOnMoto(t *testing.T) {
	moto := testenv.Moto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	te := newTestEnv(t).set("CFSIGN_CLOUDFRONT_ENDPOINT_URL", moto).set("CFSIGN_ENDPOINT_URL", moto)
	dir := t.TempDir()
	te.run("keys", "generate", "--dir", dir).mustOK(t)
	group := strings.ToLower(relStamp("cgrp"))
	te.run("keys", "register", "--private-key", dir+"/private_key.pem", "--key-group", group).mustOK(t)
	_, bucket := relMotoBucket(t, moto)
	existing := `{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	req, _ := http.NewRequest(http.MethodPut, moto+"/"+bucket+"?policy", strings.NewReader(existing))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode >= 300 {
		t.Fatalf("put policy: %v %v", resp, err)
	}

	te.in = "n\n"
	r := te.run("distributions", "create", "--bucket", bucket, "--key-group", group)
	if r.code != ExitError || !strings.Contains(r.stderr, "Continue? [y/N]") || !strings.Contains(r.stderr, "nothing created") || r.stdout != "" {
		t.Fatalf("answer n: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := te.run("distributions").mustOK(t); strings.Contains(r.stdout, bucket) {
		t.Fatalf("answering n created a distribution:\n%s", r.stdout)
	}
	te.in = ""
	r = te.run("distributions", "create", "--bucket", bucket, "--key-group", group, "--yes").mustOK(t)
	domain := strings.TrimSpace(r.stdout)
	if !strings.Contains(domain, ".") || !strings.Contains(r.stderr, "now lets it read") {
		t.Fatalf("create: stdout %q stderr %q", r.stdout, r.stderr)
	}
	resp, err := http.Get(moto + "/" + bucket + "?policy")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"Keep"`) || !strings.Contains(string(body), "cloudfront.amazonaws.com") {
		t.Fatalf("bucket policy after create: %s", body)
	}
	r = te.run("distributions").mustOK(t)
	if !strings.Contains(r.stdout, domain) || !strings.Contains(r.stdout, group) {
		t.Fatalf("new distribution not listed with its group:\n%s", r.stdout)
	}
	te.run("distributions", "create", "--bucket", bucket, "--key-group", "no-such-group", "--yes").
		oneLineError(t, ExitError, "no key group")
}

// With --sandbox, the CloudFront commands talk to the sandbox's CloudFront
// API: a new key registered into the trusted key group signs links the edge
// serves; distributions lists the sandbox's one; doctor checks it.
func TestSandboxCloudFrontCommands(t *testing.T) {
	te := newTestEnv(t).withSandbox()
	sb := testenv.Sandbox(t)
	src := filepath.Join(t.TempDir(), "cf.txt")
	os.WriteFile(src, []byte("via a new key\n"), 0o600)
	te.run("--sandbox", "upload", src, "s3://sandbox/cfcmd/").mustOK(t)

	keyDir := t.TempDir()
	te.run("keys", "generate", "--dir", keyDir).mustOK(t)
	priv := filepath.Join(keyDir, "private_key.pem")
	r := te.run("--sandbox", "keys", "register", "--private-key", priv, "--key-group", "cfsign-sandbox").mustOK(t)
	id := regexp.MustCompile(`\bK[A-Z0-9]{13}\b`).FindString(r.stdout)
	if id == "" || id == sb.KeyPairID {
		t.Fatalf("keys register printed no new key pair ID: %q %q", r.stdout, r.stderr)
	}
	r = te.run("--sandbox", "sign", "s3://sandbox/cfcmd/cf.txt", "--key-pair-id", id, "--private-key", priv, "--expires", "5m").mustOK(t)
	resp, err := http.Get(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a link signed with the newly registered key: %d", resp.StatusCode)
	}

	r = te.run("--sandbox", "distributions").mustOK(t)
	if !strings.Contains(r.stdout, sb.DistributionID) {
		t.Errorf("distributions: %q", r.stdout)
	}
	r = te.run("--sandbox", "doctor", "s3://sandbox/cfcmd/cf.txt", "--distribution").mustOK(t)
	if !strings.Contains(r.stdout, "distribution "+sb.DistributionID) || !strings.Contains(r.stdout, "200") {
		t.Errorf("doctor: %q", r.stdout)
	}
}
