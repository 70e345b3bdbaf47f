package aws

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/cfsign/cfsign/aws/bucketpolicy"
)

// MaxKeysPerKeyGroup is CloudFront's limit of public keys in one key group.
const MaxKeysPerKeyGroup = 5

// cfCachingOptimized is the ID of CloudFront's managed "CachingOptimized" cache policy.
const cfCachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"

// CloudFrontOptions choose the account and endpoints of a CloudFront client.
// ClientOptions.EndpointURL is the S3 endpoint (used for bucket policies);
// CloudFront itself is global and always signs for us-east-1.
type CloudFrontOptions struct {
	ClientOptions
	CloudFrontEndpointURL string // "" is the real CloudFront; tests point it at moto
}

// CloudFront registers public keys, manages key groups, lists and creates
// distributions, and edits the bucket policy that lets a distribution read.
type CloudFront struct {
	api *cloudfront.Client
	s3  *s3.Client
	// For messages: the profile, and the endpoint when not AWS's.
	profile, endpoint string
}

// NewCloudFront builds a CloudFront client from the AWS shared config chain.
func NewCloudFront(ctx context.Context, opts CloudFrontOptions) (*CloudFront, error) {
	cfg, err := loadConfig(ctx, opts.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return NewCloudFrontFromConfig(cfg, opts), nil
}

// NewCloudFrontFromConfig builds a CloudFront client from a loaded aws.Config;
// only the endpoint fields of opts are used.
func NewCloudFrontFromConfig(cfg sdkaws.Config, opts CloudFrontOptions) *CloudFront {
	api := cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) {
		o.Region = "us-east-1"
		if opts.CloudFrontEndpointURL != "" {
			o.BaseEndpoint = sdkaws.String(opts.CloudFrontEndpointURL)
		}
		o.HTTPClient = boundedHTTPClient(o.HTTPClient, opts.ClientOptions, "CloudFront", o.BaseEndpoint)
	})
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.Region == "" {
			o.Region = "us-east-1"
		}
		if opts.EndpointURL != "" {
			o.BaseEndpoint = sdkaws.String(opts.EndpointURL)
			o.UsePathStyle = true
		}
		o.HTTPClient = boundedHTTPClient(o.HTTPClient, opts.ClientOptions, "S3", o.BaseEndpoint)
	})
	return &CloudFront{api: api, s3: s3c, profile: opts.Profile, endpoint: hostOf(&opts.CloudFrontEndpointURL)}
}

// PublicKeyInfo is a public key registered with CloudFront.
type PublicKeyInfo struct {
	ID      string // the key pair ID signed URLs carry
	Name    string
	Comment string
	PEM     string
	Created time.Time
}

// ListPublicKeys lists the account's CloudFront public keys.
func (c *CloudFront) ListPublicKeys(ctx context.Context) (_ []PublicKeyInfo, err error) {
	defer c.explained(&err)
	var out []PublicKeyInfo
	p := cloudfront.NewListPublicKeysPaginator(c.api, &cloudfront.ListPublicKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list CloudFront public keys: %w", err)
		}
		if page.PublicKeyList == nil {
			break
		}
		for _, k := range page.PublicKeyList.Items {
			out = append(out, PublicKeyInfo{
				ID:      sdkaws.ToString(k.Id),
				Name:    sdkaws.ToString(k.Name),
				Comment: sdkaws.ToString(k.Comment),
				PEM:     sdkaws.ToString(k.EncodedKey),
				Created: sdkaws.ToTime(k.CreatedTime),
			})
		}
	}
	return out, nil
}

