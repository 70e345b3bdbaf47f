package sandbox

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/keys"
)

// cfClients are cfsign's CloudFront client and the SDK's, both on the
// sandbox's CloudFront API with its credentials.
func cfClients(t *testing.T, sb *Sandbox) (*aws.CloudFront, *cloudfront.Client) {
	t.Helper()
	opts := aws.CloudFrontOptions{
		ClientOptions:         aws.ClientOptions{Region: sb.Region, EndpointURL: sb.S3Endpoint, AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
		CloudFrontEndpointURL: sb.CloudFrontEndpoint,
	}
	c, err := aws.NewCloudFront(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	raw := cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		BaseEndpoint: sdkaws.String(sb.CloudFrontEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, ""),
	})
	return c, raw
}

// cfNewKey makes a key pair in a temp dir: its signer and public PEM.
func cfNewKey(t *testing.T, typ keys.Type) (keys.Pair, []byte) {
	t.Helper()
	pair, err := keys.GenerateFiles(t.TempDir(), typ, false)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(pair.PublicPath)
	if err != nil {
		t.Fatal(err)
	}
	return pair, pub
}

// cfEdgeStatus signs key's URL on the edge with the key pair and requests it.
func cfEdgeStatus(t *testing.T, sb *Sandbox, keyPairID, privPath, key string) int {
	t.Helper()
	priv, _, err := keys.LoadPrivate(privPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signedurl.NewSigner(keyPairID, priv, signedurl.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.SignURL(sb.EdgeURL+"/"+key, signedurl.PolicyOptions{Expires: time.Now().Add(time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cfTrusts reports whether the sandbox's distribution trusts key pair ID
// id, as its CloudFront API says.
func cfTrusts(t *testing.T, sb *Sandbox, id string) bool {
	t.Helper()
	cf, _ := cfClients(t, sb)
	dists, err := cf.ListDistributions(context.Background())
	if err != nil || len(dists) != 1 {
		t.Fatalf("distributions %+v %v", dists, err)
	}
	return len(dists[0].KeyGroupsTrusting(id)) > 0
}

func cfCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// The setup flow end to end on the sandbox, through cfsign's own CloudFront
// client: the distribution trusts the sandbox's key group; a new key is
// refused at the edge until it is registered and added to that group, and
// served at once after; CloudFront's limits and errors hold.
func TestCloudFrontAPISetupFlow(t *testing.T) {
	sb, _ := sbStart(t)
	sbPut(t, sbClient(sb), sb.Bucket, "doc.txt", []byte("doc"), "text/plain")
	cf, raw := cfClients(t, sb)
	ctx := context.Background()

	pubs, err := cf.ListPublicKeys(ctx)
	if err != nil || len(pubs) != 1 || pubs[0].ID != sb.KeyPairID {
		t.Fatalf("public keys %+v %v, want the sandbox's %s", pubs, err, sb.KeyPairID)
	}
	dists, err := cf.ListDistributions(ctx)
	if err != nil || len(dists) != 1 {
		t.Fatalf("distributions %+v %v", dists, err)
	}
	d := dists[0]
	if d.ID != sb.DistributionID || "http://"+d.DomainName != sb.EdgeURL || len(d.KeyGroupsTrusting(sb.KeyPairID)) != 1 {
		t.Fatalf("distribution %+v", d)
	}
	if warns := aws.CheckDistribution(d, sb.KeyPairID, sb.Bucket); len(warns) != 0 {
		t.Errorf("the sandbox distribution has warnings: %q", warns)
	}
	groups, err := cf.ListKeyGroups(ctx)
	if err != nil || len(groups) != 1 || groups[0].Name != "cfsign-sandbox" || !groups[0].Has(sb.KeyPairID) {
		t.Fatalf("key groups %+v %v", groups, err)
	}
	groupID := groups[0].ID

	pair, pubPEM := cfNewKey(t, keys.RSA)
	id, existed, err := cf.RegisterPublicKey(ctx, pubPEM, "")
	if err != nil || existed || !strings.HasPrefix(id, "K") {
		t.Fatalf("register: %s %v %v", id, existed, err)
	}
	if again, existed, err := cf.RegisterPublicKey(ctx, pubPEM, ""); err != nil || !existed || again != id {
		t.Fatalf("registering the same key again: %s %v %v, want %s existed", again, existed, err, id)
	}
	if got := cfEdgeStatus(t, sb, id, pair.PrivatePath, "doc.txt"); got != 403 {
		t.Fatalf("edge before the key is in a trusted group: %d, want 403", got)
	}
	if _, changed, err := cf.AddKeyToGroup(ctx, groupID, id); err != nil || !changed {
		t.Fatalf("add to group: %v %v", changed, err)
	}
	if got := cfEdgeStatus(t, sb, id, pair.PrivatePath, "doc.txt"); got != 200 {
		t.Fatalf("edge right after UpdateKeyGroup: %d, want 200", got)
	}
	if got := cfEdgeStatus(t, sb, sb.KeyPairID, sb.PrivateKeyPath, "doc.txt"); got != 200 {
		t.Fatalf("the sandbox's own key after the update: %d", got)
	}

	// A key in a group cannot be deleted; the group then cannot hold a 6th key.
	got, err := raw.GetPublicKey(ctx, &cloudfront.GetPublicKeyInput{Id: &id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: &id, IfMatch: got.ETag}); cfCode(err) != "PublicKeyInUse" {
		t.Errorf("deleting a key in use: %v", err)
	}
	for range 3 {
		_, p := cfNewKey(t, keys.ECDSA)
		kid, _, err := cf.RegisterPublicKey(ctx, p, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := cf.AddKeyToGroup(ctx, groupID, kid); err != nil {
			t.Fatalf("filling the group: %v", err)
		}
	}
	_, p := cfNewKey(t, keys.RSA)
	sixth, _, err := cf.RegisterPublicKey(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cf.AddKeyToGroup(ctx, groupID, sixth); !errors.Is(err, aws.ErrKeyGroupFull) {
		t.Errorf("a 6th key: %v, want ErrKeyGroupFull", err)
	}

	// ETags: a stale If-Match is refused, a missing one too.
	g, err := raw.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: &groupID})
	if err != nil {
		t.Fatal(err)
	}
	cfg := g.KeyGroup.KeyGroupConfig
	if _, err := raw.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{Id: &groupID, IfMatch: sdkaws.String("ESTALE"), KeyGroupConfig: cfg}); cfCode(err) != "PreconditionFailed" {
		t.Errorf("stale If-Match: %v", err)
	}
	if _, err := raw.DeleteKeyGroup(ctx, &cloudfront.DeleteKeyGroupInput{Id: &groupID, IfMatch: g.ETag}); cfCode(err) != "ResourceInUse" {
		t.Errorf("deleting the trusted group: %v", err)
	}
	// Removing the new key from the group: the edge refuses it at once.
	cfg.Items = []string{sb.KeyPairID}
	if _, err := raw.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{Id: &groupID, IfMatch: g.ETag, KeyGroupConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	if got := cfEdgeStatus(t, sb, id, pair.PrivatePath, "doc.txt"); got != 403 {
		t.Errorf("edge after the key left the group: %d, want 403", got)
	}
	if _, err := raw.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: &id, IfMatch: got.ETag}); err != nil {
		t.Errorf("deleting the key once out of the group: %v", err)
	}
	if _, err := raw.GetPublicKey(ctx, &cloudfront.GetPublicKeyInput{Id: &id}); cfCode(err) != "NoSuchPublicKey" {
		t.Errorf("the deleted key: %v", err)
	}
	// Other groups: created, listed, refused past 5 keys, deleted.
	made, err := cf.CreateKeyGroup(ctx, "second-group", sixth)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateKeyGroup(ctx, "second-group", sixth); err == nil {
		t.Error("a second group with the same name was created")
	}
	mg, _ := raw.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: &made.ID})
	if _, err := raw.DeleteKeyGroup(ctx, &cloudfront.DeleteKeyGroupInput{Id: &made.ID, IfMatch: mg.ETag}); err != nil {
		t.Errorf("deleting an untrusted group: %v", err)
	}
	if _, err := raw.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &cftypes.KeyGroupConfig{Name: sdkaws.String("too-many"),
		Items: []string{sb.KeyPairID, sixth, "K1", "K2", "K3", "K4"}}}); cfCode(err) != "TooManyPublicKeysInKeyGroup" {
		t.Errorf("a group of 6: %v", err)
	}
}

