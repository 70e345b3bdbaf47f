package aws

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/cfsign/cfsign/aws/internal/awsjson"
	"github.com/cfsign/cfsign/keys"
)

// KeySourceOptions choose the account and endpoints for keys kept in AWS.
// The endpoints default to what the SDK reads itself
// (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_SECRETS_MANAGER,
// AWS_ENDPOINT_URL_SSM, the shared config); callers pass them explicitly
// when they read the environment through something other than os.Getenv.
//
// KMS, Secrets Manager and Parameter Store are called through awsjson, the
// SDK's transport without its generated clients of these services, whose
// tables every start of cfsign paid for (docs/performance.md).
type KeySourceOptions struct {
	ClientOptions
	KMSEndpointURL            string
	SecretsManagerEndpointURL string
	SSMEndpointURL            string
}

// KMS quotas: real KMS accepts a RAW message up to this many bytes; a
// longer policy is sent as its SHA-256 digest.
const kmsMaxRawMessage = 4096

// kmsMaxAttempts is how often a KMS request is tried: a batch that hits
// the account's request quota (ThrottlingException) backs off and goes on.
const kmsMaxAttempts = 10

// kmsCallTimeout bounds one KMS request, retries included.
const kmsCallTimeout = 60 * time.Second

// MaxKMSInFlight is how many KMS Sign requests a batch keeps in flight: far
// below KMS's per-account quota for asymmetric signing (hundreds a
// second), enough to hide the round trip.
const MaxKMSInFlight = 16

// LoadKeySigner loads the signer a private key setting names. Keys in
// files or key text load through keys.LoadPrivateSetting (warning is its
// file-mode warning); kms: gives a signer whose private key stays in KMS;
// secretsmanager: and ssm: fetch the PEM text and keep it in memory only.
// from names where the setting came from; errors name the secret or
// parameter, never its value.
func LoadKeySigner(ctx context.Context, value, from string, opts KeySourceOptions) (signer crypto.Signer, warning string, err error) {
	src, err := keys.ParseSource(value)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", from, err)
	}
	switch src.Kind {
	case keys.SourceLocal:
		return keys.LoadPrivateSetting(value, from)
	case keys.SourceKMS:
		s, err := NewKMSSigner(ctx, src.Ref, opts)
		return s, "", err
	}
	text, err := FetchKeyText(ctx, src, opts)
	if err != nil {
		return nil, "", err
	}
	signer, err = keys.ParsePrivateText(text, src.String())
	return signer, "", err
}

// FetchKeyText reads the PEM text of a key kept in Secrets Manager or
// Parameter Store. The text is returned, never logged or written anywhere.
func FetchKeyText(ctx context.Context, src keys.Source, opts KeySourceOptions) (string, error) {
	cfg, err := keySourceConfig(ctx, opts.ClientOptions)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, kmsCallTimeout)
	defer cancel()
	switch src.Kind {
	case keys.SourceSecretsManager:
		api := keyService(cfg, awsjson.SecretsManager, opts.SecretsManagerEndpointURL, opts.ClientOptions)
		var out struct {
			SecretString *string
			SecretBinary []byte
		}
		if err := api.Call(ctx, "GetSecretValue", struct{ SecretId string }{src.Ref}, &out); err != nil {
			return "", fmt.Errorf("read secret %s: %s", src.Ref, keySourceError(err, "secret"))
		}
		text := sdkaws.ToString(out.SecretString)
		if out.SecretString == nil {
			text = string(out.SecretBinary)
		}
		if src.Field == "" {
			return text, nil
		}
		var fields map[string]any
		if err := json.Unmarshal([]byte(text), &fields); err != nil {
			// The decoder's message may quote the value: name the secret only.
			return "", fmt.Errorf("read secret %s: field %s asked for, but the secret is not a JSON object", src.Ref, src.Field)
		}
		v, ok := fields[src.Field]
		if !ok {
			return "", fmt.Errorf("read secret %s: it has no JSON field %s", src.Ref, src.Field)
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("read secret %s: JSON field %s is not a string", src.Ref, src.Field)
		}
		return s, nil
	case keys.SourceSSM:
		api := keyService(cfg, awsjson.SSM, opts.SSMEndpointURL, opts.ClientOptions)
		in := struct {
			Name           string
			WithDecryption bool
		}{src.Ref, true}
		var out struct{ Parameter *struct{ Value *string } }
		if err := api.Call(ctx, "GetParameter", in, &out); err != nil {
			return "", fmt.Errorf("read parameter %s: %s", src.Ref, keySourceError(err, "parameter"))
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return "", fmt.Errorf("read parameter %s: it has no value", src.Ref)
		}
		return *out.Parameter.Value, nil
	}
	return "", fmt.Errorf("%s is not kept in Secrets Manager or Parameter Store", src)
}

