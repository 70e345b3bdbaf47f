package cli

import (
	"context"
	"crypto"
)

// loadSigner loads the key a setting names, wherever it lives (a file, key
// text, KMS, Secrets Manager, Parameter Store). A key file's mode warning
// goes to stderr.
func (r *runner) loadSigner(ctx context.Context, value, from string) (crypto.Signer, error) {
	sess, err := r.session()
	if err != nil {
		return nil, err
	}
	key, warning, err := sess.LoadKey(ctx, value, from)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		r.warn("%s", warning)
	}
	return key, nil
}
