package cli

import (
	"context"
	"crypto"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/keys"
)

// loadSigner loads the key a setting names, wherever it lives (a file, key
// text, KMS, Secrets Manager, Parameter Store). A key file's mode warning
// goes to stderr.
func (r *runner) loadSigner(ctx context.Context, value, from string) (crypto.Signer, error) {
	sess, err := r.session()
	if err != nil {
		return nil, err
	}
	key, warning, err := aws.LoadKeySigner(ctx, value, from, sess.KeySourceOptions())
	if err != nil {
		return nil, err
	}
	if warning != "" {
		r.warn("%s", warning)
	}
	return key, nil
}

// ledger is the record of the latest expiry signed per key pair ID.
func (r *runner) ledger() *keys.Ledger {
	return keys.NewLedger(config.ExpiryLedgerPath(r.env.Getenv))
}
