// Package awsjson calls operations of AWS services that speak the AWS JSON
// 1.1 protocol (KMS, Secrets Manager, Systems Manager) through the AWS SDK's
// own transport: the credentials chain, SigV4 signer, retryer, HTTP client
// and error types of an aws.Config, and the endpoint the SDK's generated
// client would choose (endpoint.go).
//
// It exists for start-up time. The SDK's generated clients of these services
// build tables describing every operation of the service when the program
// starts (about 2 MB of allocations and a garbage collection), and every
// cfsign command paid for them, while only a few commands call one or two of
// their operations. Here an operation is its name and two plain structs that
// encoding/json reads and writes; nothing is built before the first call.
package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Service is one service that speaks AWS JSON 1.1.
type Service struct {
	// ID is the SDK's service ID: errors name it (smithy.OperationError),
	// and AWS_ENDPOINT_URL_<ID> and the shared config's services section
	// give its endpoint.
	ID string
	// SigningName is its SigV4 name and its endpoints' first label.
	SigningName string
	// Target prefixes the operation name in X-Amz-Target.
	Target string
	// endpoint adjusts the host and DNS suffix of the default endpoint
	// where the service's rules differ from the standard ones.
	endpoint func(partition string, fips, dualStack bool, host, suffix string) (string, string)
}

// The services cfsign calls.
var (
	KMS            = Service{ID: "KMS", SigningName: "kms", Target: "TrentService"}
	SecretsManager = Service{ID: "Secrets Manager", SigningName: "secretsmanager", Target: "secretsmanager", endpoint: secretsManagerEndpoint}
	SSM            = Service{ID: "SSM", SigningName: "ssm", Target: "AmazonSSM", endpoint: ssmEndpoint}
)

// Client calls one service's operations.
type Client struct {
	svc      Service
	cfg      aws.Config
	http     aws.HTTPClient
	endpoint string
	// endpointErr is the SDK's answer when no endpoint applies (a FIPS
	// endpoint asked for with a custom one, a bad region): every call
	// returns it, as the SDK's client does.
	endpointErr error
	retryer     aws.Retryer
	signer      *v4.Signer
	// skew is the clock offset the server's Date answers showed, applied
	// to the signing time as the SDK's clients do.
	skew atomic.Int64
}

// New returns a client of svc for cfg. endpointURL, when not "", is the
// endpoint to call (as the generated client's BaseEndpoint option); else the
// SDK's choice applies (AWS_ENDPOINT_URL_<ID>, the shared config, the
// region's default). client, when not nil, replaces cfg.HTTPClient.
func New(cfg aws.Config, svc Service, endpointURL string, client aws.HTTPClient) *Client {
	c := &Client{svc: svc, cfg: cfg, http: client, signer: v4.NewSigner()}
	if c.http == nil {
		c.http = cfg.HTTPClient
	}
	if c.http == nil {
		c.http = awshttp.NewBuildableClient()
	}
	c.endpoint, c.endpointErr = resolveEndpoint(cfg, svc, endpointURL)
	if cfg.Retryer != nil {
		c.retryer = cfg.Retryer()
	} else {
		c.retryer = retry.NewStandard()
	}
	if cfg.RetryMaxAttempts != 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	return c
}

// ConfiguredEndpoint is the endpoint of svc that explicit, the environment
// or the shared config set, or "" for AWS's own.
func ConfiguredEndpoint(cfg aws.Config, svc Service, explicit string) string {
	if explicit != "" {
		return explicit
	}
	return configuredEndpoint(cfg, svc)
}

// Call runs operation op with in as its JSON input and decodes its answer
// into out (nil to discard it). Errors are the SDK's: a
// *smithy.OperationError naming the service and operation, around an
// *awshttp.ResponseError with a smithy.APIError for an answer that is an
// error, or the transport's error.
func (c *Client) Call(ctx context.Context, op string, in, out any) error {
	if c.endpointErr != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: op, Err: c.endpointErr}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: op, Err: &smithy.SerializationError{Err: err}}
	}
	stack := middleware.NewStack(op, smithyhttp.NewStackRequest)
	if err := c.addMiddlewares(stack, op, body, out); err != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: op, Err: err}
	}
	logger := c.cfg.Logger
	if logger == nil {
		logger = logging.Nop{}
	}
	ctx = middleware.ClearStackValues(ctx)
	ctx = middleware.WithServiceID(ctx, c.svc.ID)
	ctx = middleware.WithOperationName(ctx, op)
	ctx = middleware.SetLogger(ctx, logging.WithContext(ctx, logger))
	handler := middleware.DecorateHandler(smithyhttp.NewClientHandler(c.http), stack)
	if _, _, err := handler.Handle(ctx, in); err != nil {
		return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: op, Err: err}
	}
	return nil
}

