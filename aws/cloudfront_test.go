package aws

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cfsign/cfsign/aws/bucketpolicy"
	"github.com/cfsign/cfsign/internal/testenv"
)

// cfTestClient is a CloudFront client for endpoint with test credentials.
func cfTestClient(t *testing.T, endpoint string) *CloudFront {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := NewCloudFront(ctx, CloudFrontOptions{
		ClientOptions: ClientOptions{
			Region:          "us-east-1",
			EndpointURL:     endpoint,
			AccessKeyID:     "testing",
			SecretAccessKey: "testing",
		},
		CloudFrontEndpointURL: endpoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cfTestKey returns a fresh RSA key's public half as PKIX and PKCS#1 PEM.
func cfTestKey(t *testing.T) (pkix, pkcs1 []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkix = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pkcs1 = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	return pkix, pkcs1
}

// cfUnique makes names unique per test run: moto is shared by the package's tests.
func cfUnique(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%x", prefix, b)
}

func TestPublicKeyRegisterMoto(t *testing.T) {
	c := cfTestClient(t, testenv.Moto(t))
	ctx := context.Background()
	pkix, pkcs1 := cfTestKey(t)

	id, existed, err := c.RegisterPublicKey(ctx, pkix, cfUnique("cfsign-test"))
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || existed {
		t.Fatalf("first register: id %q existed %v", id, existed)
	}
	// The same key again, in another PEM form, with CRLF line ends and another
	// name: the existing ID comes back and nothing new is created.
	crlf := []byte(strings.ReplaceAll(string(pkcs1), "\n", "\r\n"))
	id2, existed, err := c.RegisterPublicKey(ctx, crlf, cfUnique("cfsign-other"))
	if err != nil {
		t.Fatal(err)
	}
	if id2 != id || !existed {
		t.Fatalf("second register: id %q existed %v, want %q true", id2, existed, id)
	}
	keys, err := c.ListPublicKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range keys {
		pub, _, err := cfParsePublicPEM([]byte(k.PEM))
		if err != nil {
			continue
		}
		want, _, _ := cfParsePublicPEM(pkix)
		if cfSameKey(pub, want) {
			n++
			if k.ID != id {
				t.Errorf("listed key ID %s, want %s", k.ID, id)
			}
		}
	}
	if n != 1 {
		t.Errorf("key listed %d times, want once", n)
	}

	other, _ := cfTestKey(t)
	id3, existed, err := c.RegisterPublicKey(ctx, other, "")
	if err != nil {
		t.Fatal(err)
	}
	if id3 == id || existed {
		t.Errorf("a different key got id %q existed %v", id3, existed)
	}
}

func TestPublicKeyRegisterBadInput(t *testing.T) {
	c := cfTestClient(t, "http://127.0.0.1:1") // never reached
	priv, _ := rsa.GenerateKey(rand.Reader, 1024)
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	pkix, _ := cfTestKey(t)
	for name, tc := range map[string]struct {
		pem     []byte
		keyName string
		want    string
	}{
		"private key": {privPEM, "x", "private key"},
		"not PEM":     {[]byte("hello"), "x", "no PEM"},
		"bad name":    {pkix, "has space", "letters, digits"},
		"129 chars":   {pkix, strings.Repeat("k", 129), "1-128"},
		"non-ASCII":   {pkix, "clé", "letters, digits"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := c.RegisterPublicKey(context.Background(), tc.pem, tc.keyName)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestKeyGroupEnsureMoto(t *testing.T) {
	c := cfTestClient(t, testenv.Moto(t))
	ctx := context.Background()
	pkix, _ := cfTestKey(t)
	keyID, _, err := c.RegisterPublicKey(ctx, pkix, cfUnique("cfsign-kg"))
	if err != nil {
		t.Fatal(err)
	}
	name := cfUnique("cfsign-group")
	g, created, err := c.EnsureKeyGroup(ctx, name, keyID)
	if err != nil {
		t.Fatal(err)
	}
	if !created || g.ID == "" || g.Name != name || !g.Has(keyID) || len(g.KeyIDs) != 1 {
		t.Fatalf("first ensure: %+v created %v", g, created)
	}
	// Present with the key: no update (moto's UpdateKeyGroup would answer 500).
	g2, created, err := c.EnsureKeyGroup(ctx, name, keyID)
	if err != nil {
		t.Fatal(err)
	}
	if created || g2.ID != g.ID {
		t.Fatalf("second ensure: %+v created %v, want group %s", g2, created, g.ID)
	}
	groups, err := c.ListKeyGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, lg := range groups {
		if lg.Name == name {
			found++
			if lg.ID != g.ID || !lg.Has(keyID) {
				t.Errorf("listed %+v", lg)
			}
		}
	}
	if found != 1 {
		t.Errorf("group %s listed %d times, want once", name, found)
	}
	// AddKeyToGroup with a member key reads the group and stops.
	if _, changed, err := c.AddKeyToGroup(ctx, g.ID, keyID); err != nil || changed {
		t.Errorf("AddKeyToGroup(member) changed %v err %v", changed, err)
	}
}

func TestKeyGroupCreateLimits(t *testing.T) {
	c := cfTestClient(t, "http://127.0.0.1:1") // refused before any request
	if _, err := c.CreateKeyGroup(context.Background(), "g", "K1", "K2", "K3", "K4", "K5", "K6"); err == nil || !strings.Contains(err.Error(), "at most 5") {
		t.Errorf("6 keys: %v", err)
	}
	if _, err := c.CreateKeyGroup(context.Background(), "g"); err == nil || !strings.Contains(err.Error(), "at least one") {
		t.Errorf("no keys: %v", err)
	}
	// Names: 1 to 128 letters, digits, - or _.
	for _, name := range []string{"", strings.Repeat("g", 129), "a.b", "a b", "a/b", "grüppe"} {
		if _, err := c.CreateKeyGroup(context.Background(), name, "K1"); err == nil || !strings.Contains(err.Error(), "use 1-128 letters") {
			t.Errorf("name %q: %v, want it refused", name, err)
		}
	}
	for _, name := range []string{"g", strings.Repeat("g", 128), "Key_group-2"} {
		if _, err := c.CreateKeyGroup(context.Background(), name, "K1"); err != nil && strings.Contains(err.Error(), "use 1-128 letters") {
			t.Errorf("name %q refused: %v", name, err)
		}
	}
}

// cfExchange is one recorded request and the answer replayed for it.
type cfExchange struct {
	Method, Path string
	IfMatch      string   // the If-Match the request must carry; "" for none
	BodyHas      []string // strings the request body must contain
	BodyLacks    []string
	Status       int
	ETag         string
	File         string // response body under testdata/cloudfront
}

// cfReplay serves exchanges in order and fails the test on any other request.
func cfReplay(t *testing.T, exchanges []cfExchange) (url string, done func()) {
	t.Helper()
	var mu sync.Mutex
	next := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if next >= len(exchanges) {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		ex := exchanges[next]
		next++
		if r.Method != ex.Method || r.URL.Path != ex.Path {
			t.Errorf("request %d: %s %s, want %s %s", next, r.Method, r.URL.Path, ex.Method, ex.Path)
		}
		if got := r.Header.Get("If-Match"); got != ex.IfMatch {
			t.Errorf("request %d: If-Match %q, want %q", next, got, ex.IfMatch)
		}
		for _, s := range ex.BodyHas {
			if !strings.Contains(string(body), s) {
				t.Errorf("request %d: body lacks %q:\n%s", next, s, body)
			}
		}
		for _, s := range ex.BodyLacks {
			if strings.Contains(string(body), s) {
				t.Errorf("request %d: body has %q:\n%s", next, s, body)
			}
		}
		resp, err := os.ReadFile(filepath.Join("..", "testdata", "cloudfront", ex.File))
		if err != nil {
			t.Errorf("request %d: %v", next, err)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", "9a6d3c3e-5f1b-4f4e-8a8c-0c9b2b3c4d5e")
		if ex.ETag != "" {
			w.Header().Set("ETag", ex.ETag)
		}
		w.WriteHeader(ex.Status)
		w.Write(resp)
	}))
	return srv.URL, func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if next != len(exchanges) {
			t.Errorf("%d of %d recorded requests made", next, len(exchanges))
		}
	}
}

func TestKeyGroupAddKeyRecorded(t *testing.T) {
	const path = "/2020-05-31/key-group/8e4a9d1c-3b1f-4c55-9e27-6f1a0b2c3d4e"
	const groupID = "8e4a9d1c-3b1f-4c55-9e27-6f1a0b2c3d4e"
	const newKey = "K3NEWKEY4CFSIGN"
	get := func(etag, file string) cfExchange {
		return cfExchange{Method: "GET", Path: path, Status: 200, ETag: etag, File: file}
	}
	tests := []struct {
		name      string
		exchanges []cfExchange
		changed   bool
		wantKeys  int
		wantErr   string
		full      bool
	}{
		{
			name: "adds with ETag",
			exchanges: []cfExchange{
				get("E2QWRUHAPOMQZL", "get-key-group-2keys.xml"),
				{Method: "PUT", Path: path, IfMatch: "E2QWRUHAPOMQZL", Status: 200, ETag: "E3UN6WX5RRO2AG", File: "update-key-group-3keys.xml",
					BodyHas: []string{"<Name>cfsign-signers</Name>", "<PublicKey>K2JCJMDEHXQW5F</PublicKey>", "<PublicKey>K1Z7ANYXN7GLO3</PublicKey>", "<PublicKey>" + newKey + "</PublicKey>", "<Comment>keys that sign our links</Comment>"}},
			},
			changed: true, wantKeys: 3,
		},
		{
			name:      "already a member",
			exchanges: []cfExchange{get("E2QWRUHAPOMQZL", "get-key-group-with-new.xml")},
			wantKeys:  3,
		},
		{
			name:      "five keys is full",
			exchanges: []cfExchange{get("E1PA6795UKMFR9", "get-key-group-5keys.xml")},
			wantErr:   "at most 5", full: true,
		},
		{
			name: "CloudFront refuses too many",
			exchanges: []cfExchange{
				get("E2QWRUHAPOMQZL", "get-key-group-2keys.xml"),
				{Method: "PUT", Path: path, IfMatch: "E2QWRUHAPOMQZL", Status: 400, File: "error-too-many-public-keys.xml"},
			},
			wantErr: "at most 5", full: true,
		},
		{
			name: "ETag changed: read again",
			exchanges: []cfExchange{
				get("E2QWRUHAPOMQZL", "get-key-group-2keys.xml"),
				{Method: "PUT", Path: path, IfMatch: "E2QWRUHAPOMQZL", Status: 412, File: "error-precondition-failed.xml"},
				get("E3UN6WX5RRO2AG", "get-key-group-2keys.xml"),
				{Method: "PUT", Path: path, IfMatch: "E3UN6WX5RRO2AG", Status: 200, ETag: "E1X4OSYV5XWGM0", File: "update-key-group-3keys.xml"},
			},
			changed: true, wantKeys: 3,
		},
		{
			name:      "no such group",
			exchanges: []cfExchange{{Method: "GET", Path: path, Status: 404, File: "error-no-such-key-group.xml"}},
			wantErr:   "does not exist",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, done := cfReplay(t, tc.exchanges)
			c := cfTestClient(t, url)
			g, changed, err := c.AddKeyToGroup(context.Background(), groupID, newKey)
			done()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if errors.Is(err, ErrKeyGroupFull) != tc.full {
					t.Errorf("errors.Is(err, ErrKeyGroupFull) = %v, want %v", !tc.full, tc.full)
				}
				if strings.Count(err.Error(), "\n") > 0 {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed || len(g.KeyIDs) != tc.wantKeys || !g.Has(newKey) || g.Name != "cfsign-signers" {
				t.Errorf("got %+v changed %v, want %d keys changed %v", g, changed, tc.wantKeys, tc.changed)
			}
		})
	}
}

// TestDistributionListRecorded reads the real ListDistributions shape, whose
// summaries carry the cache behaviours (moto's do not).
func TestDistributionListRecorded(t *testing.T) {
	url, done := cfReplay(t, []cfExchange{
		{Method: "GET", Path: "/2020-05-31/key-group", Status: 200, File: "list-key-groups.xml"},
		{Method: "GET", Path: "/2020-05-31/distribution", Status: 200, File: "list-distributions.xml"},
	})
	c := cfTestClient(t, url)
	ds, err := c.ListDistributions(context.Background())
	done()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d distributions, want 1", len(ds))
	}
	d := ds[0]
	if d.ID != "E1A2B3C4D5E6F7" || d.DomainName != "d111111abcdef8.cloudfront.net" || !d.Enabled ||
		len(d.Aliases) != 1 || d.Aliases[0] != "files.example.com" || d.ARN != "arn:aws:cloudfront::123456789012:distribution/E1A2B3C4D5E6F7" {
		t.Errorf("distribution %+v", d)
	}
	if len(d.Origins) != 1 {
		t.Fatalf("origins %+v", d.Origins)
	}
	o := d.Origins[0]
	if o.Bucket != "cfsign-private" || o.Region != "eu-west-1" || o.OriginPath != "/shared" || o.OriginAccessControlID != "E2OACEXAMPLE01" {
		t.Errorf("origin %+v", o)
	}
	if len(d.Behaviors) != 2 {
		t.Fatalf("behaviours %+v", d.Behaviors)
	}
	def, pub := d.Behaviors[0], d.Behaviors[1]
	if !def.Default || def.PathPattern != "*" || len(def.KeyGroups) != 1 ||
		def.KeyGroups[0].Name != "cfsign-signers" || !def.KeyGroups[0].Has("K2JCJMDEHXQW5F") {
		t.Errorf("default behaviour %+v", def)
	}
	if pub.Default || pub.PathPattern != "/public/*" || pub.RestrictsViewers() {
		t.Errorf("public behaviour %+v", pub)
	}
	warns := CheckDistribution(d, "K2JCJMDEHXQW5F", "cfsign-private")
	if len(warns) != 1 || !strings.Contains(warns[0], "/public/*") {
		t.Errorf("warnings %q, want one about /public/*", warns)
	}
}

func TestDistributionS3BucketFromDomain(t *testing.T) {
	for _, tc := range []struct {
		domain, bucket, region string
		ok                     bool
	}{
		{"my-bucket.s3.eu-west-1.amazonaws.com", "my-bucket", "eu-west-1", true},
		{"my-bucket.s3.amazonaws.com", "my-bucket", "", true},
		{"my.dotted.bucket.s3.us-east-1.amazonaws.com", "my.dotted.bucket", "us-east-1", true},
		{"old.s3-ap-southeast-2.amazonaws.com", "old", "ap-southeast-2", true},
		{"dual.s3.dualstack.us-west-2.amazonaws.com", "dual", "us-west-2", true},
		{"cn-bucket.s3.cn-north-1.amazonaws.com.cn", "cn-bucket", "cn-north-1", true},
		{"a.s3.b.s3.us-east-1.amazonaws.com", "a.s3.b", "us-east-1", true},
		{"Upper.S3.US-EAST-1.AMAZONAWS.COM", "upper", "us-east-1", true},
		{"site.s3-website-us-east-1.amazonaws.com", "", "", false},
		{"site.s3-website.eu-central-1.amazonaws.com", "", "", false},
		{"s3.amazonaws.com", "", "", false},
		{"origin.example.com", "", "", false},
		{"mybucket.example.s3.com", "", "", false},
		{"", "", "", false},
	} {
		b, r, ok := S3BucketFromDomain(tc.domain)
		if b != tc.bucket || r != tc.region || ok != tc.ok {
			t.Errorf("S3BucketFromDomain(%q) = %q, %q, %v; want %q, %q, %v", tc.domain, b, r, ok, tc.bucket, tc.region, tc.ok)
		}
	}
}

// cfMotoBucket creates a bucket on moto's S3 and returns its name.
func cfMotoBucket(t *testing.T, c *CloudFront) string {
	t.Helper()
	bucket := cfUnique("cfsign-dist")
	if _, err := c.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: sdkaws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return bucket
}

func TestDistributionListMoto(t *testing.T) {
	c := cfTestClient(t, testenv.Moto(t))
	ctx := context.Background()
	pkix, _ := cfTestKey(t)
	keyID, _, err := c.RegisterPublicKey(ctx, pkix, cfUnique("cfsign-dl"))
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := c.EnsureKeyGroup(ctx, cfUnique("cfsign-dl-group"), keyID)
	if err != nil {
		t.Fatal(err)
	}
	trusted := &cftypes.TrustedKeyGroups{Enabled: sdkaws.Bool(true), Quantity: sdkaws.Int32(1), Items: []string{g.ID}}
	// A distribution with a bucket origin under a path, a custom origin and
	// a second behaviour, made with the plain SDK as the console would.
	out, err := c.api.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: sdkaws.String(cfUnique("ref")),
		Comment:         sdkaws.String("listed"),
		Enabled:         sdkaws.Bool(true),
		Aliases:         &cftypes.Aliases{Quantity: sdkaws.Int32(1), Items: []string{"files.example.com"}},
		Origins: &cftypes.Origins{Quantity: sdkaws.Int32(2), Items: []cftypes.Origin{
			{Id: sdkaws.String("bucket"), DomainName: sdkaws.String("listed-bucket.s3.eu-west-1.amazonaws.com"), OriginPath: sdkaws.String("/shared"),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: sdkaws.String("")}},
			{Id: sdkaws.String("api"), DomainName: sdkaws.String("api.example.com"),
				CustomOriginConfig: &cftypes.CustomOriginConfig{HTTPPort: sdkaws.Int32(80), HTTPSPort: sdkaws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly}},
		}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: sdkaws.String("bucket"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps, TrustedKeyGroups: trusted},
		CacheBehaviors: &cftypes.CacheBehaviors{Quantity: sdkaws.Int32(1), Items: []cftypes.CacheBehavior{
			{PathPattern: sdkaws.String("/api/*"), TargetOriginId: sdkaws.String("api"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyHttpsOnly},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := sdkaws.ToString(out.Distribution.Id)

	ds, err := c.ListDistributions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var d *Distribution
	for i := range ds {
		if ds[i].ID == id {
			d = &ds[i]
		}
	}
	if d == nil {
		t.Fatalf("distribution %s not listed among %d", id, len(ds))
	}
	if !strings.HasSuffix(d.DomainName, ".cloudfront.net") || !d.Enabled || len(d.Aliases) != 1 || d.Aliases[0] != "files.example.com" || d.ARN == "" {
		t.Errorf("distribution %+v", *d)
	}
	if len(d.Origins) != 2 || d.Origins[0].Bucket != "listed-bucket" || d.Origins[0].Region != "eu-west-1" ||
		d.Origins[0].OriginPath != "/shared" || d.Origins[1].Bucket != "" || d.Origins[1].DomainName != "api.example.com" {
		t.Errorf("origins %+v", d.Origins)
	}
	if len(d.Behaviors) != 2 {
		t.Fatalf("behaviours %+v", d.Behaviors)
	}
	def := d.Behaviors[0]
	if !def.Default || def.TargetOriginID != "bucket" || len(def.KeyGroups) != 1 || def.KeyGroups[0].ID != g.ID ||
		def.KeyGroups[0].Name != g.Name || !def.KeyGroups[0].Has(keyID) {
		t.Errorf("default behaviour %+v, want group %+v", def, g)
	}
	if api := d.Behaviors[1]; api.PathPattern != "/api/*" || api.RestrictsViewers() {
		t.Errorf("api behaviour %+v", api)
	}
	if got := d.KeyGroupsTrusting(keyID); len(got) != 1 || !strings.Contains(got[0], g.ID) {
		t.Errorf("KeyGroupsTrusting = %q", got)
	}

	// The checks that need no request. Only the bucket's behaviour matters for
	// its links; the bucket origin has no OAC.
	warns := CheckDistribution(*d, keyID, "listed-bucket")
	if len(warns) != 1 || !strings.Contains(warns[0], "no origin access control") {
		t.Errorf("good key, right bucket: %q", warns)
	}
	warns = CheckDistribution(*d, "KUNKNOWN123456", "listed-bucket")
	if !cfAnyContains(warns, "none of which holds key pair ID KUNKNOWN123456") {
		t.Errorf("unknown key: %q", warns)
	}
	warns = CheckDistribution(*d, keyID, "another-bucket")
	if !cfAnyContains(warns, "does not serve bucket another-bucket") {
		t.Errorf("wrong bucket: %q", warns)
	}
}

func cfAnyContains(list []string, s string) bool {
	for _, e := range list {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

func TestDistributionCreateMoto(t *testing.T) {
	c := cfTestClient(t, testenv.Moto(t))
	ctx := context.Background()
	pkix, _ := cfTestKey(t)
	keyID, _, err := c.RegisterPublicKey(ctx, pkix, cfUnique("cfsign-dc"))
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := c.EnsureKeyGroup(ctx, cfUnique("cfsign-dc-group"), keyID)
	if err != nil {
		t.Fatal(err)
	}
	bucket := cfMotoBucket(t, c)

	d, err := c.CreateDistribution(ctx, DistributionRequest{Bucket: bucket, KeyGroupID: g.ID, OriginPath: "/media"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == "" || !strings.HasPrefix(d.ARN, "arn:aws:cloudfront:") /* moto drops the empty region field */ || !strings.HasSuffix(d.ARN, "distribution/"+d.ID) {
		t.Errorf("created %+v", d)
	}
	if len(d.Origins) != 1 || d.Origins[0].Bucket != bucket || d.Origins[0].Region != "us-east-1" || d.Origins[0].OriginPath != "/media" {
		t.Errorf("origins %+v", d.Origins)
	}
	if len(d.Behaviors) != 1 || len(d.Behaviors[0].KeyGroups) != 1 || d.Behaviors[0].KeyGroups[0].ID != g.ID || !d.Behaviors[0].KeyGroups[0].Has(keyID) {
		t.Errorf("behaviours %+v", d.Behaviors)
	}

	// The OAC exists with S3 SigV4 settings, and a second distribution for
	// the same bucket reuses it.
	oacs, err := c.api.ListOriginAccessControls(ctx, &cloudfront.ListOriginAccessControlsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var oacID string
	n := 0
	for _, o := range oacs.OriginAccessControlList.Items {
		if sdkaws.ToString(o.Name) == cfOACName(bucket) {
			n++
			oacID = sdkaws.ToString(o.Id)
			if o.SigningProtocol != cftypes.OriginAccessControlSigningProtocolsSigv4 || o.OriginAccessControlOriginType != cftypes.OriginAccessControlOriginTypesS3 ||
				o.SigningBehavior != cftypes.OriginAccessControlSigningBehaviorsAlways {
				t.Errorf("OAC %+v", o)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d OACs named %s, want 1", n, cfOACName(bucket))
	}
	if got := d.Origins[0].OriginAccessControlID; got != "" && got != oacID {
		t.Errorf("origin OAC %q, want %q", got, oacID)
	}
	if again, err := c.ensureOAC(ctx, bucket); err != nil || again != oacID {
		t.Errorf("ensureOAC again = %q, %v; want %q", again, err, oacID)
	}

	// The distribution is listed with its trusted group, and the checks pass
	// apart from what moto does not echo.
	ds, err := c.ListDistributions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ld := range ds {
		if ld.ID != d.ID {
			continue
		}
		for _, w := range CheckDistribution(ld, keyID, bucket) {
			if !strings.Contains(w, "no origin access control") || ld.Origins[0].OriginAccessControlID != "" {
				t.Errorf("warning for the created distribution: %s", w)
			}
		}
		return
	}
	t.Errorf("created distribution %s not listed", d.ID)
}

func TestDistributionCreateBadInput(t *testing.T) {
	c := cfTestClient(t, "http://127.0.0.1:1")
	for _, req := range []DistributionRequest{
		{KeyGroupID: "g"},
		{Bucket: "b"},
		{Bucket: "b", KeyGroupID: "g", OriginPath: "media"},
		{Bucket: "b", KeyGroupID: "g", OriginPath: "/media/"},
	} {
		if _, err := c.CreateDistribution(context.Background(), req); err == nil {
			t.Errorf("CreateDistribution(%+v) succeeded", req)
		}
	}
}

func TestDoctorCheckDistribution(t *testing.T) {
	group := KeyGroupInfo{ID: "kg-1", Name: "signers", KeyIDs: []string{"K1", "K2"}}
	base := Distribution{
		ID: "E1", Enabled: true,
		Origins:   []DistributionOrigin{{ID: "o1", DomainName: "media.s3.eu-west-1.amazonaws.com", Bucket: "media", OriginAccessControlID: "OAC1"}},
		Behaviors: []DistributionBehavior{{PathPattern: "*", Default: true, TargetOriginID: "o1", KeyGroups: []KeyGroupInfo{group}}},
	}
	tests := []struct {
		name   string
		edit   func(d *Distribution)
		key    string
		bucket string
		want   []string // substrings, one per expected warning
	}{
		{name: "all good", key: "K2", bucket: "media"},
		{name: "no key or bucket to check", key: "", bucket: ""},
		{name: "key not trusted", key: "K9", bucket: "media", want: []string{"signers (kg-1), none of which holds key pair ID K9"}},
		{name: "other bucket", key: "K1", bucket: "photos", want: []string{"does not serve bucket photos (its origins: media.s3.eu-west-1.amazonaws.com)"}},
		{name: "disabled", edit: func(d *Distribution) { d.Enabled = false }, key: "K1", bucket: "media", want: []string{"disabled"}},
		{name: "no OAC", edit: func(d *Distribution) { d.Origins[0].OriginAccessControlID = "" }, key: "K1", bucket: "media", want: []string{"no origin access control"}},
		{name: "legacy OAI is access control", edit: func(d *Distribution) {
			d.Origins[0].OriginAccessControlID = ""
			d.Origins[0].OriginAccessIdentity = "origin-access-identity/cloudfront/E2OAI"
		}, key: "K1", bucket: "media"},
		{name: "open behaviour", edit: func(d *Distribution) {
			d.Behaviors = append(d.Behaviors, DistributionBehavior{PathPattern: "/public/*", TargetOriginID: "o1"})
		}, key: "K1", bucket: "media", want: []string{"/public/* does not require signed URLs"}},
		{name: "other origin's behaviour ignored", edit: func(d *Distribution) {
			d.Origins = append(d.Origins, DistributionOrigin{ID: "api", DomainName: "api.example.com"})
			d.Behaviors = append(d.Behaviors, DistributionBehavior{PathPattern: "/api/*", TargetOriginID: "api"})
		}, key: "K1", bucket: "media"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := base
			d.Origins = append([]DistributionOrigin(nil), base.Origins...)
			d.Behaviors = append([]DistributionBehavior(nil), base.Behaviors...)
			if tc.edit != nil {
				tc.edit(&d)
			}
			got := CheckDistribution(d, tc.key, tc.bucket)
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q, want it to contain %q", got[i], w)
				}
			}
		})
	}
}

func TestBucketPolicyAllowMoto(t *testing.T) {
	c := cfTestClient(t, testenv.Moto(t))
	ctx := context.Background()

	// A bucket with no policy gets a new one.
	fresh := cfMotoBucket(t, c)
	changed, err := c.AllowDistributionRead(ctx, fresh, policyTestARN)
	if err != nil || !changed {
		t.Fatalf("fresh bucket: changed %v err %v", changed, err)
	}
	got, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: sdkaws.String(fresh)})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := bucketpolicy.Statements(sdkaws.ToString(got.Policy)); err != nil || len(list) != 1 || list[0]["Resource"] != "arn:aws:s3:::"+fresh+"/*" {
		t.Errorf("fresh policy %s", sdkaws.ToString(got.Policy))
	}

	// A bucket with a policy keeps it and gains one statement, once.
	bucket := cfMotoBucket(t, c)
	existing := `{"Version":"2012-10-17","Id":"keep-me","Statement":[{"Sid":"ReadForAuditors","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/audit/*"}]}`
	if _, err := c.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String(bucket), Policy: sdkaws.String(existing)}); err != nil {
		t.Fatal(err)
	}
	changed, err = c.AllowDistributionRead(ctx, bucket, policyTestARN)
	if err != nil || !changed {
		t.Fatalf("first allow: changed %v err %v", changed, err)
	}
	got, err = c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: sdkaws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	policy := sdkaws.ToString(got.Policy)
	list, err := bucketpolicy.Statements(policy)
	if err != nil || len(list) != 2 || list[0]["Sid"] != "ReadForAuditors" || !strings.Contains(policy, `"Id":"keep-me"`) {
		t.Fatalf("merged policy %s", policy)
	}
	cond, _ := json.Marshal(list[1]["Condition"])
	if !strings.Contains(string(cond), policyTestARN) {
		t.Errorf("added statement %v", list[1])
	}
	changed, err = c.AllowDistributionRead(ctx, bucket, policyTestARN)
	if err != nil || changed {
		t.Errorf("second allow: changed %v err %v", changed, err)
	}
	got, _ = c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: sdkaws.String(bucket)})
	if list, err := bucketpolicy.Statements(sdkaws.ToString(got.Policy)); err != nil || len(list) != 2 {
		t.Errorf("after the second allow: %d statements (%v), want 2", len(list), err)
	}

	if _, err := c.AllowDistributionRead(ctx, cfUnique("cfsign-missing"), policyTestARN); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
}

const policyTestARN = "arn:aws:cloudfront::123456789012:distribution/E1A2B3C4D5E6F7"

// CloudFront's SDK errors get the plain explanations S3's get, after the
// method's own context, never the SDK's "operation error CloudFront: …".
func TestCloudFrontErrorsExplained(t *testing.T) {
	sb := testenv.NewSandbox(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, endpoint, key, want string
	}{
		{"credentials rejected", sb.CloudFrontEndpoint, "AKIANOTTHESANDBOX00", "list CloudFront public keys: AWS credentials rejected (InvalidAccessKeyId)"},
		{"nothing listening", testenv.Silent(t), sb.AccessKeyID, "did not answer for 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf, err := NewCloudFront(ctx, CloudFrontOptions{
				ClientOptions:         ClientOptions{Region: "us-east-1", AccessKeyID: tc.key, SecretAccessKey: sb.SecretAccessKey, Timeout: time.Second},
				CloudFrontEndpointURL: tc.endpoint,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cf.ListPublicKeys(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "operation error") || strings.Contains(err.Error(), "\n") {
				var e *ExplainedError
				if errors.As(err, &e) {
					t.Logf("raw: %#v %v", e.Err, e.Err)
				}
				t.Fatalf("error %q, want one line with %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "CloudFront") {
				t.Errorf("error %q does not name CloudFront", err)
			}
		})
	}
}