// cfKeyName reports whether CloudFront accepts name as a public key or key
// group name: 1 to 128 letters, digits, - or _. (A regexp with {1,128}
// compiles to 128 copies of its class, costing every start of cfsign.)
func cfKeyName(name string) bool {
	if len(name) < 1 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// RegisterPublicKey uploads a PEM public key (PKIX "PUBLIC KEY" or PKCS#1
// "RSA PUBLIC KEY") under name and returns its ID. When the same key is
// already registered it returns that key's ID and existed=true instead of
// making a duplicate. An empty name becomes "cfsign-" and a fingerprint.
func (c *CloudFront) RegisterPublicKey(ctx context.Context, publicKeyPEM []byte, name string) (id string, existed bool, err error) {
	defer c.explained(&err)
	pub, der, err := cfParsePublicPEM(publicKeyPEM)
	if err != nil {
		return "", false, err
	}
	sum := sha256.Sum256(der)
	if name == "" {
		name = "cfsign-" + hex.EncodeToString(sum[:6])
	}
	if !cfKeyName(name) {
		return "", false, fmt.Errorf("public key name %q: use 1-128 letters, digits, - or _", name)
	}
	existing, err := c.ListPublicKeys(ctx)
	if err != nil {
		return "", false, err
	}
	for _, k := range existing {
		other, _, perr := cfParsePublicPEM([]byte(k.PEM))
		if perr != nil {
			continue // a key we cannot read is not ours
		}
		if cfSameKey(pub, other) {
			return k.ID, true, nil
		}
	}
	// CloudFront stores the PEM as given; send the canonical PKIX form so
	// every tool that reads it back sees the same text.
	canonical := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	out, err := c.api.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{
		PublicKeyConfig: &cftypes.PublicKeyConfig{
			CallerReference: sdkaws.String(cfCallerReference()),
			Name:            sdkaws.String(name),
			EncodedKey:      sdkaws.String(string(canonical)),
			Comment:         sdkaws.String("registered by cfsign"),
		},
	})
	if err != nil {
		if cfErrorCode(err) == "PublicKeyAlreadyExists" {
			return "", false, fmt.Errorf("register public key %s: a different key already uses that name; choose another name", name)
		}
		return "", false, fmt.Errorf("register public key %s: %w", name, err)
	}
	if out.PublicKey == nil || out.PublicKey.Id == nil {
		return "", false, fmt.Errorf("register public key %s: CloudFront returned no key ID", name)
	}
	return *out.PublicKey.Id, false, nil
}

// cfParsePublicPEM reads the first public key block of pemBytes and returns
// the key and its PKIX DER encoding.
func cfParsePublicPEM(pemBytes []byte) (crypto.PublicKey, []byte, error) {
	rest := bytes.TrimSpace(pemBytes)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, nil, errors.New("read public key: no PEM PUBLIC KEY block found")
		}
		switch block.Type {
		case "PUBLIC KEY":
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("read public key: %w", err)
			}
			return pub, block.Bytes, nil
		case "RSA PUBLIC KEY":
			pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("read public key: %w", err)
			}
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				return nil, nil, fmt.Errorf("read public key: %w", err)
			}
			return pub, der, nil
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			return nil, nil, errors.New("read public key: this is a private key; pass the public key (public_key.pem)")
		}
	}
}

func cfSameKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// cfCallerReference is unique per request, as CloudFront requires.
func cfCallerReference() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("cfsign-%d-%x", time.Now().UnixNano(), b)
}

// cfErrorCode is the AWS error code of err, or "".
func cfErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// KeyGroupInfo is a CloudFront key group: a named set of public key IDs a
// cache behaviour can trust.
type KeyGroupInfo struct {
	ID      string
	Name    string
	Comment string
	KeyIDs  []string
}

// Has reports whether the group contains the public key ID.
func (g KeyGroupInfo) Has(keyID string) bool {
	for _, k := range g.KeyIDs {
		if k == keyID {
			return true
		}
	}
	return false
}

func cfKeyGroupInfo(g *cftypes.KeyGroup) KeyGroupInfo {
	if g == nil {
		return KeyGroupInfo{}
	}
	info := KeyGroupInfo{ID: sdkaws.ToString(g.Id)}
	if cfg := g.KeyGroupConfig; cfg != nil {
		info.Name = sdkaws.ToString(cfg.Name)
		info.Comment = sdkaws.ToString(cfg.Comment)
		info.KeyIDs = append([]string(nil), cfg.Items...)
	}
	return info
}

// ListKeyGroups lists the account's key groups.
func (c *CloudFront) ListKeyGroups(ctx context.Context) (_ []KeyGroupInfo, err error) {
	defer c.explained(&err)
	var out []KeyGroupInfo
	in := &cloudfront.ListKeyGroupsInput{}
	for {
		page, err := c.api.ListKeyGroups(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list CloudFront key groups: %w", err)
		}
		if page.KeyGroupList == nil {
			break
		}
		for _, s := range page.KeyGroupList.Items {
			out = append(out, cfKeyGroupInfo(s.KeyGroup))
		}
		next := sdkaws.ToString(page.KeyGroupList.NextMarker)
		if next == "" || next == sdkaws.ToString(in.Marker) {
			break
		}
		in = &cloudfront.ListKeyGroupsInput{Marker: sdkaws.String(next)}
	}
	return out, nil
}