// keyService is a client of a key service for cfg, its endpoint endpointURL
// when set, its HTTP client bounded as every cfsign client is.
func keyService(cfg sdkaws.Config, svc awsjson.Service, endpointURL string, opts ClientOptions) *awsjson.Client {
	base := awsjson.ConfiguredEndpoint(cfg, svc, endpointURL)
	name := svc.ID
	if svc.ID == awsjson.SSM.ID {
		name = "Parameter Store"
	}
	return awsjson.New(cfg, svc, base, boundedHTTPClient(cfg.HTTPClient, opts, name, &base))
}

// keySourceConfig loads the AWS config for key sources: the shared chain,
// with more retries so a throttled batch rides out the quota.
func keySourceConfig(ctx context.Context, opts ClientOptions) (sdkaws.Config, error) {
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = kmsMaxAttempts
	}
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return cfg, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// keySourceError says in words what an AWS error means for a key source;
// the SDK's messages hold no secret values, but the short form reads
// better on one line.
func keySourceError(err error, what string) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ResourceNotFoundException", "ParameterNotFound", "NotFoundException":
			return fmt.Sprintf("no such %s (%s)", what, ae.ErrorCode())
		case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException":
			return fmt.Sprintf("access denied (%s): the AWS identity may not read this %s", ae.ErrorCode(), what)
		case "DisabledException":
			return "the key is disabled (DisabledException): enable it in KMS"
		case "KMSInvalidStateException":
			return "the key is not usable in its current state (KMSInvalidStateException), for example pending deletion"
		case "ThrottlingException":
			return "KMS kept throttling the requests (ThrottlingException) after retries: sign fewer at once or raise the quota"
		}
		return fmt.Sprintf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	// Not an answer from the service (no connection, timed out,
	// credentials): S3's explanations, naming this service.
	who := &Client{service: "AWS"}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		who.service = op.ServiceID
	}
	if r := who.reason("", "", err); r != "" {
		return r
	}
	return err.Error()
}

// KMSSigner signs with an asymmetric KMS key; the private key never leaves
// KMS. It implements crypto.Signer (for a SHA-256 digest, MessageType
// DIGEST) and crypto.MessageSigner (the message itself, MessageType RAW up
// to 4,096 bytes), and is safe for concurrent use.
type KMSSigner struct {
	api *awsjson.Client
	// ctx is the command's: a Ctrl-C ends calls in flight.
	ctx       context.Context
	keyID     string // as given
	arn       string
	pub       crypto.PublicKey
	algorithm string // KMS's SigningAlgorithmSpec
}

// kmsKeyMetadata is what cfsign reads of KMS's KeyMetadata.
type kmsKeyMetadata struct {
	KeyId, Arn                  string
	KeyUsage, KeySpec, KeyState string
	Enabled                     bool
}

// KMS names (KeySpec, KeyUsage, SigningAlgorithmSpec, MessageType).
const (
	kmsRSA2048       = "RSA_2048"
	kmsP256          = "ECC_NIST_P256"
	kmsSignVerify    = "SIGN_VERIFY"
	kmsRSASHA256     = "RSASSA_PKCS1_V1_5_SHA_256"
	kmsECDSASHA256   = "ECDSA_SHA_256"
	kmsMessageRaw    = "RAW"
	kmsMessageDigest = "DIGEST"
)

// NewKMSSigner checks that keyID (an ID, alias/NAME or ARN) names a KMS key
// that can sign for CloudFront (SIGN_VERIFY, RSA_2048 or ECC_NIST_P256,
// enabled) and fetches its public key.
func NewKMSSigner(ctx context.Context, keyID string, opts KeySourceOptions) (*KMSSigner, error) {
	cfg, err := keySourceConfig(ctx, opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	api := keyService(cfg, awsjson.KMS, opts.KMSEndpointURL, opts.ClientOptions)
	return kmsSignerFor(ctx, api, keyID)
}

func kmsSignerFor(ctx context.Context, api *awsjson.Client, keyID string) (*KMSSigner, error) {
	cctx, cancel := context.WithTimeout(ctx, kmsCallTimeout)
	defer cancel()
	var desc struct{ KeyMetadata *kmsKeyMetadata }
	if err := api.Call(cctx, "DescribeKey", struct{ KeyId string }{keyID}, &desc); err != nil {
		return nil, fmt.Errorf("KMS key %s: %s", keyID, keySourceError(err, "key"))
	}
	md := desc.KeyMetadata
	if md == nil {
		return nil, fmt.Errorf("KMS key %s: KMS returned no key metadata", keyID)
	}
	if md.KeyUsage != kmsSignVerify {
		return nil, fmt.Errorf("KMS key %s cannot sign for CloudFront: its key usage is %s; CloudFront needs an asymmetric SIGN_VERIFY key (RSA_2048 or ECC_NIST_P256): make one with 'cfsign keys create --kms'", keyID, md.KeyUsage)
	}
	var alg string
	switch md.KeySpec {
	case kmsRSA2048:
		alg = kmsRSASHA256
	case kmsP256:
		alg = kmsECDSASHA256
	default:
		return nil, fmt.Errorf("KMS key %s cannot sign for CloudFront: its key spec is %s; CloudFront accepts RSA 2048-bit (RSA_2048) and ECDSA P-256 (ECC_NIST_P256) keys only", keyID, md.KeySpec)
	}
	if !md.Enabled {
		return nil, fmt.Errorf("KMS key %s cannot sign: its state is %s", keyID, md.KeyState)
	}
	var pk struct{ PublicKey []byte }
	if err := api.Call(cctx, "GetPublicKey", struct{ KeyId string }{keyID}, &pk); err != nil {
		return nil, fmt.Errorf("KMS key %s: get public key: %s", keyID, keySourceError(err, "key"))
	}
	pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("KMS key %s: its public key does not parse: %v", keyID, err)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("KMS key %s: ECDSA key not on P-256", keyID)
		}
	default:
		return nil, fmt.Errorf("KMS key %s: %T public key cannot sign for CloudFront", keyID, pub)
	}
	return &KMSSigner{api: api, ctx: ctx, keyID: keyID, arn: md.Arn, pub: pub, algorithm: alg}, nil
}

