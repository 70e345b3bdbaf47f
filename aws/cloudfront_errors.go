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