// CreateKeyGroup creates a key group holding keyIDs (CloudFront requires at
// least one, at most MaxKeysPerKeyGroup).
func (c *CloudFront) CreateKeyGroup(ctx context.Context, name string, keyIDs ...string) (_ KeyGroupInfo, err error) {
	defer c.explained(&err)
	if !cfKeyName(name) {
		return KeyGroupInfo{}, fmt.Errorf("key group name %q: use 1-128 letters, digits, - or _", name)
	}
	if len(keyIDs) == 0 {
		return KeyGroupInfo{}, fmt.Errorf("create key group %s: a key group needs at least one public key", name)
	}
	if len(keyIDs) > MaxKeysPerKeyGroup {
		return KeyGroupInfo{}, fmt.Errorf("create key group %s: %d keys given, CloudFront allows at most %d per group", name, len(keyIDs), MaxKeysPerKeyGroup)
	}
	out, err := c.api.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{
		KeyGroupConfig: &cftypes.KeyGroupConfig{
			Name:    sdkaws.String(name),
			Items:   keyIDs,
			Comment: sdkaws.String("created by cfsign"),
		},
	})
	if err != nil {
		switch cfErrorCode(err) {
		case "KeyGroupAlreadyExists":
			return KeyGroupInfo{}, fmt.Errorf("create key group %s: a key group with that name already exists", name)
		case "TooManyPublicKeysInKeyGroup":
			return KeyGroupInfo{}, fmt.Errorf("create key group %s: CloudFront allows at most %d public keys per key group", name, MaxKeysPerKeyGroup)
		}
		return KeyGroupInfo{}, fmt.Errorf("create key group %s: %w", name, err)
	}
	return cfKeyGroupInfo(out.KeyGroup), nil
}

// EnsureKeyGroup makes sure the key group nameOrID (its name, or its ID as
// 'aws cloudfront' prints it) exists and contains keyID: it creates a group
// of that name when none has that name or ID (created=true), and otherwise
// adds the key when it is not already a member. A group is never created
// under another group's ID.
func (c *CloudFront) EnsureKeyGroup(ctx context.Context, nameOrID, keyID string) (g KeyGroupInfo, created bool, err error) {
	defer c.explained(&err)
	groups, err := c.ListKeyGroups(ctx)
	if err != nil {
		return KeyGroupInfo{}, false, err
	}
	name := nameOrID
	for _, g := range groups {
		if g.Name != nameOrID && g.ID != nameOrID {
			continue
		}
		if g.Has(keyID) {
			return g, false, nil
		}
		g, _, err = c.AddKeyToGroup(ctx, g.ID, keyID)
		return g, false, err
	}
	g, err = c.CreateKeyGroup(ctx, name, keyID)
	return g, err == nil, err
}

// ErrKeyGroupFull is returned (wrapped) when a key group already holds
// MaxKeysPerKeyGroup keys.
var ErrKeyGroupFull = errors.New("key group is full")

// AddKeyToGroup adds the public key ID to the key group with ID groupID. A key
// already in the group is a no-op (changed=false). The update is conditional
// on the group's ETag and retried when someone else changed the group first.
func (c *CloudFront) AddKeyToGroup(ctx context.Context, groupID, keyID string) (g KeyGroupInfo, changed bool, err error) {
	defer c.explained(&err)
	what := "add key " + keyID + " to"
	g, changed, err = c.editKeyGroup(ctx, groupID, what, func(cur KeyGroupInfo) ([]string, error) {
		if cur.Has(keyID) {
			return nil, nil
		}
		if len(cur.KeyIDs) >= MaxKeysPerKeyGroup {
			return nil, fmt.Errorf("%s key group %s: %w: it has %d keys and CloudFront allows at most %d; remove one first or use another group",
				what, cfGroupLabel(cur), ErrKeyGroupFull, len(cur.KeyIDs), MaxKeysPerKeyGroup)
		}
		return append(slices.Clone(cur.KeyIDs), keyID), nil
	})
	switch cfErrorCode(err) {
	case "TooManyPublicKeysInKeyGroup":
		return g, false, fmt.Errorf("%s key group %s: %w: CloudFront allows at most %d keys per group; remove one first or use another group",
			what, cfGroupLabel(g), ErrKeyGroupFull, MaxKeysPerKeyGroup)
	case "NoSuchPublicKey":
		return g, false, fmt.Errorf("%s key group %s: no public key with that ID is registered", what, cfGroupLabel(g))
	}
	return g, changed, err
}