// Public returns the key's public half, as GetPublicKey gave it.
func (s *KMSSigner) Public() crypto.PublicKey { return s.pub }

// ARN is the key's ARN.
func (s *KMSSigner) ARN() string { return s.arn }

// KeyID is the key as the setting named it.
func (s *KMSSigner) KeyID() string { return s.keyID }

// ErrKMSHash is returned when asked to sign with anything but SHA-256.
var ErrKMSHash = errors.New("KMS keys sign with SHA-256 only: KMS has no SHA-1 signing, so use CloudFront's SHA-256 mode (--hash sha256, the default for KMS keys)")

// Sign signs a SHA-256 digest (MessageType DIGEST).
func (s *KMSSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, ErrKMSHash
	}
	return s.sign(digest, kmsMessageDigest)
}

// SignMessage signs msg: as it is (RAW) up to 4,096 bytes, else its SHA-256
// digest (DIGEST).
func (s *KMSSigner) SignMessage(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 {
		return nil, ErrKMSHash
	}
	if len(msg) <= kmsMaxRawMessage {
		return s.sign(msg, kmsMessageRaw)
	}
	d := sha256.Sum256(msg)
	return s.sign(d[:], kmsMessageDigest)
}

func (s *KMSSigner) sign(msg []byte, messageType string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(s.ctx, kmsCallTimeout)
	defer cancel()
	in := struct {
		KeyId                         string
		Message                       []byte
		MessageType, SigningAlgorithm string
	}{s.keyID, msg, messageType, s.algorithm}
	var out struct{ Signature []byte }
	if err := s.api.Call(ctx, "Sign", in, &out); err != nil {
		return nil, fmt.Errorf("KMS key %s: sign: %s", s.keyID, keySourceError(err, "key"))
	}
	return out.Signature, nil
}

// KMSKeyType is the kind of KMS key CreateKMSKey makes.
type KMSKeyType string

// KMS key types that can sign for CloudFront.
const (
	KMSRSA   KMSKeyType = "rsa"
	KMSECDSA KMSKeyType = "ecdsa"
)

// CreateKMSKey makes an asymmetric signing key in KMS (RSA_2048 or
// ECC_NIST_P256), names it with alias (alias/ added when missing; "" for
// none), and returns a signer for it.
func CreateKMSKey(ctx context.Context, t KMSKeyType, alias, description string, opts KeySourceOptions) (*KMSSigner, error) {
	cfg, err := keySourceConfig(ctx, opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	api := keyService(cfg, awsjson.KMS, opts.KMSEndpointURL, opts.ClientOptions)
	spec := kmsRSA2048
	if t == KMSECDSA {
		spec = kmsP256
	}
	if alias != "" && !strings.HasPrefix(alias, "alias/") {
		alias = "alias/" + alias
	}
	cctx, cancel := context.WithTimeout(ctx, kmsCallTimeout)
	defer cancel()
	var out struct{ KeyMetadata kmsKeyMetadata }
	if err := api.Call(cctx, "CreateKey", struct{ KeySpec, KeyUsage, Description string }{spec, kmsSignVerify, description}, &out); err != nil {
		return nil, fmt.Errorf("create KMS key: %s", keySourceError(err, "key"))
	}
	id := out.KeyMetadata.KeyId
	if alias != "" {
		if err := api.Call(cctx, "CreateAlias", struct{ AliasName, TargetKeyId string }{alias, id}, nil); err != nil {
			return nil, fmt.Errorf("KMS key %s created, but alias %s: %s", out.KeyMetadata.Arn, alias, keySourceError(err, "alias"))
		}
	}
	return kmsSignerFor(ctx, api, id)
}
