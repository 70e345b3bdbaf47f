// Package doctor explains why a signed CloudFront URL gets the answer it gets:
// it requests the URL, reads who refused it (the edge or the origin) and why,
// and names the likely cause and the fix. It is cfsign's `doctor` command and
// the setup screen's "Test link".
package doctor

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
)

// Where an error response came from.
const (
	SourceCloudFront = "cloudfront" // the edge refused the request itself
	SourceOrigin     = "origin"     // the edge forwarded it and S3 answered
)

// Diagnosis is the outcome of a live check of one URL, for the CLI's doctor
// and the setup screen's "Test link".
type Diagnosis struct {
	OK      bool
	Status  int           // HTTP status; 0 when no response arrived
	Code    string        // error code from the response body, e.g. InvalidKey; "" when none
	Message string        // the response's own message, or the network error
	Source  string        // SourceCloudFront, SourceOrigin or "" (no response / unknown)
	Cause   string        // one line: the likely cause
	Fix     string        // one line: what to do about it
	Skew    time.Duration // server clock minus local clock, when the response had a Date
	// RequestID is the edge's ID of its answer (X-Amz-Cf-Id), what AWS
	// support asks for; on the sandbox it finds the refusal in its log.
	RequestID string
}

// Options tune Diagnose.
type Options struct {
	Client  *http.Client  // nil uses a client with Timeout and no redirects
	Timeout time.Duration // per request; 0 means 10s
	Now     time.Time     // the local clock; zero means time.Now()
}

// bodyLimit caps how much of an error body is read.
const bodyLimit = 64 << 10

// skewLimit is the clock difference worth mentioning.
const skewLimit = 30 * time.Second

// Diagnose requests signedURL (HEAD, then a one-byte GET to read the error
// body when the HEAD fails) and explains the outcome. The error is only for a
// URL that cannot be requested at all; every network or HTTP outcome is a
// Diagnosis.
func Diagnose(ctx context.Context, signedURL string, opts Options) (Diagnosis, error) {
	u, err := url.Parse(signedURL)
	if err != nil {
		return Diagnosis{}, fmt.Errorf("doctor: %q is not a URL", signedurl.RedactURL(signedURL))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Diagnosis{}, fmt.Errorf("doctor: %q is not an http(s) URL", signedurl.RedactURL(signedURL))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{
			Timeout: opts.Timeout,
			// A redirect (e.g. http -> https) is an answer worth reporting, not following.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	resp, err := request(ctx, client, http.MethodHead, signedURL, opts.Timeout, false)
	if err != nil {
		return netError(u, err), nil
	}
	if resp.StatusCode < 300 {
		return Diagnosis{OK: true, Status: resp.StatusCode, Cause: "the link works", Skew: clockSkew(resp, now), RequestID: resp.Header.Get(signedurl.RequestIDHeader)}, nil
	}
	// HEAD answers carry no body, and the body holds the error code.
	full, err := request(ctx, client, http.MethodGet, signedURL, opts.Timeout, true)
	if err == nil && full.StatusCode == resp.StatusCode {
		resp = full
	}
	return ClassifyResponse(resp, signedURL, now), nil
}

// DiagnoseObject signs a short-lived (five-minute) URL for key through domain
// with signer and diagnoses it, as the setup screen's "Test link" and
// `cfsign doctor s3://bucket/key` do.
func DiagnoseObject(ctx context.Context, signer *signedurl.Signer, domain, originPath, key string, opts Options) (Diagnosis, error) {
	u, err := signedurl.ObjectURL(domain, originPath, key)
	if err != nil {
		return Diagnosis{}, fmt.Errorf("doctor: %w", err)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	signed, err := signer.SignURL(u, signedurl.PolicyOptions{Expires: now.Add(5 * time.Minute)}, now)
	if err != nil {
		return Diagnosis{}, fmt.Errorf("doctor: sign %s: %w", u, err)
	}
	return Diagnose(ctx, signed, opts)
}

func request(ctx context.Context, client *http.Client, method, rawURL string, timeout time.Duration, withBody bool) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "cfsign-doctor")
	if withBody {
		req.Header.Set("Range", "bytes=0-0")
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The URL is signed: an error names the link, not its signature.
			ue.URL = signedurl.RedactURL(ue.URL)
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, bodyLimit))
	if err != nil {
		return nil, err
	}
	// Keep the body for ClassifyResponse after the connection is gone.
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp, nil
}

