package aws

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cfsign/cfsign/internal/testenv"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// newFakeS3Server starts an in-process gofakes3 (memory backend) and returns
// its URL. The sandbox has its own; this one is the tests' plain S3.
func newFakeS3Server(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// newTestClient is a Client with explicit credentials for endpoint.
func newTestClient(t testing.TB, endpoint string, edit ...func(*ClientOptions)) *Client {
	t.Helper()
	opts := ClientOptions{
		Region:          "us-east-1",
		EndpointURL:     endpoint,
		AccessKeyID:     "AKIDTEST",
		SecretAccessKey: "secret-test",
		maxBackoff:      50 * time.Millisecond,
	}
	for _, e := range edit {
		e(&opts)
	}
	c, err := NewClient(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

var s3BucketSeq atomic.Int64

// newTestBucket creates a fresh bucket (gofakes3 wants 3-63 characters).
func newTestBucket(t testing.TB, c *Client) string {
	t.Helper()
	name := fmt.Sprintf("cfsign-test-%d-%d", time.Now().UnixNano()%1e9, s3BucketSeq.Add(1))
	if _, err := c.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: sdkaws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// s3Target is one real S3 implementation the suite runs against.
type s3Target struct {
	name     string
	endpoint func(t testing.TB) string
}

var s3Targets = []s3Target{
	{"gofakes3", newFakeS3Server},
	{"moto", testenv.Moto},
}

// forEachS3 runs fn against every target with a client and a fresh bucket.
func forEachS3(t *testing.T, fn func(t *testing.T, c *Client, bucket string)) {
	for _, tg := range s3Targets {
		t.Run(tg.name, func(t *testing.T) {
			c := newTestClient(t, tg.endpoint(t))
			fn(t, c, newTestBucket(t, c))
		})
	}
}

// randomFile writes size random bytes to dir/name and returns path and bytes.
func randomFile(t testing.TB, dir, name string, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// putObject stores data under key with a plain PutObject.
func putObject(t testing.TB, c *Client, bucket, key string, data []byte) {
	t.Helper()
	_, err := c.s3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: sdkaws.String(bucket), Key: sdkaws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

// progressLog records progress events and checks them as they come.
type progressLog struct {
	t      testing.TB
	events []Progress
}

func (p *progressLog) add(ev Progress) { p.events = append(p.events, ev) }

// check asserts events are monotonic, bounded by total and end exactly at it.
func (p *progressLog) check(total int64) {
	p.t.Helper()
	if len(p.events) == 0 {
		p.t.Fatal("no progress events")
	}
	var last int64 = -1
	for i, ev := range p.events {
		if ev.Total != total {
			p.t.Fatalf("event %d: Total %d, want %d", i, ev.Total, total)
		}
		if ev.Sent < last || ev.Sent > total {
			p.t.Fatalf("event %d: Sent %d after %d (total %d): not monotonic", i, ev.Sent, last, total)
		}
		last = ev.Sent
	}
	if last != total {
		p.t.Fatalf("last event at %d, want %d", last, total)
	}
}

// errContains fails unless err's message holds every part.
func errContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	t.Logf("error: %s", err)
	for _, s := range parts {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not contain %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
}
