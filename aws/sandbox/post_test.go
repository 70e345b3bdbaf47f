package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// formField is one field of a form upload, in order.
type formField struct{ name, value string }

// postForm POSTs fields, then the file, to the bucket as a browser does.
func postForm(t *testing.T, sb *Sandbox, fields []formField, file []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f.name, f.value)
	}
	fw, err := w.CreateFormFile("file", "upload.txt")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	w.Close()
	// No redirect is followed: the test looks at the 303 itself.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(sb.S3Endpoint+"/"+sb.Bucket, w.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// v2Policy is a base64 policy document and its SigV2 signature.
func v2Policy(t *testing.T, sb *Sandbox, expires time.Time, conditions ...any) (string, string) {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"expiration": expires.UTC().Format("2006-01-02T15:04:05Z"), "conditions": conditions})
	if err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	mac := hmac.New(sha1.New, []byte(sb.SecretAccessKey))
	mac.Write([]byte(policy))
	return policy, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Browser form uploads (POST Object) are taken when their policy is signed
// with the sandbox's credentials and the form keeps to it: a presigned POST
// made by boto3 (SigV4), and a SigV2 one; anything else is refused as S3
// refuses it, and stores nothing.
func TestBrowserFormUploads(t *testing.T) {
	sb, _ := sbStart(t)

	out, err := sbBoto3(t, sb, `
import json
p = s3v4.generate_presigned_post(bucket, "forms/${filename}", Fields={"Content-Type": "text/plain", "x-amz-meta-who": "boto3"},
    Conditions=[["starts-with", "$Content-Type", "text/"], {"x-amz-meta-who": "boto3"}, ["content-length-range", 1, 100]], ExpiresIn=300)
print(json.dumps(p["fields"]))
`)
	if err != nil {
		t.Fatalf("boto3 generate_presigned_post: %v\n%s", err, out)
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(out), &fields); err != nil {
		t.Fatalf("boto3's fields: %v\n%s", err, out)
	}
	if fields["x-amz-signature"] == "" {
		t.Fatalf("boto3's presigned POST is not SigV4: %v", fields)
	}
	var form []formField
	for k, v := range fields {
		form = append(form, formField{k, v})
	}
	resp, body := postForm(t, sb, form, []byte("from a browser"))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("boto3's presigned POST: %d %s", resp.StatusCode, body)
	}
	head, err := sbClient(sb).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String("forms/upload.txt")})
	if err != nil || sdkaws.ToString(head.ContentType) != "text/plain" || head.Metadata["who"] != "boto3" || sdkaws.ToInt64(head.ContentLength) != 14 {
		t.Fatalf("the object posted: %+v %v", head, err)
	}
	tooBig := bytes.Repeat([]byte("x"), 101)
	if resp, body := postForm(t, sb, form, tooBig); resp.StatusCode != 400 || !strings.Contains(body, "EntityTooLarge") {
		t.Errorf("a file over the policy's range: %d %s", resp.StatusCode, body)
	}

	soon := time.Now().Add(time.Hour)
	policy, sig := v2Policy(t, sb, soon, map[string]string{"bucket": sb.Bucket}, []string{"starts-with", "$key", "v2/"},
		[]string{"eq", "$success_action_status", "201"})
	signed := []formField{{"key", "v2/a.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", policy}, {"signature", sig}, {"success_action_status", "201"}}
	resp, body = postForm(t, sb, signed, []byte("v2"))
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "<Key>v2/a.txt</Key>") || resp.Header.Get("ETag") == "" {
		t.Errorf("SigV2 form, status 201: %d %s", resp.StatusCode, body)
	}

	expired, expiredSig := v2Policy(t, sb, time.Now().Add(-time.Minute), map[string]string{"bucket": sb.Bucket}, []string{"starts-with", "$key", ""})
	for _, tc := range []struct {
		name   string
		fields []formField
		status int
		code   string
	}{
		{"anonymous", []formField{{"key", "v2/anon.txt"}}, 403, "AccessDenied"},
		{"forged signature", []formField{{"key", "v2/b.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", policy}, {"signature", "AAAA" + sig[4:]}}, 403, "SignatureDoesNotMatch"},
		{"another access key", []formField{{"key", "v2/b.txt"}, {"AWSAccessKeyId", "AKIAOTHER"}, {"policy", policy}, {"signature", sig}}, 403, "InvalidAccessKeyId"},
		{"no signature", []formField{{"key", "v2/b.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", policy}}, 400, "InvalidArgument"},
		{"key outside the policy", []formField{{"key", "other/b.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", policy}, {"signature", sig}}, 403, "AccessDenied"},
		{"field the policy does not name", []formField{{"key", "v2/b.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", policy}, {"signature", sig}, {"x-amz-meta-extra", "1"}}, 403, "AccessDenied"},
		{"expired policy", []formField{{"key", "v2/b.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", expired}, {"signature", expiredSig}}, 403, "AccessDenied"},
	} {
		resp, body := postForm(t, sb, tc.fields, []byte("no"))
		if resp.StatusCode != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	list, err := sbClient(sb).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &sb.Bucket})
	if err != nil || len(list.Contents) != 2 {
		t.Errorf("objects after the refused forms: %+v %v, want the two taken", list, err)
	}

	// A redirect after success, as a browser form asks.
	policy, sig = v2Policy(t, sb, soon, map[string]string{"bucket": sb.Bucket}, []string{"starts-with", "$key", ""},
		map[string]string{"success_action_redirect": "http://example.test/done"})
	resp, body = postForm(t, sb, []formField{{"key", "r.txt"}, {"AWSAccessKeyId", sb.AccessKeyID}, {"policy", policy}, {"signature", sig},
		{"success_action_redirect", "http://example.test/done"}}, []byte("r"))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "http://example.test/done?") ||
		!strings.Contains(loc, "key=r.txt") || !strings.Contains(loc, "bucket="+sb.Bucket) {
		t.Errorf("redirect: %d %q %s", resp.StatusCode, loc, body)
	}
}

