package sandbox

// Signature Version 2, which S3 still accepts in us-east-1 and which boto3
// and the AWS CLI v1 use by default for presigned URLs there
// (?AWSAccessKeyId=…&Expires=…&Signature=…). Header-signed requests
// ("Authorization: AWS AKID:SIG") are understood too.

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// v2Subresources are the query parameters SigV2 signs as part of the resource.
var v2Subresources = []string{
	"acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber",
	"policy", "requestPayment", "response-cache-control", "response-content-disposition",
	"response-content-encoding", "response-content-language", "response-content-type",
	"response-expires", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId",
	"versioning", "versions", "website",
}

func (c account) verifyV2(r *http.Request, accessKeyID, signature, expires string, now time.Time) *authError {
	if c.service != "s3" {
		return denied("InvalidRequest", "this API takes AWS Signature Version 4 only")
	}
	if accessKeyID != c.accessKeyID {
		return denied("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	date := r.Header.Get("Date")
	if expires != "" {
		secs, err := strconv.ParseInt(expires, 10, 64)
		if err != nil {
			return denied("AccessDenied", "Invalid date (should be seconds since epoch): %s", expires)
		}
		if now.Unix() > secs {
			return denied("AccessDenied", "Request has expired")
		}
		date = expires
	} else {
		when, err := http.ParseTime(r.Header.Get("X-Amz-Date"))
		if r.Header.Get("X-Amz-Date") != "" {
			date = "" // x-amz-date is signed among the amz headers instead
		} else {
			when, err = http.ParseTime(date)
		}
		if err != nil {
			return denied("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
		}
		if d := now.Sub(when); d > maxSkew || d < -maxSkew {
			return denied("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
		}
	}

	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(r.Header.Get("Content-MD5") + "\n")
	b.WriteString(r.Header.Get("Content-Type") + "\n")
	b.WriteString(date + "\n")
	var amz []string
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			amz = append(amz, lk)
		}
	}
	slices.Sort(amz)
	for _, k := range amz {
		b.WriteString(k + ":" + strings.Join(r.Header.Values(k), ",") + "\n")
	}
	b.WriteString(r.URL.EscapedPath())
	q := r.URL.Query()
	var sub []string
	for _, k := range v2Subresources {
		if vs, ok := q[k]; ok {
			if vs[0] == "" {
				sub = append(sub, k)
			} else {
				sub = append(sub, k+"="+vs[0])
			}
		}
	}
	if len(sub) > 0 {
		b.WriteString("?" + strings.Join(sub, "&"))
	}
	want := v2Sign(c.secret, b.String())
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return denied("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	return nil
}

// v2Sign is SigV2's signature of s: base64 of its HMAC-SHA1 with secret.
func v2Sign(secret, s string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