// addMiddlewares builds the stack a generated client builds for one
// operation of the protocol, with the SDK's own middlewares wherever they
// are public.
func (c *Client) addMiddlewares(stack *middleware.Stack, op string, body []byte, out any) error {
	adds := []func(*middleware.Stack) error{
		func(s *middleware.Stack) error {
			return s.Initialize.Add(&awsmiddleware.RegisterServiceMetadata{
				ServiceID: c.svc.ID, SigningName: c.svc.SigningName, Region: c.cfg.Region, OperationName: op,
			}, middleware.Before)
		},
		func(s *middleware.Stack) error {
			return s.Serialize.Add(&serializer{endpoint: c.endpoint, target: c.svc.Target + "." + op, body: body}, middleware.After)
		},
		awsmiddleware.AddClientRequestIDMiddleware,
		smithyhttp.AddComputeContentLengthMiddleware,
		awsmiddleware.AddRequestUserAgentMiddleware,
		awsmiddleware.AddSDKAgentKey(awsmiddleware.APIMetadata, c.svc.SigningName),
		awsmiddleware.AddRecursionDetection,
		func(s *middleware.Stack) error {
			return s.Finalize.Add(&signer{c: c}, middleware.After)
		},
		func(s *middleware.Stack) error {
			attempt := retry.NewAttemptMiddleware(c.retryer, smithyhttp.RequestCloner, func(m *retry.Attempt) {
				m.LogAttempts = c.cfg.ClientLogMode.IsRetries()
				m.ClientSkew = &c.skew
			})
			return s.Finalize.Insert(attempt, "Signing", middleware.Before)
		},
		func(s *middleware.Stack) error {
			return s.Deserialize.Add(&deserializer{out: out}, middleware.After)
		},
		awsmiddleware.AddRequestIDRetrieverMiddleware,
		awshttp.AddResponseErrorMiddleware,
		awsmiddleware.AddRawResponseToMetadata,
		awsmiddleware.AddRecordResponseTiming,
		smithyhttp.AddErrorCloseResponseBodyMiddleware,
		smithyhttp.AddCloseResponseBodyMiddleware,
	}
	for _, add := range adds {
		if err := add(stack); err != nil {
			return err
		}
	}
	return nil
}

// serializer builds the request: a POST of the JSON input to the endpoint,
// the operation named in X-Amz-Target.
type serializer struct {
	endpoint, target string
	body             []byte
}

func (*serializer) ID() string { return "OperationSerializer" }

func (m *serializer) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (
	middleware.SerializeOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("unknown transport type %T", in.Request)}
	}
	u, err := req.URL.Parse(m.endpoint)
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	req.URL = u
	req.Method = http.MethodPost
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", m.target)
	if req, err = req.SetStream(bytes.NewReader(m.body)); err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	in.Request = req
	return next.HandleSerialize(ctx, in)
}

// signer signs each attempt with SigV4 (the SDK's signer), at the server's
// time as far as the answers so far showed it.
type signer struct{ c *Client }

// ID is the name the retry middleware places itself before.
func (*signer) ID() string { return "Signing" }

func (m *signer) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("unexpected request middleware type %T", in.Request)}
	}
	if p := m.c.cfg.Credentials; p != nil && !isAnonymous(p) {
		creds, err := p.Retrieve(ctx)
		if err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("failed to retrieve credentials: %w", err)}
		}
		hash, err := payloadHash(req)
		if err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: err}
		}
		at := time.Now().Add(time.Duration(m.c.skew.Load()))
		if err := m.c.signer.SignHTTP(ctx, creds, req.Request, hash, m.c.svc.SigningName, m.c.cfg.Region, at); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, &v4.SigningError{Err: fmt.Errorf("failed to sign http request, %w", err)}
		}
	}
	out, md, err := next.HandleFinalize(ctx, in)
	// The next attempt, if any, signs at the time this answer's Date
	// showed; the retry middleware also keeps it for later calls.
	if skew, ok := awsmiddleware.GetAttemptSkew(md); ok {
		m.c.skew.Store(int64(skew))
	}
	return out, md, err
}

// isAnonymous reports whether p is the SDK's provider of no credentials,
// with which requests go unsigned.
func isAnonymous(p aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(p, (*aws.AnonymousCredentials)(nil))
}

// payloadHash is the hex SHA-256 of the request body, which the serializer
// made seekable.
func payloadHash(req *smithyhttp.Request) (string, error) {
	stream := req.GetStream()
	if stream == nil {
		return sha256Hex(nil), nil
	}
	b, err := io.ReadAll(stream)
	if err != nil {
		return "", fmt.Errorf("compute payload sha256: %w", err)
	}
	if err := req.RewindStream(); err != nil {
		return "", fmt.Errorf("compute payload sha256: %w", err)
	}
	return sha256Hex(b), nil
}

// deserializer reads the answer: out from a 2xx, else the service's error
// (its code from X-Amzn-ErrorType or the body's __type or code, without
// the namespace) as a smithy.GenericAPIError.
type deserializer struct{ out any }

func (*deserializer) ID() string { return "OperationDeserializer" }

func (m *deserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	out middleware.DeserializeOutput, md middleware.Metadata, err error,
) {
	out, md, err = next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("unknown transport type %T", out.RawResponse)}
	}
	defer func() { smithyhttp.CloseResponseBody(ctx, resp, false, err) }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to read response body, %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, md, apiError(resp, body)
	}
	out.Result = m.out
	if len(bytes.TrimSpace(body)) == 0 {
		return out, md, nil
	}
	into := m.out
	if into == nil {
		into = new(json.RawMessage) // still checked, as the SDK's clients check it
	}
	if err := json.Unmarshal(body, into); err != nil {
		return out, md, &smithy.DeserializationError{Err: err, Snapshot: snapshot(body)}
	}
	return out, md, nil
}

// apiError is the error an answer with an error status holds.
func apiError(resp *smithyhttp.Response, body []byte) error {
	var info struct {
		Type    string `json:"__type"`
		Code    any
		Message string
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &info); err != nil {
			return &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err), Snapshot: snapshot(body)}
		}
	}
	code := "UnknownError"
	switch s, _ := info.Code.(string); {
	case resp.Header.Get("X-Amzn-ErrorType") != "":
		code = restjson.SanitizeErrorCode(resp.Header.Get("X-Amzn-ErrorType"))
	case info.Type != "":
		code = restjson.SanitizeErrorCode(info.Type)
	case s != "":
		code = restjson.SanitizeErrorCode(s)
	}
	msg := code
	if info.Message != "" {
		msg = info.Message
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}

// snapshot is the start of a body that did not decode, for the error.
func snapshot(body []byte) []byte {
	return body[:min(len(body), 1024)]
}