// editKeyGroup reads the key group, asks edit for its new list of keys (nil:
// nothing to change), and writes it with UpdateKeyGroup conditional on the
// ETag it read; when someone changed the group in between, it reads again
// (a few times). what names the change in errors ("add key K to").
func (c *CloudFront) editKeyGroup(ctx context.Context, groupID, what string, edit func(cur KeyGroupInfo) ([]string, error)) (KeyGroupInfo, bool, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		got, err := c.api.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: sdkaws.String(groupID)})
		if err != nil {
			if cfErrorCode(err) == "NoSuchResource" {
				return KeyGroupInfo{}, false, fmt.Errorf("key group %s does not exist", groupID)
			}
			return KeyGroupInfo{}, false, fmt.Errorf("read key group %s: %w", groupID, err)
		}
		cur := cfKeyGroupInfo(got.KeyGroup)
		items, err := edit(cur)
		if err != nil || items == nil {
			return cur, false, err
		}
		if got.ETag == nil {
			return cur, false, fmt.Errorf("read key group %s: CloudFront returned no ETag", groupID)
		}
		cfg := *got.KeyGroup.KeyGroupConfig
		cfg.Items = items
		up, err := c.api.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{
			Id:             sdkaws.String(groupID),
			IfMatch:        got.ETag,
			KeyGroupConfig: &cfg,
		})
		if err != nil {
			if cfErrorCode(err) == "PreconditionFailed" {
				if attempt < attempts {
					continue // changed between our read and write: read again
				}
				return cur, false, fmt.Errorf("%s key group %s: the group kept changing while updating; try again", what, cfGroupLabel(cur))
			}
			return cur, false, fmt.Errorf("%s key group %s: %w", what, cfGroupLabel(cur), err)
		}
		return cfKeyGroupInfo(up.KeyGroup), true, nil
	}
}

func cfGroupLabel(g KeyGroupInfo) string {
	if g.Name == "" {
		return g.ID
	}
	return fmt.Sprintf("%s (%s)", g.Name, g.ID)
}

// Distribution is a CloudFront distribution as cfsign needs it: where it
// serves, what it reads from and which key groups each cache behaviour trusts.
type Distribution struct {
	ID         string
	ARN        string
	DomainName string // d111111abcdef8.cloudfront.net
	Aliases    []string
	Enabled    bool
	Status     string // Deployed or InProgress
	Comment    string
	Origins    []DistributionOrigin
	Behaviors  []DistributionBehavior // the default behaviour first
}

// DistributionOrigin is one origin of a distribution.
type DistributionOrigin struct {
	ID                    string
	DomainName            string
	Bucket                string // the S3 bucket, when DomainName is an S3 REST endpoint
	Region                string // the bucket's region when the domain names it
	OriginPath            string // "/prefix" or ""
	OriginAccessControlID string
	OriginAccessIdentity  string // legacy OAI, "origin-access-identity/cloudfront/ID"
}

// DistributionBehavior is one cache behaviour and the key groups it trusts.
type DistributionBehavior struct {
	PathPattern    string // "*" for the default behaviour
	Default        bool
	TargetOriginID string
	KeyGroups      []KeyGroupInfo // trusted key groups; names and keys resolved when the group is readable
}

// RestrictsViewers reports whether the behaviour requires signed URLs or cookies.
func (b DistributionBehavior) RestrictsViewers() bool { return len(b.KeyGroups) > 0 }

