package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// guardDo sends one raw request and returns the status, body and headers.
func guardDo(t *testing.T, method, rawURL string, header map[string]string, body []byte) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// guardExists reports whether key is in the bucket, asked with a signed HEAD.
func guardExists(t *testing.T, sb *Sandbox, key string) bool {
	t.Helper()
	_, err := sbClient(sb).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: sdkaws.String(sb.Bucket), Key: sdkaws.String(key)})
	return err == nil
}

// The repro: a web page's DELETE (foreign Origin, rebound Host) and
// every unsigned or wrongly signed request are refused with S3's errors, and
// the object stays.
func TestGuardRefusesWhatABrowserCanSend(t *testing.T) {
	sb, _ := sbStart(t)
	sbPut(t, sbClient(sb), sb.Bucket, "hello.txt", []byte("hello"), "text/plain")
	obj := sb.S3Endpoint + "/" + sb.Bucket + "/hello.txt"
	port := obj[strings.LastIndex(sb.S3Endpoint, ":")+1:]
	port = port[:strings.Index(port, "/")]

	cases := []struct {
		name   string
		method string
		header map[string]string
		status int
		code   string
	}{
		{"rebound Host", http.MethodDelete, map[string]string{"Origin": "https://attacker.example", "Host": "attacker.example:" + port}, 400, "InvalidHostHeader"},
		{"Host on another port", http.MethodGet, map[string]string{"Host": "127.0.0.1:1"}, 400, "InvalidHostHeader"},
		{"unsigned DELETE from a page", http.MethodDelete, map[string]string{"Origin": "https://attacker.example"}, 403, "AccessDenied"},
		{"unsigned GET", http.MethodGet, nil, 403, "AccessDenied"},
		{"unknown access key", http.MethodGet, map[string]string{
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKIANOTTHESANDBOX00/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
			"X-Amz-Date":    time.Now().UTC().Format(amzDateFormat)}, 403, "InvalidAccessKeyId"},
		{"bad signature", http.MethodDelete, map[string]string{
			"Authorization":        "AWS4-HMAC-SHA256 Credential=" + sb.AccessKeyID + "/" + time.Now().UTC().Format("20060102") + "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			"X-Amz-Date":           time.Now().UTC().Format(amzDateFormat),
			"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, 403, "SignatureDoesNotMatch"},
		{"bad signature version 2", http.MethodGet, map[string]string{"Authorization": "AWS " + sb.AccessKeyID + ":c2ln", "Date": time.Now().UTC().Format(http.TimeFormat)}, 403, "SignatureDoesNotMatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := guardDo(t, tc.method, obj, tc.header, nil)
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Errorf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
			if v := h.Get("Access-Control-Allow-Origin"); v != "" {
				t.Errorf("Access-Control-Allow-Origin: %s", v)
			}
		})
	}
	if !guardExists(t, sb, "hello.txt") {
		t.Fatal("a refused request deleted the object")
	}

	// A preflight from any page is refused, and a signed answer carries no
	// CORS headers for it.
	status, _, h := guardDo(t, http.MethodOptions, obj, map[string]string{"Origin": "https://attacker.example", "Access-Control-Request-Method": "DELETE"}, nil)
	if status != 403 || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight: %d %v", status, h)
	}
	status, _, h = guardDo(t, http.MethodGet, sbPresign(t, sb, "hello.txt"), map[string]string{"Origin": "https://attacker.example"}, nil)
	if status != 200 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("signed GET with Origin: %d, Access-Control-Allow-Origin %q", status, h.Get("Access-Control-Allow-Origin"))
	}

	// The edge answers only to its own address too.
	edgePort := sb.EdgeURL[strings.LastIndex(sb.EdgeURL, ":")+1:]
	status, body, _ := guardDo(t, http.MethodGet, sb.EdgeURL+"/hello.txt", map[string]string{"Host": "attacker.example:" + edgePort}, nil)
	if status != 400 || !strings.Contains(body, "InvalidHostHeader") {
		t.Errorf("edge with a rebound Host: %d %s", status, body)
	}
	if status, _, _ := guardDo(t, http.MethodGet, strings.Replace(sb.EdgeURL, "127.0.0.1", "localhost", 1)+"/hello.txt", nil, nil); status != 403 {
		t.Errorf("edge via localhost: %d, want the signature check's 403", status)
	}
}

// With an origin configured, that origin (and only it) gets CORS answers.
func TestGuardCORSOrigin(t *testing.T) {
	sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: true, CORSOrigin: "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	sbPut(t, sbClient(sb), sb.Bucket, "a.txt", []byte("a"), "")
	obj := sb.S3Endpoint + "/" + sb.Bucket + "/a.txt"
	status, _, h := guardDo(t, http.MethodOptions, obj, map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT"}, nil)
	if status != 200 || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Errorf("preflight from the configured origin: %d %v", status, h)
	}
	status, _, h = guardDo(t, http.MethodOptions, obj, map[string]string{"Origin": "http://localhost:4000", "Access-Control-Request-Method": "PUT"}, nil)
	if status != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", status, h)
	}
	_, _, h = guardDo(t, http.MethodGet, sbPresign(t, sb, "a.txt"), map[string]string{"Origin": "http://localhost:3000"}, nil)
	if h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("signed GET from the configured origin: %v", h)
	}
}

