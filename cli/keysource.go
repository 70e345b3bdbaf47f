package cli

import (
	"context"
	"crypto"
	"fmt"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

// Endpoint overrides the AWS SDK reads for the key sources; cfsign reads
// them through Env too, so they hold however cfsign is run.
const (
	envKMSEndpoint            = "AWS_ENDPOINT_URL_KMS"
	envSecretsManagerEndpoint = "AWS_ENDPOINT_URL_SECRETS_MANAGER"
	envSSMEndpoint            = "AWS_ENDPOINT_URL_SSM"
)

// keySourceOptions are the AWS account, region and endpoints for keys kept
// in KMS, Secrets Manager or Parameter Store.
func (r *runner) keySourceOptions() (aws.KeySourceOptions, error) {
	s, err := r.settings("")
	if err != nil {
		return aws.KeySourceOptions{}, err
	}
	co, err := r.clientOptions(aws.ClientOptions{Profile: s.Profile, Region: s.Region})
	if err != nil {
		return aws.KeySourceOptions{}, err
	}
	return aws.KeySourceOptions{
		ClientOptions:             co,
		KMSEndpointURL:            r.env.Getenv(envKMSEndpoint),
		SecretsManagerEndpointURL: r.env.Getenv(envSecretsManagerEndpoint),
		SSMEndpointURL:            r.env.Getenv(envSSMEndpoint),
	}, nil
}

// loadSigner loads the key a setting names, wherever it lives (a file, key
// text, KMS, Secrets Manager, Parameter Store). Warnings go to stderr.
func (r *runner) loadSigner(ctx context.Context, value, from string) (crypto.Signer, error) {
	src, err := keys.ParseSource(value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if !src.Remote() {
		key, warning, err := keys.LoadPrivateSetting(value, from)
		if err != nil {
			return nil, err
		}
		if warning != "" {
			r.warn("%s", warning)
		}
		return key, nil
	}
	opts, err := r.keySourceOptions()
	if err != nil {
		return nil, err
	}
	r.debugf("loading private key from %s (%s)", src, from)
	key, _, err := aws.LoadKeySigner(ctx, value, from, opts)
	return key, err
}

// isKMSSetting reports whether a key setting names a KMS key.
func isKMSSetting(value string) bool {
	src, err := keys.ParseSource(value)
	return err == nil && src.Kind == keys.SourceKMS
}

// ledger is the record of the latest expiry signed per key pair ID.
func (r *runner) ledger() *keys.Ledger {
	return keys.NewLedger(config.ExpiryLedgerPath(r.env.Getenv))
}

// recordExpiry notes a signed expiry; failing to is a warning, not a
// failed sign (the URLs are good), but retire will know less.
func (r *runner) recordExpiry(keyPairID string, exp time.Time) {
	if err := r.ledger().Record(keyPairID, exp); err != nil {
		r.warn("%v", err)
	}
}