// S3BucketFromDomain returns the bucket and region of an S3 REST endpoint
// domain name such as "BUCKET.s3.REGION.amazonaws.com",
// "BUCKET.s3.amazonaws.com" or "BUCKET.s3-REGION.amazonaws.com"; ok is false
// for other domains (custom origins, S3 website endpoints).
func S3BucketFromDomain(domain string) (bucket, region string, ok bool) {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	for _, suffix := range []string{".amazonaws.com.cn", ".amazonaws.com"} {
		if !strings.HasSuffix(d, suffix) {
			continue
		}
		head := strings.TrimSuffix(d, suffix)
		// head is BUCKET.s3, BUCKET.s3.REGION, BUCKET.s3-REGION or
		// BUCKET.s3.dualstack.REGION; buckets may contain dots.
		i := strings.LastIndex(head, ".s3")
		for i > 0 {
			rest := head[i+len(".s3"):]
			switch {
			case rest == "":
				return head[:i], "", true // legacy global endpoint: region not named
			case strings.HasPrefix(rest, ".dualstack."):
				return head[:i], strings.TrimPrefix(rest, ".dualstack."), true
			case strings.HasPrefix(rest, "-website"):
				return "", "", false
			case strings.HasPrefix(rest, ".") && !strings.Contains(rest[1:], "."):
				return head[:i], rest[1:], true
			case strings.HasPrefix(rest, "-") && !strings.Contains(rest, "."):
				return head[:i], rest[1:], true
			}
			i = strings.LastIndex(head[:i], ".s3")
		}
	}
	return "", "", false
}

// ListDistributions lists the account's distributions with their origins and
// the key groups each cache behaviour trusts (by ID, with names and keys).
func (c *CloudFront) ListDistributions(ctx context.Context) (_ []Distribution, err error) {
	defer c.explained(&err)
	groups, err := c.ListKeyGroups(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]KeyGroupInfo, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	var out []Distribution
	p := cloudfront.NewListDistributionsPaginator(c.api, &cloudfront.ListDistributionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list CloudFront distributions: %w", err)
		}
		if page.DistributionList == nil {
			break
		}
		for _, s := range page.DistributionList.Items {
			d := Distribution{
				ID:         sdkaws.ToString(s.Id),
				ARN:        sdkaws.ToString(s.ARN),
				DomainName: sdkaws.ToString(s.DomainName),
				Enabled:    sdkaws.ToBool(s.Enabled),
				Status:     sdkaws.ToString(s.Status),
				Comment:    sdkaws.ToString(s.Comment),
			}
			cfg := &cftypes.DistributionConfig{
				Aliases:              s.Aliases,
				Origins:              s.Origins,
				DefaultCacheBehavior: s.DefaultCacheBehavior,
				CacheBehaviors:       s.CacheBehaviors,
			}
			// Real summaries carry the behaviours; moto's do not, so read
			// the full configuration when they are missing.
			if s.DefaultCacheBehavior == nil || s.Origins == nil {
				got, err := c.api.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: s.Id})
				if err != nil {
					return nil, fmt.Errorf("read distribution %s: %w", d.ID, err)
				}
				if got.DistributionConfig != nil {
					cfg = got.DistributionConfig
					// moto's summaries lack these too.
					d.Enabled = sdkaws.ToBool(cfg.Enabled)
					d.Comment = sdkaws.ToString(cfg.Comment)
				}
			}
			cfFillDistribution(&d, cfg, byID)
			out = append(out, d)
		}
	}
	return out, nil
}