// ListObjectVersions of the (never versioned) bucket lists every object as
// its one version, "null", as S3 does; the AWS CLI's list-object-versions
// pages through it.
func TestListObjectVersionsOfAnUnversionedBucket(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	for _, k := range []string{"a", "b/1", "b/2", "c"} {
		sbPut(t, c, sb.Bucket, k, []byte(k), "")
	}
	in := &s3.ListObjectVersionsInput{Bucket: &sb.Bucket, MaxKeys: sdkaws.Int32(2)}
	var keys []string
	for page := 0; page < 5; page++ {
		out, err := c.ListObjectVersions(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			if sdkaws.ToString(v.VersionId) != "null" || !sdkaws.ToBool(v.IsLatest) || sdkaws.ToString(v.ETag) == "" {
				t.Errorf("version %+v", v)
			}
			keys = append(keys, sdkaws.ToString(v.Key))
		}
		if len(out.DeleteMarkers) != 0 {
			t.Errorf("delete markers in an unversioned bucket: %+v", out.DeleteMarkers)
		}
		if !sdkaws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if strings.Join(keys, ",") != "a,b/1,b/2,c" {
		t.Errorf("versions listed: %q", keys)
	}
	aws := sbAWSCLI(t, sb)
	out, err := aws("s3api", "list-object-versions", "--bucket", sb.Bucket, "--prefix", "b/", "--endpoint-url="+sb.S3Endpoint)
	var cli struct {
		Versions []struct{ Key, VersionId string }
	}
	if err != nil || json.Unmarshal([]byte(out), &cli) != nil || len(cli.Versions) != 2 || cli.Versions[0].VersionId != "null" {
		t.Errorf("aws s3api list-object-versions: %v\n%s", err, out)
	}
}
