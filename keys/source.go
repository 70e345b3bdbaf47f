package keys

import (
	"fmt"
	"strings"
)

// SourceKind says where a private key setting keeps its key.
type SourceKind int

// The places a key may live. Only SourceLocal is read by this package; the
// others need AWS and are read by package aws, which hands the PEM text of
// the two secret stores back to ParsePrivateText.
const (
	// SourceLocal is a file path or key text (see LoadPrivateSetting).
	SourceLocal SourceKind = iota
	// SourceKMS is an AWS KMS key (kms:KEY_ID, alias/NAME or an ARN): the
	// private key never leaves KMS, which signs.
	SourceKMS
	// SourceSecretsManager is a Secrets Manager secret holding the PEM
	// (secretsmanager:NAME_OR_ARN, with #FIELD for a JSON secret).
	SourceSecretsManager
	// SourceSSM is an SSM Parameter Store SecureString (ssm:/path).
	SourceSSM
)

// Source is a parsed key setting: its kind, the AWS reference (key ID,
// secret name, parameter path) and, for JSON secrets, the field. None of
// these is secret, so all may be shown.
type Source struct {
	Kind  SourceKind
	Ref   string
	Field string
}

// Prefixes of key settings kept in AWS.
const (
	PrefixKMS            = "kms:"
	PrefixSecretsManager = "secretsmanager:"
	PrefixSSM            = "ssm:"
)

// ParseSource reads a key setting's prefix. A value without one of the AWS
// prefixes is SourceLocal with Ref the value itself (never shown: use
// DescribeSetting). An AWS prefix with nothing after it is an error.
func ParseSource(value string) (Source, error) {
	v := strings.TrimSpace(value)
	for _, p := range []struct {
		prefix string
		kind   SourceKind
		want   string
	}{
		{PrefixKMS, SourceKMS, "a KMS key ID, alias/NAME or ARN"},
		{PrefixSecretsManager, SourceSecretsManager, "a secret name or ARN"},
		{PrefixSSM, SourceSSM, "a parameter path like /cfsign/private_key"},
	} {
		rest, ok := strings.CutPrefix(v, p.prefix)
		if !ok {
			continue
		}
		s := Source{Kind: p.kind, Ref: rest}
		if p.kind == SourceSecretsManager {
			// An ARN holds no '#', so the last one starts the field.
			if i := strings.LastIndexByte(rest, '#'); i >= 0 {
				s.Ref, s.Field = rest[:i], rest[i+1:]
				if s.Field == "" {
					return Source{}, fmt.Errorf("%s: nothing after #: give the JSON field holding the key, or drop the #", p.prefix)
				}
			}
		}
		if s.Ref == "" || strings.ContainsAny(s.Ref, " \t\r\n") {
			return Source{}, fmt.Errorf("%s needs %s after it", p.prefix, p.want)
		}
		return s, nil
	}
	return Source{Kind: SourceLocal, Ref: v}, nil
}

// Remote reports whether the key lives in AWS.
func (s Source) Remote() bool { return s.Kind != SourceLocal }

// String names the source for messages: "KMS key alias/x", "secret NAME
// (JSON field F)", "parameter /p". A local source says "a local key".
func (s Source) String() string {
	switch s.Kind {
	case SourceKMS:
		return "KMS key " + s.Ref
	case SourceSecretsManager:
		if s.Field != "" {
			return fmt.Sprintf("secret %s (JSON field %s)", s.Ref, s.Field)
		}
		return "secret " + s.Ref
	case SourceSSM:
		return "parameter " + s.Ref
	}
	return "a local key"
}

// Setting is the setting text for the source (kms:alias/x, ...).
func (s Source) Setting() string {
	switch s.Kind {
	case SourceKMS:
		return PrefixKMS + s.Ref
	case SourceSecretsManager:
		if s.Field != "" {
			return PrefixSecretsManager + s.Ref + "#" + s.Field
		}
		return PrefixSecretsManager + s.Ref
	case SourceSSM:
		return PrefixSSM + s.Ref
	}
	return s.Ref
}