// cfFillDistribution copies aliases, origins and behaviours from cfg into d,
// resolving key group IDs through groups.
func cfFillDistribution(d *Distribution, cfg *cftypes.DistributionConfig, groups map[string]KeyGroupInfo) {
	if cfg.Aliases != nil {
		d.Aliases = append([]string(nil), cfg.Aliases.Items...)
	}
	if cfg.Origins != nil {
		for _, o := range cfg.Origins.Items {
			do := DistributionOrigin{
				ID:                    sdkaws.ToString(o.Id),
				DomainName:            sdkaws.ToString(o.DomainName),
				OriginPath:            sdkaws.ToString(o.OriginPath),
				OriginAccessControlID: sdkaws.ToString(o.OriginAccessControlId),
			}
			if o.S3OriginConfig != nil {
				do.OriginAccessIdentity = sdkaws.ToString(o.S3OriginConfig.OriginAccessIdentity)
			}
			do.Bucket, do.Region, _ = S3BucketFromDomain(do.DomainName)
			d.Origins = append(d.Origins, do)
		}
	}
	resolve := func(t *cftypes.TrustedKeyGroups) []KeyGroupInfo {
		if t == nil || !sdkaws.ToBool(t.Enabled) {
			return nil
		}
		var out []KeyGroupInfo
		for _, id := range t.Items {
			g, ok := groups[id]
			if !ok {
				g = KeyGroupInfo{ID: id}
			}
			out = append(out, g)
		}
		return out
	}
	if b := cfg.DefaultCacheBehavior; b != nil {
		d.Behaviors = append(d.Behaviors, DistributionBehavior{
			PathPattern:    "*",
			Default:        true,
			TargetOriginID: sdkaws.ToString(b.TargetOriginId),
			KeyGroups:      resolve(b.TrustedKeyGroups),
		})
	}
	if cfg.CacheBehaviors != nil {
		for _, b := range cfg.CacheBehaviors.Items {
			d.Behaviors = append(d.Behaviors, DistributionBehavior{
				PathPattern:    sdkaws.ToString(b.PathPattern),
				TargetOriginID: sdkaws.ToString(b.TargetOriginId),
				KeyGroups:      resolve(b.TrustedKeyGroups),
			})
		}
	}
}

// DistributionRequest describes a new distribution for a private bucket.
type DistributionRequest struct {
	Bucket     string
	Region     string // the bucket's region; "" asks S3
	KeyGroupID string // the key group viewers' signatures must come from
	OriginPath string // optional "/prefix" the distribution serves
	Comment    string // "" becomes "cfsign: BUCKET"
}

// CreateDistribution creates (after the caller has asked the user) a
// distribution serving req.Bucket through an Origin Access Control, with
// viewer access restricted to req.KeyGroupID. The bucket still needs the
// policy statement from AllowDistributionRead before CloudFront can read.
func (c *CloudFront) CreateDistribution(ctx context.Context, req DistributionRequest) (_ Distribution, err error) {
	defer c.explained(&err)
	if req.Bucket == "" || req.KeyGroupID == "" {
		return Distribution{}, errors.New("create distribution: a bucket and a key group are required")
	}
	if req.OriginPath != "" && (!strings.HasPrefix(req.OriginPath, "/") || strings.HasSuffix(req.OriginPath, "/")) {
		return Distribution{}, fmt.Errorf("create distribution: origin path %q must start with / and not end with /", req.OriginPath)
	}
	region := req.Region
	if region == "" {
		loc, err := c.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: sdkaws.String(req.Bucket)})
		if err != nil {
			return Distribution{}, fmt.Errorf("find region of bucket %s: %w", req.Bucket, err)
		}
		region = cfBucketRegion(string(loc.LocationConstraint))
	}
	oacID, err := c.ensureOAC(ctx, req.Bucket)
	if err != nil {
		return Distribution{}, err
	}
	comment := req.Comment
	if comment == "" {
		comment = "cfsign: " + req.Bucket
	}
	originID := "s3-" + req.Bucket
	groups := &cftypes.TrustedKeyGroups{
		Enabled:  sdkaws.Bool(true),
		Quantity: sdkaws.Int32(1),
		Items:    []string{req.KeyGroupID},
	}
	cfg := &cftypes.DistributionConfig{
		CallerReference: sdkaws.String(cfCallerReference()),
		Comment:         sdkaws.String(comment),
		Enabled:         sdkaws.Bool(true),
		Origins: &cftypes.Origins{
			Quantity: sdkaws.Int32(1),
			Items: []cftypes.Origin{{
				Id:                    sdkaws.String(originID),
				DomainName:            sdkaws.String(fmt.Sprintf("%s.s3.%s.amazonaws.com", req.Bucket, region)),
				OriginPath:            sdkaws.String(req.OriginPath),
				OriginAccessControlId: sdkaws.String(oacID),
				// With OAC the legacy identity stays empty, but the element is required.
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: sdkaws.String("")},
			}},
		},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
			TargetOriginId:       sdkaws.String(originID),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId:        sdkaws.String(cfCachingOptimized),
			Compress:             sdkaws.Bool(true),
			TrustedKeyGroups:     groups,
			AllowedMethods: &cftypes.AllowedMethods{
				Quantity: sdkaws.Int32(2),
				Items:    []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead},
				CachedMethods: &cftypes.CachedMethods{
					Quantity: sdkaws.Int32(2),
					Items:    []cftypes.Method{cftypes.MethodGet, cftypes.MethodHead},
				},
			},
		},
		PriceClass: cftypes.PriceClassPriceClass100,
	}
	out, err := c.api.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: cfg})
	if err != nil {
		return Distribution{}, fmt.Errorf("create distribution for bucket %s: %w", req.Bucket, err)
	}
	dist := out.Distribution
	if dist == nil {
		return Distribution{}, fmt.Errorf("create distribution for bucket %s: CloudFront returned no distribution", req.Bucket)
	}
	d := Distribution{
		ID:         sdkaws.ToString(dist.Id),
		ARN:        sdkaws.ToString(dist.ARN),
		DomainName: sdkaws.ToString(dist.DomainName),
		Enabled:    true,
		Status:     sdkaws.ToString(dist.Status),
		Comment:    comment,
	}
	groupsByID := map[string]KeyGroupInfo{}
	if g, err := c.api.GetKeyGroup(ctx, &cloudfront.GetKeyGroupInput{Id: sdkaws.String(req.KeyGroupID)}); err == nil {
		groupsByID[req.KeyGroupID] = cfKeyGroupInfo(g.KeyGroup)
	}
	if dist.DistributionConfig != nil {
		cfFillDistribution(&d, dist.DistributionConfig, groupsByID)
	} else {
		cfFillDistribution(&d, cfg, groupsByID)
	}
	return d, nil
}