// The API wants the sandbox's credentials, like S3; and what it registers
// survives a restart on disk.
func TestCloudFrontAPIAuthAndRestart(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	status, body, _ := guardDo(t, http.MethodGet, sb.CloudFrontEndpoint+"/2020-05-31/public-key", nil, nil)
	if status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") || !strings.Contains(body, "<ErrorResponse") {
		t.Errorf("unsigned: %d %s", status, body)
	}
	cf, _ := cfClients(t, sb)
	_, pubPEM := cfNewKey(t, keys.ECDSA)
	id, _, err := cf.RegisterPublicKey(context.Background(), pubPEM, "kept")
	if err != nil {
		t.Fatal(err)
	}
	distID := sb.DistributionID
	sb.Close()

	sb, err = Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.DistributionID != distID {
		t.Errorf("distribution ID changed across a restart: %s, then %s", distID, sb.DistributionID)
	}
	cf, _ = cfClients(t, sb)
	pubs, err := cf.ListPublicKeys(context.Background())
	if err != nil || len(pubs) != 2 || pubs[1].ID != id || pubs[1].Name != "kept" {
		t.Errorf("after a restart: %+v %v", pubs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, cloudFrontFile)); err != nil {
		t.Error(err)
	}
}

// The AWS CLI (botocore, an independent client) against the API: list and
// create public keys with a real key, read the distribution's config.
func TestCloudFrontAPIAWSCLI(t *testing.T) {
	sb, _ := sbStart(t)
	run := sbAWSCLI(t, sb)
	ep := "--endpoint-url=" + sb.CloudFrontEndpoint
	out, err := run("cloudfront", "list-public-keys", ep)
	if err != nil || !strings.Contains(out, sb.KeyPairID) {
		t.Fatalf("list-public-keys: %v\n%s", err, out)
	}
	_, pubPEM := cfNewKey(t, keys.RSA)
	block, _ := pem.Decode(pubPEM)
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pemFile, pubPEM, 0o600)
	out, err = run("cloudfront", "create-public-key", ep, "--public-key-config",
		"CallerReference=cli-1,Name=from-the-cli,EncodedKey="+string(pubPEM)+",Comment=made by aws")
	if err != nil || !strings.Contains(out, `"Name": "from-the-cli"`) {
		t.Fatalf("create-public-key: %v\n%s", err, out)
	}
	out, err = run("cloudfront", "list-key-groups", ep)
	if err != nil || !strings.Contains(out, sb.KeyPairID) {
		t.Fatalf("list-key-groups: %v\n%s", err, out)
	}
	out, err = run("cloudfront", "get-distribution-config", "--id", sb.DistributionID, ep)
	if err != nil || !strings.Contains(out, `"TrustedKeyGroups"`) || !strings.Contains(out, `"ETag"`) {
		t.Fatalf("get-distribution-config: %v\n%s", err, out)
	}
	out, err = run("cloudfront", "list-distributions", ep)
	if err != nil || !strings.Contains(out, sb.DistributionID) {
		t.Fatalf("list-distributions: %v\n%s", err, out)
	}
}

