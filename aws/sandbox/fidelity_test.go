package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cfsign/cfsign/aws"
)

// Keys S3 stores byte for byte: control characters, invalid UTF-8, and
// characters URL encodings treat specially. Listed (encoding-type=url, as
// cfsign and the AWS CLI ask) they come back exactly, and each listed name
// reads and deletes its object.
func TestFidelityHostileKeysRoundTrip(t *testing.T) {
	sb, _ := sbStart(t)
	raw := sbClient(sb)
	hostile := []string{
		"h/esc\x1b]0;pwned\a.txt",
		"h/tab\there",
		"h/cr\rlf",
		"h/bad-utf8-\xff\xfe.bin",
		"h/plus+and space%25.txt",
		"h/ünïcödé/日本.txt",
		"h/amp&lt<gt>\"quote'.txt",
	}
	for i, k := range hostile {
		sbPut(t, raw, sb.Bucket, k, []byte{byte(i)}, "")
	}
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{Region: sb.Region, EndpointURL: sb.S3Endpoint,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := c.Walk(context.Background(), sb.Bucket, "h/", func(es []aws.Entry) error {
		for _, e := range es {
			listed = append(listed, e.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(hostile)
	slices.Sort(want)
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Fatalf("listed %q\nwant   %q", listed, want)
	}
	for i, k := range hostile {
		out, err := raw.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &sb.Bucket, Key: sdkaws.String(k)})
		if err != nil {
			t.Fatalf("get %q: %v", k, err)
		}
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(body, []byte{byte(i)}) {
			t.Errorf("get %q: %v", k, body)
		}
	}
	if err := c.Delete(context.Background(), sb.Bucket, listed[:1]); err != nil {
		t.Fatalf("delete %q: %v", listed[0], err)
	}
	if guardExists(t, sb, listed[0]) {
		t.Errorf("%q still exists after its delete", listed[0])
	}

	// Without encoding-type, keys come raw (XML-escaped markup only), not U+FFFD.
	req, _ := raw.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &sb.Bucket, Prefix: sdkaws.String("h/tab")})
	if req == nil || len(req.Contents) != 1 || sdkaws.ToString(req.Contents[0].Key) != "h/tab\there" {
		t.Errorf("raw listing of a tab key: %+v", req)
	}
	status, body := sbSignedGet(t, sb, "/"+sb.Bucket+"?list-type=2&prefix=h%2Fbad")
	if status != 200 || !strings.Contains(body, "h/bad-utf8-\xff\xfe.bin") || strings.Contains(body, "\uFFFD") {
		t.Errorf("raw listing of an invalid-UTF-8 key: %d %q", status, body)
	}
}

// sbSignedGet sends a GET of pathQuery to the S3 server, signed (SigV4 by
// the SDK's signer), and returns the status and body.
func sbSignedGet(t *testing.T, sb *Sandbox, pathQuery string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, sb.S3Endpoint+pathQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(context.Background(), sdkaws.Credentials{AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey},
		req, "UNSIGNED-PAYLOAD", "s3", sb.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Ranges on the S3 server as S3 answers them: one range 206; a list of
// ranges the whole object (200); a range past the end 416 InvalidRange.
func TestFidelityS3Ranges(t *testing.T) {
	sb, _ := sbStart(t)
	sbPut(t, sbClient(sb), sb.Bucket, "r.txt", []byte("0123456789"), "")
	get := func(rng string) (int, string, http.Header) {
		req, err := http.NewRequest(http.MethodGet, sbPresign(t, sb, "r.txt"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Range", rng)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if status, body, h := get("bytes=2-4"); status != 206 || body != "234" || h.Get("Content-Range") != "bytes 2-4/10" {
		t.Errorf("one range: %d %q %v", status, body, h)
	}
	if status, body, _ := get("bytes=0-1,5-6"); status != 200 || body != "0123456789" {
		t.Errorf("two ranges: %d %q, want 200 and the whole object", status, body)
	}
	if status, body, _ := get("bytes=20-"); status != 416 || !strings.Contains(body, "<Code>InvalidRange</Code>") {
		t.Errorf("past the end: %d %q", status, body)
	}
}

// A delimited listing page that ends on a common prefix continues after
// every key under it, as S3 does: the prefix is never listed twice.
func TestFidelityDelimitedPagesDoNotRepeatPrefixes(t *testing.T) {
	for _, memory := range []bool{true, false} {
		sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: memory})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		c := sbClient(sb)
		for _, k := range []string{"a/1", "a/2", "a/3", "b/1", "c.txt", "d/1", "d/2"} {
			sbPut(t, c, sb.Bucket, k, []byte("x"), "")
		}
		var seen []string
		in := &s3.ListObjectsV2Input{Bucket: &sb.Bucket, Delimiter: sdkaws.String("/"), MaxKeys: sdkaws.Int32(1)}
		for range 20 {
			out, err := c.ListObjectsV2(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out.CommonPrefixes {
				seen = append(seen, sdkaws.ToString(p.Prefix))
			}
			for _, o := range out.Contents {
				seen = append(seen, sdkaws.ToString(o.Key))
			}
			if !sdkaws.ToBool(out.IsTruncated) {
				break
			}
			in.ContinuationToken = out.NextContinuationToken
		}
		if want := []string{"a/", "b/", "c.txt", "d/"}; !slices.Equal(seen, want) {
			t.Errorf("memory=%v: pages listed %q, want %q", memory, seen, want)
		}
	}
}