// ensureOAC returns the ID of cfsign's S3 SigV4 origin access control for
// bucket, creating it when missing (OAC names are unique per account).
func (c *CloudFront) ensureOAC(ctx context.Context, bucket string) (string, error) {
	name := cfOACName(bucket)
	p := cloudfront.NewListOriginAccessControlsPaginator(c.api, &cloudfront.ListOriginAccessControlsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list origin access controls: %w", err)
		}
		if page.OriginAccessControlList == nil {
			break
		}
		for _, o := range page.OriginAccessControlList.Items {
			if sdkaws.ToString(o.Name) == name &&
				o.OriginAccessControlOriginType == cftypes.OriginAccessControlOriginTypesS3 &&
				o.SigningProtocol == cftypes.OriginAccessControlSigningProtocolsSigv4 &&
				o.SigningBehavior == cftypes.OriginAccessControlSigningBehaviorsAlways {
				return sdkaws.ToString(o.Id), nil
			}
		}
	}
	out, err := c.api.CreateOriginAccessControl(ctx, &cloudfront.CreateOriginAccessControlInput{
		OriginAccessControlConfig: &cftypes.OriginAccessControlConfig{
			Name:                          sdkaws.String(name),
			Description:                   sdkaws.String("cfsign: CloudFront reads s3://" + bucket),
			OriginAccessControlOriginType: cftypes.OriginAccessControlOriginTypesS3,
			SigningProtocol:               cftypes.OriginAccessControlSigningProtocolsSigv4,
			SigningBehavior:               cftypes.OriginAccessControlSigningBehaviorsAlways,
		},
	})
	if err != nil {
		if cfErrorCode(err) == "OriginAccessControlAlreadyExists" {
			return "", fmt.Errorf("create origin access control %s: one with that name exists with other settings; rename or delete it", name)
		}
		return "", fmt.Errorf("create origin access control %s: %w", name, err)
	}
	if out.OriginAccessControl == nil || out.OriginAccessControl.Id == nil {
		return "", fmt.Errorf("create origin access control %s: CloudFront returned no ID", name)
	}
	return *out.OriginAccessControl.Id, nil
}

// cfOACName is at most 64 characters, as CloudFront requires.
func cfOACName(bucket string) string {
	name := "cfsign-" + bucket
	if len(name) > 64 {
		sum := sha256.Sum256([]byte(bucket))
		name = name[:64-9] + "-" + hex.EncodeToString(sum[:4])
	}
	return name
}