// A key the user took out of the distribution's trust stays out across
// restarts: cloudfront.json is the truth once it exists, and the sandbox's
// own key is registered only when the state is created (or when the
// sandbox's key pair itself is new). A retired key once came back, trusted,
// on the next start.
func TestCloudFrontRetiredOwnKeyStaysRetired(t *testing.T) {
	ctx := context.Background()
	for _, del := range []bool{false, true} {
		name := "removed"
		if del {
			name = "deleted"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			sb, err := Start(ctx, Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			sbPut(t, sbClient(sb), sb.Bucket, "doc.txt", []byte("doc"), "text/plain")
			own, ownKey := sb.KeyPairID, sb.PrivateKeyPath
			cf, _ := cfClients(t, sb)
			groups, err := cf.ListKeyGroups(ctx)
			if err != nil || len(groups) != 1 {
				t.Fatalf("key groups %+v %v", groups, err)
			}
			pair, pubPEM := cfNewKey(t, keys.RSA)
			id, _, err := cf.RegisterPublicKey(ctx, pubPEM, "rotated")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := cf.AddKeyToGroup(ctx, groups[0].ID, id); err != nil {
				t.Fatal(err)
			}
			if _, _, err := cf.RemoveKeyFromGroup(ctx, groups[0].ID, own); err != nil {
				t.Fatal(err)
			}
			if del {
				if err := cf.DeletePublicKey(ctx, own); err != nil {
					t.Fatal(err)
				}
			}
			if got := cfEdgeStatus(t, sb, own, ownKey, "doc.txt"); got != 403 {
				t.Fatalf("retired key before the restart: %d, want 403", got)
			}
			sb.Close()

			sb, err = Start(ctx, Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			if sb.KeyPairID != own {
				t.Fatalf("the sandbox's key pair ID changed across a restart: %s, then %s", own, sb.KeyPairID)
			}
			cf, _ = cfClients(t, sb)
			pubs, err := cf.ListPublicKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range pubs {
				ids = append(ids, p.ID)
			}
			if want := 1 + map[bool]int{false: 1, true: 0}[del]; len(ids) != want || !slices.Contains(ids, id) || del == slices.Contains(ids, own) {
				t.Errorf("public keys after the restart: %v, want %d (the rotated %s%s)", ids, want, id, map[bool]string{false: " and the removed " + own, true: ""}[del])
			}
			groups, err = cf.ListKeyGroups(ctx)
			if err != nil || len(groups) != 1 || groups[0].Has(own) || !groups[0].Has(id) {
				t.Errorf("key groups after the restart: %+v %v, want only %s in %s", groups, err, id, sandboxGroupName)
			}
			if got := cfEdgeStatus(t, sb, own, ownKey, "doc.txt"); got != 403 {
				t.Errorf("retired key after the restart: %d, want 403", got)
			}
			if got := cfEdgeStatus(t, sb, id, pair.PrivatePath, "doc.txt"); got != 200 {
				t.Errorf("rotated key after the restart: %d, want 200", got)
			}
			if cfTrusts(t, sb, own) {
				t.Errorf("the distribution trusts the retired %s after the restart", own)
			}
		})
	}
}

// A fresh data directory trusts the sandbox's own key; so does a restart
// that kept it, a new key pair on an old state (its ID is new), and every
// start in memory mode (no state survives).
func TestCloudFrontOwnKeyTrusted(t *testing.T) {
	ctx := context.Background()
	for _, memory := range []bool{false, true} {
		dir := t.TempDir()
		start := func() *Sandbox {
			t.Helper()
			sb, err := Start(ctx, Options{DataDir: dir, Memory: memory})
			if err != nil {
				t.Fatal(err)
			}
			sbPut(t, sbClient(sb), sb.Bucket, "doc.txt", []byte("doc"), "text/plain")
			if got := cfEdgeStatus(t, sb, sb.KeyPairID, sb.PrivateKeyPath, "doc.txt"); got != 200 || !cfTrusts(t, sb, sb.KeyPairID) {
				t.Errorf("memory=%v: the sandbox's own key %s: %d (trusted %v), want 200", memory, sb.KeyPairID, got, cfTrusts(t, sb, sb.KeyPairID))
			}
			return sb
		}
		sb := start()
		first := sb.KeyPairID
		sb.Close()
		sb = start()
		sb.Close()
		if _, err := keys.GenerateFiles(filepath.Join(dir, keysDir), keys.RSA, true); err != nil {
			t.Fatal(err)
		}
		sb = start()
		if sb.KeyPairID == first {
			t.Errorf("a new key pair kept ID %s", first)
		}
		sb.Close()
	}
}

// A cloudfront.json from before own_key_id was recorded, whose own key the
// user deleted: the next start leaves it deleted.
func TestCloudFrontOldStateKeepsDeletion(t *testing.T) {
	dir := t.TempDir()
	sb, err := Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	own := sb.KeyPairID
	sb.Close()
	path := filepath.Join(dir, cloudFrontFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st cfState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	// As the old version wrote it, after a rotate and retire --delete.
	st.OwnKeyID, st.PublicKeys = "", nil
	st.KeyGroups[0].Items = []string{"KOTHERKEY00001"}
	b, _ = json.Marshal(st)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sb, err = Start(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if cfTrusts(t, sb, own) {
		t.Errorf("the deleted own key %s is trusted again", own)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"own_key_id": "`+own+`"`) {
		t.Errorf("cloudfront.json does not record the own key:\n%s", b)
	}
}

// The distribution as CloudFront describes one: a domain name without a
// scheme, the active trusted key groups with their key pair IDs; and
// UpdateDistribution, with CloudFront's ETag rules, moves the edge's trust
// from one key group to another at once.
func TestCloudFrontUpdateDistribution(t *testing.T) {
	sb, _ := sbStart(t)
	sbPut(t, sbClient(sb), sb.Bucket, "doc.txt", []byte("doc"), "text/plain")
	cf, raw := cfClients(t, sb)
	ctx := context.Background()

	got, err := raw.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: &sb.DistributionID})
	if err != nil {
		t.Fatal(err)
	}
	d := got.Distribution
	if host := strings.TrimPrefix(sb.EdgeURL, "http://"); sdkaws.ToString(d.DomainName) != host {
		t.Errorf("DomainName %q, want the bare host %q", sdkaws.ToString(d.DomainName), host)
	}
	atk := d.ActiveTrustedKeyGroups
	if atk == nil || !sdkaws.ToBool(atk.Enabled) || sdkaws.ToInt32(atk.Quantity) != 1 || len(atk.Items) != 1 ||
		!slices.Equal(atk.Items[0].KeyPairIds.Items, []string{sb.KeyPairID}) {
		t.Fatalf("ActiveTrustedKeyGroups %+v, want the sandbox's group with its key", atk)
	}
	oldGroup := sdkaws.ToString(atk.Items[0].KeyGroupId)

	// A second key in a group of its own; the distribution is moved to it.
	pair, pubPEM := cfNewKey(t, keys.RSA)
	id, _, err := cf.RegisterPublicKey(ctx, pubPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := cf.CreateKeyGroup(ctx, "moved-to", id)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := raw.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: &sb.DistributionID})
	if err != nil {
		t.Fatal(err)
	}
	dc := cfg.DistributionConfig
	dc.DefaultCacheBehavior.TrustedKeyGroups = &cftypes.TrustedKeyGroups{Enabled: sdkaws.Bool(true), Quantity: sdkaws.Int32(1), Items: []string{g.ID}}
	dc.Comment = sdkaws.String("moved")
	update := func(etag *string, cfg *cftypes.DistributionConfig) (*cloudfront.UpdateDistributionOutput, error) {
		return raw.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: &sb.DistributionID, IfMatch: etag, DistributionConfig: cfg})
	}
	if _, err := update(nil, dc); cfCode(err) != "InvalidIfMatchVersion" {
		t.Errorf("update without If-Match: %v", err)
	}
	if _, err := update(sdkaws.String("ESTALE"), dc); cfCode(err) != "PreconditionFailed" {
		t.Errorf("update with a stale If-Match: %v", err)
	}
	bad := *dc
	bad.DefaultCacheBehavior = &cftypes.DefaultCacheBehavior{}
	*bad.DefaultCacheBehavior = *dc.DefaultCacheBehavior
	bad.DefaultCacheBehavior.TrustedKeyGroups = &cftypes.TrustedKeyGroups{Enabled: sdkaws.Bool(true), Quantity: sdkaws.Int32(1), Items: []string{"no-such-group"}}
	if _, err := update(cfg.ETag, &bad); cfCode(err) != "TrustedKeyGroupDoesNotExist" {
		t.Errorf("update naming a missing key group: %v", err)
	}
	out, err := update(cfg.ETag, dc)
	if err != nil {
		t.Fatalf("UpdateDistribution: %v", err)
	}
	if sdkaws.ToString(out.ETag) == sdkaws.ToString(cfg.ETag) || sdkaws.ToString(out.Distribution.DistributionConfig.Comment) != "moved" ||
		sdkaws.ToString(out.Distribution.ActiveTrustedKeyGroups.Items[0].KeyGroupId) != g.ID {
		t.Errorf("update's answer: ETag %s (was %s), %+v", sdkaws.ToString(out.ETag), sdkaws.ToString(cfg.ETag), out.Distribution)
	}
	if got := cfEdgeStatus(t, sb, id, pair.PrivatePath, "doc.txt"); got != 200 {
		t.Errorf("edge with the newly trusted group's key: %d, want 200", got)
	}
	if got := cfEdgeStatus(t, sb, sb.KeyPairID, sb.PrivateKeyPath, "doc.txt"); got != 403 {
		t.Errorf("edge with the key of the group no longer trusted: %d, want 403", got)
	}
	// The old group is free to go now; the new one is in use.
	og, err := raw.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: &oldGroup})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.DeleteKeyGroup(ctx, &cloudfront.DeleteKeyGroupInput{Id: &oldGroup, IfMatch: og.ETag}); err != nil {
		t.Errorf("deleting the group no longer trusted: %v", err)
	}
	if sb.Info().KeyStatus != KeyRetired {
		t.Errorf("the sandbox's own key after the move: %q, want retired", sb.Info().KeyStatus)
	}
}

func TestCloudFrontNames(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "cfsign-sandbox": true, "Key_1-2": true, strings.Repeat("x", 128): true,
		"": false, strings.Repeat("x", 129): false, "has space": false, "dot.name": false, "ü": false,
	} {
		if got := validCFName(name); got != want {
			t.Errorf("validCFName(%q) = %v, want %v", name, got, want)
		}
	}
}
