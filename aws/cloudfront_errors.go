package aws

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// explained replaces *err with the same plain explanation S3 errors get
// (credentials rejected, access denied, no connection, throttling...), for
// every exported CloudFront method: "operation error CloudFront:
// ListPublicKeys, https response error StatusCode: 403, RequestID: …" tells a
// user nothing. The method's own context ("list CloudFront public keys: ")
// stays in front.
func (c *CloudFront) explained(err *error) {
	if *err == nil {
		return
	}
	var done *ExplainedError
	if errors.As(*err, &done) {
		return
	}
	who := &Client{profile: c.profile, endpoint: c.endpoint, region: "us-east-1", service: "CloudFront"}
	reason := who.reason("", "", *err)
	if reason == "" {
		reason = cloudFrontReason(*err)
	}
	if reason == "" {
		return
	}
	msg := reason
	var op *smithy.OperationError
	if errors.As(*err, &op) {
		text := (*err).Error()
		if i := strings.Index(text, op.Error()); i >= 0 {
			msg = text[:i] + reason
		}
	}
	*err = &ExplainedError{Msg: msg, Err: *err}
}

// cloudFrontReason explains CloudFront's own error codes, and says any other
// as CloudFront's code and message, without the SDK's wrapping.
func cloudFrontReason(err error) string {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return ""
	}
	switch code := api.ErrorCode(); code {
	case "TooManyPublicKeys":
		return "the account already holds CloudFront's limit of public keys (TooManyPublicKeys): delete one no longer used (cfsign keys retire KEY_PAIR_ID --delete) or ask AWS for a higher quota"
	case "TooManyKeyGroups":
		return "the account already holds CloudFront's limit of key groups (TooManyKeyGroups): delete one no longer used, or ask AWS for a higher quota"
	case "TooManyPublicKeysInKeyGroup":
		return "the key group already holds CloudFront's limit of 5 public keys (TooManyPublicKeysInKeyGroup): retire one first with cfsign keys retire KEY_PAIR_ID"
	case "PublicKeyInUse":
		return "the public key is still in a key group (PublicKeyInUse): remove it from every key group first (cfsign keys retire KEY_PAIR_ID)"
	default:
		if msg := api.ErrorMessage(); msg != "" {
			return code + ": " + msg
		}
		return code
	}
}