// cfBucketRegion maps a GetBucketLocation constraint to a region name.
func cfBucketRegion(constraint string) string {
	switch constraint {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return constraint
}

// KeyGroupsTrusting returns the names (or IDs) of d's trusted key groups that
// contain keyPairID, sorted and without repeats.
func (d Distribution) KeyGroupsTrusting(keyPairID string) []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range d.Behaviors {
		for _, g := range b.KeyGroups {
			if g.Has(keyPairID) && !seen[g.ID] {
				seen[g.ID] = true
				out = append(out, cfGroupLabel(g))
			}
		}
	}
	sort.Strings(out)
	return out
}

// CheckDistribution returns warnings, with no request made, when d will not
// serve links signed with keyPairID from bucket: it does not serve bucket,
// no behaviour for that origin trusts a key group holding the key, a
// behaviour does not require signatures at all, or the origin has no access
// control. Empty keyPairID or bucket skips those checks.
func CheckDistribution(d Distribution, keyPairID, bucket string) []string {
	var warns []string
	name := d.ID
	if !d.Enabled {
		warns = append(warns, fmt.Sprintf("distribution %s is disabled: it serves nothing", name))
	}
	origins := map[string]DistributionOrigin{}
	var match []DistributionOrigin
	for _, o := range d.Origins {
		origins[o.ID] = o
		if bucket != "" && o.Bucket == bucket {
			match = append(match, o)
		}
	}
	if bucket != "" && len(match) == 0 {
		var have []string
		for _, o := range d.Origins {
			have = append(have, o.DomainName)
		}
		warns = append(warns, fmt.Sprintf("distribution %s does not serve bucket %s (its origins: %s)", name, bucket, cmp.Or(strings.Join(have, ", "), "none")))
	}
	for _, o := range match {
		if o.OriginAccessControlID == "" && o.OriginAccessIdentity == "" {
			warns = append(warns, fmt.Sprintf("origin %s has no origin access control: the bucket must be public for CloudFront to read it, and then anyone can bypass signed URLs", o.ID))
		}
	}
	// Behaviours that serve the bucket; all of them when it is not an origin.
	var relevant []DistributionBehavior
	for _, b := range d.Behaviors {
		o, ok := origins[b.TargetOriginID]
		if len(match) == 0 || (ok && o.Bucket == bucket) {
			relevant = append(relevant, b)
		}
	}
	for _, b := range relevant {
		if !b.RestrictsViewers() {
			warns = append(warns, fmt.Sprintf("cache behaviour %s does not require signed URLs: anyone with the plain URL can read it", b.PathPattern))
			continue
		}
		if keyPairID == "" {
			continue
		}
		in := false
		for _, g := range b.KeyGroups {
			in = in || g.Has(keyPairID)
		}
		if in {
			continue
		}
		var labels []string
		for _, g := range b.KeyGroups {
			labels = append(labels, cfGroupLabel(g))
		}
		warns = append(warns, fmt.Sprintf("cache behaviour %s trusts key groups %s, none of which holds key pair ID %s: links will get InvalidKey",
			b.PathPattern, strings.Join(labels, ", "), keyPairID))
	}
	return warns
}

// AllowDistributionRead adds (after the caller has asked the user) the
// statement letting the distribution read bucket's objects to the bucket
// policy, merging with the statements already there. changed is false when
// an equivalent statement was already present.
func (c *CloudFront) AllowDistributionRead(ctx context.Context, bucket, distributionARN string) (changed bool, err error) {
	defer c.explained(&err)
	stmt, err := bucketpolicy.DistributionRead(bucket, distributionARN)
	if err != nil {
		return false, err
	}
	current := ""
	got, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: sdkaws.String(bucket)})
	switch {
	case err == nil:
		current = sdkaws.ToString(got.Policy)
	case cfErrorCode(err) == "NoSuchBucketPolicy":
	case cfErrorCode(err) == "NoSuchBucket":
		return false, fmt.Errorf("bucket %s does not exist", bucket)
	default:
		return false, fmt.Errorf("read policy of bucket %s: %w", bucket, err)
	}
	merged, changed, err := bucketpolicy.Merge(current, stmt)
	if err != nil {
		return false, fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if !changed {
		return false, nil
	}
	_, err = c.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{
		Bucket: sdkaws.String(bucket),
		Policy: sdkaws.String(merged),
	})
	if err != nil {
		return false, fmt.Errorf("write policy of bucket %s: %w", bucket, err)
	}
	return true, nil
}