// errorXML is the error document CloudFront and S3 both send.
type errorXML struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// ClassifyResponse explains an HTTP response to a (signed) CloudFront URL.
// It reads at most 64 KiB of resp.Body. now is the local clock, compared with
// the response's Date header to spot clock skew.
func ClassifyResponse(resp *http.Response, signedURL string, now time.Time) Diagnosis {
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, bodyLimit))
	}
	d := Diagnosis{Status: resp.StatusCode, Skew: clockSkew(resp, now), RequestID: resp.Header.Get(signedurl.RequestIDHeader)}
	var ex errorXML
	if len(body) > 0 && xml.Unmarshal(body, &ex) == nil {
		d.Code, d.Message = strings.TrimSpace(ex.Code), strings.TrimSpace(ex.Message)
	}
	d.Source = source(resp, ex)
	sig := parseSigned(signedURL)
	serverNow := now.Add(d.Skew)

	switch {
	case resp.StatusCode < 300:
		d.OK, d.Cause = true, "the link works"
	case resp.StatusCode < 400:
		d.Cause = fmt.Sprintf("the edge answered %d %s (to %s) instead of the file", resp.StatusCode, http.StatusText(resp.StatusCode), resp.Header.Get("Location"))
		d.Fix = "use the URL the edge redirects to (for example https://) when signing"
	case d.Source == SourceCloudFront && d.Code == "MissingKey":
		if sig.keyPairID == "" {
			d.Cause = "the URL is not signed but the distribution requires signed URLs or cookies"
			d.Fix = "sign the URL (cfsign sign) before sharing it"
		} else {
			d.Cause = "the edge did not find all of Key-Pair-Id, Signature and Expires or Policy"
			d.Fix = "share the whole signed URL; something cut or re-encoded its query string"
		}
	case d.Source == SourceCloudFront && d.Code == "InvalidKey":
		d.Cause = fmt.Sprintf("key pair ID %s is not in any key group this cache behaviour trusts (wrong key pair ID, or the key is not in a trusted group)", cmp.Or(sig.keyPairID, "(none)"))
		d.Fix = "check key_pair_id, then add that public key to a key group the distribution trusts (cfsign keys register --key-group GROUP)"
	case d.Source == SourceCloudFront && d.Code == "MalformedPolicy":
		d.Cause = "the edge could not read the signed policy"
		d.Fix = "sign the URL again; the Policy parameter was damaged or hand-edited"
	case d.Source == SourceCloudFront && resp.StatusCode == http.StatusForbidden && (d.Code == "AccessDenied" || d.Code == ""):
		d.Cause, d.Fix = accessDeniedCause(sig, now, serverNow, d.Skew)
	case d.Source == SourceOrigin && (d.Code == "AccessDenied" || resp.StatusCode == http.StatusForbidden):
		d.Cause = "CloudFront accepted the signature but S3 refused CloudFront: the bucket policy does not let this distribution read (no OAC or no policy statement), or the object does not exist (S3 says 403, not 404, when CloudFront may not list the bucket)"
		d.Fix = "check the object key and origin path, and add the bucket-policy statement for this distribution (cfsign can add it from the setup screen)"
	case d.Code == "NoSuchBucket":
		d.Cause = "the distribution's origin names a bucket that does not exist"
		d.Fix = "point the distribution's origin at the configured bucket"
	case resp.StatusCode == http.StatusNotFound || d.Code == "NoSuchKey":
		d.Cause = "the signature is good but the object does not exist"
		d.Fix = "check the object key and the distribution's origin path"
	case resp.StatusCode == http.StatusForbidden:
		d.Cause, d.Fix = accessDeniedCause(sig, now, serverNow, d.Skew)
	case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout || resp.StatusCode == http.StatusServiceUnavailable:
		d.Cause = "the edge could not reach the origin"
		d.Fix = "check the distribution's origin domain and that the bucket exists"
	default:
		d.Cause = fmt.Sprintf("unexpected answer %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		d.Fix = "see the message; check the domain and the distribution's settings"
	}
	return d
}

// source tells whether an error was made by the edge or by S3 behind
// it. S3 adds x-amz-request-id / x-amz-id-2 and a RequestId to its errors;
// CloudFront's own refusals have none of them (its x-amz-cf-* headers are
// its own) and use codes S3 never sends.
func source(resp *http.Response, ex errorXML) string {
	switch ex.Code {
	case "MissingKey", "InvalidKey", "MalformedPolicy":
		return SourceCloudFront
	}
	if resp.Header.Get("x-amz-request-id") != "" || resp.Header.Get("x-amz-id-2") != "" ||
		ex.RequestID != "" || ex.HostID != "" || strings.EqualFold(resp.Header.Get("Server"), "AmazonS3") {
		return SourceOrigin
	}
	if ex.Code == "NoSuchKey" || ex.Code == "NoSuchBucket" {
		return SourceOrigin
	}
	if ex.Code != "" || strings.EqualFold(resp.Header.Get("Server"), "CloudFront") {
		return SourceCloudFront
	}
	return ""
}

