package awsjson

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The endpoint rules below are those of the SDK's generated clients (each
// service's endpoints.go and the partitions of internal/endpoints/awsrulesfn),
// which Go does not let another module import. TestEndpointsMatchTheSDK
// checks them against the generated resolvers for every partition, FIPS and
// dual-stack.

// resolveEndpoint is the endpoint a generated client of svc uses for cfg:
// explicit (the BaseEndpoint option), else the configured one
// (AWS_ENDPOINT_URL_<ID>, the shared config's services section,
// AWS_ENDPOINT_URL, endpoint_url), else the region's, FIPS and dual-stack
// as configured.
func resolveEndpoint(cfg aws.Config, svc Service, explicit string) (string, error) {
	base := explicit
	if base == "" {
		base = configuredEndpoint(cfg, svc)
	}
	fips := lookup(cfg.ConfigSources, func(p fipsProvider) (bool, bool, error) {
		v, found, err := p.GetUseFIPSEndpoint(context.Background())
		return v == aws.FIPSEndpointStateEnabled, found, err
	})
	dualStack := lookup(cfg.ConfigSources, func(p dualStackProvider) (bool, bool, error) {
		v, found, err := p.GetUseDualStackEndpoint(context.Background())
		return v == aws.DualStackEndpointStateEnabled, found, err
	})
	region := cfg.Region
	if region != "" {
		if !validHostLabels(region) {
			return "", fmt.Errorf("failed to bind endpoint params, invalid input region %s", region)
		}
		// The legacy pseudo-regions fips-us-east-1, us-east-1-fips ...
		if r := unFIPS(region); r != region {
			region, fips = r, true
		}
	}
	rule := func(why string) error {
		return fmt.Errorf("failed to resolve service endpoint, endpoint rule error, %s", why)
	}
	switch {
	case base != "" && fips:
		return "", rule("Invalid Configuration: FIPS and custom endpoint are not supported")
	case base != "" && dualStack:
		return "", rule("Invalid Configuration: Dualstack and custom endpoint are not supported")
	case base != "":
		return base, nil
	case region == "":
		return "", rule("Invalid Configuration: Missing Region")
	}
	p := partitionOf(region)
	switch {
	case fips && dualStack && !(p.fips && p.dualStack):
		return "", rule("FIPS and DualStack are enabled, but this partition does not support one or both")
	case fips && !p.fips:
		return "", rule("FIPS is enabled but this partition does not support FIPS")
	case dualStack && !p.dualStack:
		return "", rule("DualStack is enabled but this partition does not support DualStack")
	}
	host, suffix := svc.SigningName, p.dnsSuffix
	if fips {
		host += "-fips"
	}
	if dualStack {
		suffix = p.dualStackSuffix
	}
	if svc.endpoint != nil {
		host, suffix = svc.endpoint(p.name, fips, dualStack, host, suffix)
	}
	return "https://" + host + "." + region + "." + suffix, nil
}

// configuredEndpoint is the endpoint the environment or the shared config
// sets for svc: the generated client's resolveBaseEndpoint.
func configuredEndpoint(cfg aws.Config, svc Service) string {
	base := ""
	if cfg.BaseEndpoint != nil {
		base = *cfg.BaseEndpoint
	}
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, own := os.LookupEnv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(svc.ID), " ", "_"))
	if global && !own {
		return base
	}
	if lookup(cfg.ConfigSources, func(p ignoreEndpointsProvider) (bool, bool, error) {
		return p.GetIgnoreConfiguredEndpoints(context.Background())
	}) {
		return base
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpointProvider); ok {
			v, found, err := p.GetServiceBaseEndpoint(context.Background(), svc.ID)
			if err != nil {
				break
			}
			if found {
				return v
			}
		}
	}
	return base
}

// The config sources' interfaces the SDK's internal/configsources reads.
type (
	serviceEndpointProvider interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	ignoreEndpointsProvider interface {
		GetIgnoreConfiguredEndpoints(ctx context.Context) (bool, bool, error)
	}
	fipsProvider interface {
		GetUseFIPSEndpoint(ctx context.Context) (aws.FIPSEndpointState, bool, error)
	}
	dualStackProvider interface {
		GetUseDualStackEndpoint(ctx context.Context) (aws.DualStackEndpointState, bool, error)
	}
)

