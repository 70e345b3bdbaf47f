package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/cfsign/cfsign/aws"
)

// keys register and distributions against moto's CloudFront: registering the
// same key twice gives one ID, --key-group creates the group, and the table
// shows a distribution's domain, origin bucket and trusted group by name.
func TestKeysRegisterAndDistributionsOnMoto(t *testing.T) {
	moto := relMoto(t)
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
