package sandbox

// The client's Walk against this server, seeded through the S3 handler
// directly (30,000 PUTs over the network would dominate the run).

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cfsign/cfsign/aws"
)

// BenchmarkWalk30k lists 30,000 keys from the in-process memory sandbox page by page.
func BenchmarkWalk30k(b *testing.B) {
	sb, err := Start(context.Background(), Options{DataDir: b.TempDir(), Memory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	for i := range 30000 {
		req := httptest.NewRequest(http.MethodPut, "/"+sb.Bucket+fmt.Sprintf("/many/obj-%07d.txt", i), http.NoBody)
		rec := httptest.NewRecorder()
		sb.s3.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("seed PUT: %d %s", rec.Code, rec.Body)
		}
	}
	c, err := aws.NewClient(context.Background(), aws.ClientOptions{EndpointURL: sb.S3Endpoint, AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey, Region: "us-east-1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		c.Walk(context.Background(), sb.Bucket, "many/", func(e []aws.Entry) error { n += len(e); return nil })
		if n != 30000 {
			b.Fatal(n)
		}
	}
}
