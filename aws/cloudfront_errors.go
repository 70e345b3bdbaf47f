package aws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

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

// deadlineClient gives each request a deadline of its own, and reports
// hitting it as the server not answering (s3IdleTimeoutError, which the
// SDK retries and reason explains), not as a cancelled context.
type deadlineClient struct {
	inner interface {
		Do(*http.Request) (*http.Response, error)
	}
	d time.Duration
}

func (c deadlineClient) Do(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), c.d)
	resp, err := c.inner.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil {
			return nil, &s3IdleTimeoutError{d: c.d}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose ends a request's deadline when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