// accessDeniedCause explains CloudFront's AccessDenied for a signed URL
// from the policy the URL carries and the two clocks.
func accessDeniedCause(sig signedParts, now, serverNow time.Time, skew time.Duration) (cause, fix string) {
	big := skew > skewLimit || skew < -skewLimit
	switch {
	case sig.keyPairID == "":
		return "access denied and the URL is not signed", "sign the URL (cfsign sign) before sharing it"
	case sig.bad != "":
		return "the signed parameters cannot be read: " + sig.bad, "sign the URL again and share it whole"
	case !sig.expires.IsZero() && !serverNow.Before(sig.expires):
		if big && now.Before(sig.expires) {
			return fmt.Sprintf("clock skew: the link expires %s by this computer's clock, but the edge's clock is %s ahead, so it has already expired there",
				sig.expires.UTC().Format(time.RFC3339), round(skew)), "correct this computer's clock (NTP), or sign with a longer expiry"
		}
		return fmt.Sprintf("the link expired at %s (%s ago)", sig.expires.UTC().Format(time.RFC3339), round(serverNow.Sub(sig.expires))),
			"sign a new link with a later expiry"
	case !sig.starts.IsZero() && serverNow.Before(sig.starts):
		if big && !now.Before(sig.starts) {
			return fmt.Sprintf("clock skew: the link starts %s, already past by this computer's clock, but the edge's clock is %s behind",
				sig.starts.UTC().Format(time.RFC3339), round(-skew)), "correct this computer's clock (NTP), or sign without a start time"
		}
		return fmt.Sprintf("the link is not valid until %s", sig.starts.UTC().Format(time.RFC3339)), "wait, or sign without a start time"
	case sig.ip != "":
		return fmt.Sprintf("the signature is limited to %s, or does not match the key pair (signed with another private key)", sig.ip),
			"request from an address in that range, or sign with the private key registered as " + sig.keyPairID
	}
	return fmt.Sprintf("the signature does not verify: the private key that signed it is not the one registered as %s, or the URL changed after signing", sig.keyPairID),
		"sign with the private key whose public key is registered as " + sig.keyPairID + ", and share the URL exactly as signed"
}

// signedParts is what Diagnose reads from a signed URL's parameters.
type signedParts struct {
	keyPairID string
	expires   time.Time
	starts    time.Time
	ip        string
	bad       string // why the parameters could not be read
}

// parseSigned reads the key pair ID and policy conditions of a signed URL.
func parseSigned(rawURL string) signedParts {
	u, err := url.Parse(rawURL)
	if err != nil {
		return signedParts{}
	}
	q := u.Query()
	s := signedParts{keyPairID: q.Get("Key-Pair-Id")}
	if e := q.Get("Expires"); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			s.bad = fmt.Sprintf("Expires=%q is not a number", e)
			return s
		}
		s.expires = time.Unix(n, 0)
	}
	p := q.Get("Policy")
	if p == "" {
		return s
	}
	info, _, err := signedurl.DecodePolicy(p)
	if err != nil {
		s.bad = err.Error()
		return s
	}
	s.expires, s.starts, s.ip = info.Expires, info.Starts, info.IP
	return s
}

// clockSkew is the response's Date minus now (0 without a Date). Date has
// one-second resolution, so differences under a second are noise.
func clockSkew(resp *http.Response, now time.Time) time.Duration {
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0
	}
	skew := t.Sub(now.Truncate(time.Second))
	if skew > -time.Second && skew < time.Second {
		return 0
	}
	return skew
}

func round(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	return d.Round(time.Second).String()
}

// netError explains a request that got no HTTP answer.
func netError(u *url.URL, err error) Diagnosis {
	d := Diagnosis{Message: err.Error()}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &dnsErr):
		d.Cause = fmt.Sprintf("the domain %s does not resolve", u.Hostname())
		d.Fix = "check the domain setting: the distribution's domain name (d…cloudfront.net) or an alias with a DNS record"
	case errors.As(err, &hostErr) || errors.As(err, &certErr):
		d.Cause = fmt.Sprintf("the TLS certificate does not match %s", u.Hostname())
		d.Fix = "add the alias and its certificate to the distribution, or use the cloudfront.net domain"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		d.Cause = fmt.Sprintf("no answer from %s in time", u.Host)
		d.Fix = "check the domain and your network"
	case errors.Is(err, context.Canceled):
		d.Cause = "cancelled"
	default:
		d.Cause = fmt.Sprintf("could not connect to %s", u.Host)
		d.Fix = "check the domain setting and the network"
	}
	return d
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