// Presigned URLs: valid ones work, expired ones and tampered ones do not.
func TestGuardPresigned(t *testing.T) {
	sb, _ := sbStart(t)
	sbPut(t, sbClient(sb), sb.Bucket, "p/x y+z.txt", []byte("presigned"), "")
	u := sbPresign(t, sb, "p/x y+z.txt")
	if status, body, _ := guardDo(t, http.MethodGet, u, nil, nil); status != 200 || body != "presigned" {
		t.Fatalf("presigned GET: %d %s", status, body)
	}
	if status, body, _ := guardDo(t, http.MethodGet, strings.Replace(u, "x%20y", "x%20Y", 1), nil, nil); status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("presigned URL for another key: %d %s", status, body)
	}
	// Presigned two minutes ago for one minute, by the SDK's own signer.
	req, err := http.NewRequest(http.MethodGet, sb.S3Endpoint+"/"+sb.Bucket+"/p/x%20y%2Bz.txt?X-Amz-Expires=60", nil)
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := v4.NewSigner().PresignHTTP(context.Background(), sdkaws.Credentials{AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
		req, "UNSIGNED-PAYLOAD", "s3", sb.Region, time.Now().Add(-2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if status, body, _ := guardDo(t, http.MethodGet, strings.Replace(expired, "X-Amz-Expires=60", "X-Amz-Expires=3600", 1), nil, nil); status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("presigned URL with a longer expiry written in: %d %s", status, body)
	}
	if status, body, _ := guardDo(t, http.MethodGet, expired, nil, nil); status != 403 || !strings.Contains(body, "Request has expired") {
		t.Errorf("expired presigned URL: %d %s", status, body)
	}
}

// curl's own SigV4 (--aws-sigv4) and boto3 (header-signed PUT, presigned
// GET) are accepted: independent signers, not just the Go SDK.
func TestGuardAcceptsCurlAndBoto3(t *testing.T) {
	sb, _ := sbStart(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		needTool(t, "curl", err)
	}
	obj := sb.S3Endpoint + "/" + sb.Bucket + "/curl/a b.txt"
	obj = strings.Replace(obj, " ", "%20", 1)
	src := t.TempDir() + "/a.txt"
	if err := os.WriteFile(src, []byte("from curl"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(curl, "-sS", "-f", "--aws-sigv4", "aws:amz:"+sb.Region+":s3", "--user", sb.AccessKeyID+":"+sb.SecretAccessKey,
		"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-T", src, obj)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("curl --aws-sigv4 PUT: %v\n%s", err, out)
	}
	out, err := exec.Command(curl, "-sS", "-f", "--aws-sigv4", "aws:amz:"+sb.Region+":s3", "--user", sb.AccessKeyID+":"+sb.SecretAccessKey,
		"-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", obj).CombinedOutput()
	if err != nil || string(out) != "from curl" {
		t.Fatalf("curl --aws-sigv4 GET: %v %q", err, out)
	}

	py, err := exec.LookPath("python3")
	if err != nil {
		needTool(t, "python3", err)
	}
	script := `
import sys, boto3, urllib.request
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id=sys.argv[3],
    aws_secret_access_key=sys.argv[4], config=Config(s3={"addressing_style": "path"}))
s3.put_object(Bucket="sandbox", Key="boto/k+ey ü.txt", Body=b"from boto3")
# boto3's default presigned URL here is Signature Version 2; s3v4 is the other.
url = s3.generate_presigned_url("get_object", Params={"Bucket": "sandbox", "Key": "boto/k+ey ü.txt"}, ExpiresIn=300)
assert "AWSAccessKeyId=" in url, url
print(urllib.request.urlopen(url).read().decode(), end="")
v4 = boto3.client("s3", endpoint_url=sys.argv[1], region_name=sys.argv[2], aws_access_key_id=sys.argv[3],
    aws_secret_access_key=sys.argv[4], config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
url = v4.generate_presigned_url("get_object", Params={"Bucket": "sandbox", "Key": "boto/k+ey ü.txt"}, ExpiresIn=300)
assert "X-Amz-Signature=" in url, url
print(urllib.request.urlopen(url).read().decode(), end="")
`
	cmd = exec.Command(py, "-c", script, sb.S3Endpoint, sb.Region, sb.AccessKeyID, sb.SecretAccessKey)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
	out, err = cmd.CombinedOutput()
	if err != nil || string(out) != "from boto3from boto3" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}

func needTool(t *testing.T, name string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found (required in CI): %v", name, err)
	}
	t.Skipf("%s not found: %v", name, err)
}
