package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
)

// ExplainedError is an error rewritten for a user: Error is one line that
// says what went wrong and what to do; Unwrap gives the SDK's error.
type ExplainedError struct {
	Msg string
	Err error
}

// Error returns the one-line explanation.
func (e *ExplainedError) Error() string { return e.Msg }

// Unwrap returns the original error, so errors.Is and errors.As still work.
func (e *ExplainedError) Unwrap() error { return e.Err }

// Explain turns an error from the AWS SDK into one line that names what to
// do. Errors from Client methods are already explained; Explain leaves them,
// and errors it does not recognise, as they are.
func Explain(err error) error {
	return (&Client{profile: os.Getenv("AWS_PROFILE")}).explain("", err)
}

func (c *Client) explain(op string, err error) error {
	return c.explainKey(op, "", "", err)
}

// explainKey is explain knowing the bucket and key, so a HEAD's bare 404 can
// say which object is missing.
func (c *Client) explainKey(op, bucket, key string, err error) error {
	if err == nil {
		return nil
	}
	var done *ExplainedError
	if errors.As(err, &done) {
		return err
	}
	msg := c.reason(bucket, key, err)
	if msg == "" {
		msg = err.Error()
		if op == "" {
			return err
		}
	}
	if op != "" {
		msg = op + ": " + msg
	}
	return &ExplainedError{Msg: msg, Err: err}
}

func (c *Client) profileName() string {
	if c.profile == "" {
		return "default"
	}
	return c.profile
}

func (c *Client) where() string {
	service := c.service
	if service == "" {
		service = "S3"
	}
	if c.endpoint == "" {
		return service
	}
	return service + " at " + c.endpoint
}

// reason is the explanation of err, or "" when there is nothing better to
// say than err's own text.
func (c *Client) reason(bucket, key string, err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		if strings.Contains(err.Error(), "Client.Timeout") {
			// The HTTP client's own deadline: the server did not answer.
			return fmt.Sprintf("%s did not answer in time (timed out): check the endpoint and your network, then try again", c.where())
		}
		return "timed out"
	}
	var tooLarge *ResponseTooLargeError
	if errors.As(err, &tooLarge) {
		return tooLarge.Error()
	}
	prof := c.profileName()

	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return fmt.Sprintf("AWS profile %q not found in ~/.aws/config (or AWS_CONFIG_FILE): check the name or run aws configure --profile %s", noProfile.Profile, noProfile.Profile)
	}
	var ssoErr *ssocreds.InvalidTokenError
	text := err.Error()
	if errors.As(err, &ssoErr) || strings.Contains(text, "SSO token") || strings.Contains(text, "SSO session") {
		return fmt.Sprintf("the SSO session for profile %s has expired: run aws sso login --profile %s", prof, prof)
	}
	if strings.Contains(text, "custom CA bundle") {
		return fmt.Sprintf("AWS_CA_BUNDLE=%s could not be loaded as PEM certificates: fix the file or unset AWS_CA_BUNDLE", os.Getenv("AWS_CA_BUNDLE"))
	}
	if strings.Contains(text, "failed to refresh cached credentials") || strings.Contains(text, "EC2 IMDS") ||
		strings.Contains(text, "no valid credential") || strings.Contains(text, "failed to retrieve credentials") ||
		strings.Contains(text, "static credentials are empty") {
		return "no AWS credentials found: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws configure"
	}
	if strings.Contains(text, "region") && (strings.Contains(text, "not found") || strings.Contains(text, "Invalid region")) {
		return "no valid AWS region: pass --region or set AWS_REGION, or set region in the profile"
	}

	var api smithy.APIError
	if errors.As(err, &api) {
		attempts := ""
		var max *retry.MaxAttemptsError
		if errors.As(err, &max) {
			attempts = fmt.Sprintf(" after %d attempts", max.Attempt)
		}
		status := s3HTTPStatus(err)
		switch code := api.ErrorCode(); code {
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "UnrecognizedClientException":
			return fmt.Sprintf("AWS credentials rejected (%s): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or run aws configure --profile %s", code, prof)
		case "ExpiredToken", "TokenRefreshRequired", "InvalidToken", "ExpiredTokenException":
			return fmt.Sprintf("the AWS session token has expired (%s): refresh your credentials (aws sso login --profile %s, or a new session)", code, prof)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Sprintf("access denied by %s: the credentials of profile %s lack permission for this", c.where(), prof)
		case "NoSuchBucket":
			if bucket == "" {
				return "the bucket does not exist: check the name (cfsign ls lists your buckets)"
			}
			return fmt.Sprintf("bucket %s does not exist: check the name (cfsign ls lists your buckets)", bucket)
		case "NoSuchKey":
			return fmt.Sprintf("no object %q in bucket %s", key, bucket)
		case "NotFound":
			if key != "" {
				return fmt.Sprintf("no object %q in bucket %s (or the bucket does not exist)", key, bucket)
			}
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			if r := s3BucketRegion(err); r != "" {
				return fmt.Sprintf("the bucket is in region %s, not %s: pass --region %s", r, c.region, r)
			}
			return fmt.Sprintf("the bucket is in another region than %s: pass --region", c.region)
		case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests":
			return fmt.Sprintf("%s is throttling requests (%s)%s: try again later or lower --concurrency", c.where(), code, attempts)
		case "EntityTooSmall":
			return "a part is smaller than S3's 5 s3MiB minimum: use a larger --part-size"
		}
		if status >= 500 {
			return fmt.Sprintf("%s failed with HTTP %d %s%s: try again later", c.where(), status, api.ErrorCode(), attempts)
		}
		if status == http.StatusMovedPermanently {
			if r := s3BucketRegion(err); r != "" {
				return fmt.Sprintf("the bucket is in region %s, not %s: pass --region %s", r, c.region, r)
			}
		}
		if status == http.StatusNotFound && key != "" {
			return fmt.Sprintf("no object %q in bucket %s", key, bucket)
		}
		return ""
	}
	// A 404 whose body the SDK could not read (some servers answer HTML, or
	// XML 1.0 cannot carry the key) still means the object is missing.
	if s3HTTPStatus(err) == http.StatusNotFound && key != "" {
		return fmt.Sprintf("no object %q in bucket %s", key, bucket)
	}

	var to interface{ Timeout() bool }
	var rto *awshttp.ResponseTimeoutError
	var idle *s3IdleTimeoutError
	if errors.As(err, &idle) {
		return fmt.Sprintf("%s did not answer for %s (timed out): check the endpoint and your network, then try again", c.where(), idle.d)
	}
	if errors.As(err, &rto) || (errors.As(err, &to) && to.Timeout()) {
		return fmt.Sprintf("%s did not answer in time (timed out): check the endpoint and your network, then try again", c.where())
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Sprintf("cannot connect to %s: connection refused: is the server running?", c.where())
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || strings.Contains(text, "connection reset") ||
		strings.Contains(text, "broken pipe") || strings.Contains(text, "EOF") || strings.Contains(text, "server closed") {
		return fmt.Sprintf("the connection to %s was lost: check the server and your network, then try again", c.where())
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Sprintf("cannot resolve %s: check the endpoint and your network", dns.Name)
	}
	return ""
}

// s3APICode is the S3 error code of err, or "".
func s3APICode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func s3HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

func s3BucketRegion(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

// IsNotFound reports whether err is S3 saying there is no such object:
// a 404, or NoSuchKey.
func IsNotFound(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound") {
		return true
	}
	return s3HTTPStatus(err) == http.StatusNotFound
}