// lookup is the first value a config source of type P has (false if none).
func lookup[P any](sources []any, get func(P) (bool, bool, error)) bool {
	for _, src := range sources {
		if p, ok := src.(P); ok {
			v, found, err := get(p)
			if err != nil {
				return false
			}
			if found {
				return v
			}
		}
	}
	return false
}

// validHostLabels reports whether region can stand in a host name.
func validHostLabels(region string) bool {
	for _, l := range strings.Split(region, ".") {
		if !smithyhttp.ValidHostLabel(l) || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	return true
}

// unFIPS maps the legacy FIPS pseudo-regions to their region.
func unFIPS(region string) string {
	if !strings.Contains(region, "-fips-") && !strings.Contains(region, "fips-") && !strings.Contains(region, "-fips") {
		return region
	}
	region = strings.ReplaceAll(region, "-fips-", "-")
	region = strings.ReplaceAll(region, "fips-", "")
	return strings.ReplaceAll(region, "-fips", "")
}

// partition is an AWS partition's endpoint metadata.
type partition struct {
	name                       string
	dnsSuffix, dualStackSuffix string
	fips, dualStack            bool
}

// partitions, with the prefix of their regions' names (the SDK matches
// ^PREFIX\w+-\d+$; aws matches ^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$ and is
// also the answer for a region no partition claims).
var partitions = []struct {
	prefix string
	partition
}{
	{"cn-", partition{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn", true, true}},
	{"eusc-de-", partition{"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu", true, true}},
	{"us-iso-", partition{"aws-iso", "c2s.ic.gov", "api.aws.ic.gov", true, true}},
	{"us-isob-", partition{"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud", true, true}},
	{"eu-isoe-", partition{"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", true, true}},
	{"us-isof-", partition{"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov", true, true}},
	{"us-gov-", partition{"aws-us-gov", "amazonaws.com", "api.aws", true, true}},
}

var awsPartition = partition{"aws", "amazonaws.com", "api.aws", true, true}

// globalRegions are the partitions' pseudo-regions, named in their lists.
var globalRegions = map[string]string{
	"aws-cn-global": "aws-cn", "aws-iso-global": "aws-iso", "aws-iso-b-global": "aws-iso-b",
	"aws-iso-e-global": "aws-iso-e", "aws-iso-f-global": "aws-iso-f", "aws-us-gov-global": "aws-us-gov",
}

func partitionOf(region string) partition {
	name, global := globalRegions[region]
	for _, p := range partitions {
		if global && p.name == name || !global && regionOf(region, p.prefix) {
			return p.partition
		}
	}
	return awsPartition
}

// regionOf reports whether region is prefix, a word and a number, as the
// partitions' regular expressions (\w+-\d+) say.
func regionOf(region, prefix string) bool {
	rest, ok := strings.CutPrefix(region, prefix)
	if !ok {
		return false
	}
	word, num, ok := strings.Cut(rest, "-")
	if !ok || word == "" || num == "" {
		return false
	}
	for _, c := range word {
		if !(c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	for _, c := range num {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// secretsManagerEndpoint: no dual-stack names in aws and aws-us-gov, and in
// aws-cn only for FIPS.
func secretsManagerEndpoint(partition string, fips, dualStack bool, host, suffix string) (string, string) {
	if !dualStack {
		return host, suffix
	}
	switch {
	case partition == "aws" || partition == "aws-us-gov":
		return host, "amazonaws.com"
	case partition == "aws-cn" && !fips:
		return host, "amazonaws.com.cn"
	}
	return host, suffix
}

// ssmEndpoint: in aws-us-gov the FIPS endpoint (without dual-stack) is the
// regular one.
func ssmEndpoint(partition string, fips, dualStack bool, host, suffix string) (string, string) {
	if partition == "aws-us-gov" && fips && !dualStack {
		return "ssm", suffix
	}
	return host, suffix
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
