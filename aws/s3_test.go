package aws

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/testenv"
)

func TestS3ListPagesFoldersFirst(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		ctx := context.Background()
		c.pageSize = 7 // 25 objects and 3 folders span several pages
		var want []string
		for i := range 25 {
			k := fmt.Sprintf("top/obj-%02d", i)
			putObject(t, c, bucket, k, []byte(k))
			want = append(want, k)
		}
		for _, d := range []string{"top/a-dir/x", "top/m-dir/y", "top/z-dir/deep/z"} {
			putObject(t, c, bucket, d, []byte("d"))
		}

		var entries []Entry
		pages, token := 0, ""
		for {
			p, err := c.List(ctx, bucket, "top/", token)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Entries) > 7 {
				t.Fatalf("page of %d entries, page size 7", len(p.Entries))
			}
			entries = append(entries, p.Entries...)
			if p.NextToken == "" {
				break
			}
			token = p.NextToken
		}
		if pages < 4 {
			t.Fatalf("%d pages for 28 entries at 7 a page", pages)
		}
		var folders, objects []string
		for _, e := range entries {
			if e.Folder {
				folders = append(folders, e.Key)
			} else {
				objects = append(objects, e.Key)
				if e.Size != int64(len(e.Key)) || e.LastModified.IsZero() {
					t.Errorf("%s: size %d, modified %v", e.Key, e.Size, e.LastModified)
				}
			}
		}
		if !slices.Equal(folders, []string{"top/a-dir/", "top/m-dir/", "top/z-dir/"}) {
			t.Fatalf("folders %q", folders)
		}
		if !slices.Equal(objects, want) {
			t.Fatalf("objects %q, want %q", objects, want)
		}

		// Within each page, folders come before objects.
		c.pageSize = 0
		p, err := c.List(ctx, bucket, "top/", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != 28 || !p.Entries[0].Folder || !p.Entries[2].Folder || p.Entries[3].Folder {
			t.Fatalf("one page: %d entries, first %+v", len(p.Entries), p.Entries[:4])
		}
		if p.NextToken != "" {
			t.Fatalf("NextToken %q on the last page", p.NextToken)
		}
	})
}

func TestS3WalkStreamsPages(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		c.pageSize = 10
		var want []string
		for i := range 23 {
			k := fmt.Sprintf("w/%d/%02d.txt", i%3, i)
			putObject(t, c, bucket, k, nil)
			want = append(want, k)
		}
		putObject(t, c, bucket, "other/x", nil)
		var got []string
		calls := 0
		err := c.Walk(context.Background(), bucket, "w/", func(page []Entry) error {
			calls++
			if len(page) > 10 {
				t.Fatalf("page of %d", len(page))
			}
			for _, e := range page {
				if e.Folder {
					t.Fatalf("folder %q in a recursive walk", e.Key)
				}
				got = append(got, e.Key)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)
		if calls != 3 || !slices.Equal(got, want) {
			t.Fatalf("%d calls, keys %q", calls, got)
		}
		stop := fmt.Errorf("stop here")
		if err := c.Walk(context.Background(), bucket, "w/", func([]Entry) error { return stop }); err != stop {
			t.Fatalf("Walk returned %v, want fn's error", err)
		}
	})
}

// Keys that need encoding: spaces, unicode, '+', '%'. Control characters
// only on moto: gofakes3 rewrites them to U+FFFD.
func TestS3ListHostileKeys(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		keys := []string{"h/with space.txt", "h/ünïcødé/日本.txt", "h/a+b=c&d.txt", "h/100%25 sure", "h/q?#x"}
		if strings.Contains(t.Name(), "moto") {
			keys = append(keys, "h/esc\x1b[31mred", "h/tab\tkey", "h/cr\rkey", "h/bel\x07")
		}
		for _, k := range keys {
			putObject(t, c, bucket, k, []byte(k))
		}
		sort.Strings(keys)
		p, err := c.List(context.Background(), bucket, "h/", "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Entries {
			got = append(got, e.Key)
		}
		sort.Strings(got)
		// The folder "h/ünïcødé/" is listed as a folder.
		wantTop := []string{}
		for _, k := range keys {
			if strings.Count(k, "/") > 1 {
				k = k[:strings.Index(k[2:], "/")+3]
			}
			if !slices.Contains(wantTop, k) {
				wantTop = append(wantTop, k)
			}
		}
		sort.Strings(wantTop)
		if !slices.Equal(got, wantTop) {
			t.Fatalf("listed %q\nwant     %q", got, wantTop)
		}
		var walked []string
		if err := c.Walk(context.Background(), bucket, "h/", func(page []Entry) error {
			for _, e := range page {
				walked = append(walked, e.Key)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sort.Strings(walked)
		if !slices.Equal(walked, keys) {
			t.Fatalf("walked %q\nwant   %q", walked, keys)
		}
		for _, k := range keys {
			info, err := c.Head(context.Background(), bucket, k)
			if err != nil || info.Size != int64(len(k)) {
				t.Fatalf("head %q: %+v %v", k, info, err)
			}
		}
	})
}

func TestS3HeadDeleteAndPrefix(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		ctx := context.Background()
		dir := t.TempDir()
		p, data := randomFile(t, dir, "report.pdf", 3000)
		if _, err := c.Upload(ctx, UploadRequest{Path: p, Bucket: bucket, Key: "docs/report.pdf"}, nil); err != nil {
			t.Fatal(err)
		}
		info, err := c.Head(ctx, bucket, "docs/report.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(data)) || info.ContentType != "application/pdf" || info.ETag == "" || info.StorageClass == "" || info.LastModified.IsZero() {
			t.Fatalf("head: %+v", info)
		}
		_, err = c.Head(ctx, bucket, "docs/missing")
		errContains(t, err, "docs/missing", bucket)

		for i := range 12 {
			putObject(t, c, bucket, fmt.Sprintf("del/%d/%d", i%2, i), []byte("x"))
		}
		putObject(t, c, bucket, "delx", []byte("keep: shares the prefix string but not the folder"))
		if err := c.Delete(ctx, bucket, []string{"del/0/0", "del/1/1"}); err != nil {
			t.Fatal(err)
		}
		c.pageSize = 4 // delete while listing, across pages
		n, err := c.DeletePrefix(ctx, bucket, "del/")
		c.pageSize = 0
		if err != nil || n != 10 {
			t.Fatalf("DeletePrefix: %d, %v", n, err)
		}
		var left []string
		if err := c.Walk(ctx, bucket, "", func(page []Entry) error {
			for _, e := range page {
				left = append(left, e.Key)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(left, []string{"delx", "docs/report.pdf"}) {
			t.Fatalf("left after deletes: %q", left)
		}
	})
}

func TestS3DeleteBatches(t *testing.T) {
	forEachS3(t, func(t *testing.T, direct *Client, bucket string) {
		// Count DeleteObjects requests and their keys on the wire.
		var mu sync.Mutex
		var batches []int
		proxy := testenv.NewFaultProxy(t, "http://"+direct.endpoint, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && r.URL.Query().Has("delete") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				mu.Lock()
				batches = append(batches, strings.Count(string(body), "<Object>"))
				mu.Unlock()
			}
			return false
		})
		c := newTestClient(t, proxy.URL)
		var keys []string
		for i := range 2100 {
			keys = append(keys, fmt.Sprintf("k/%04d", i))
		}
		putObject(t, c, bucket, "k/0007", []byte("x"))
		if err := c.Delete(context.Background(), bucket, keys); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(batches, []int{1000, 1000, 100}) {
			t.Fatalf("DeleteObjects batches %v, want [1000 1000 100]", batches)
		}
		if _, err := c.Head(context.Background(), bucket, "k/0007"); err == nil {
			t.Fatal("k/0007 still there")
		}
	})
}

func TestS3ListBuckets(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		bs, err := c.ListBuckets(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.Name == bucket {
				return
			}
		}
		t.Fatalf("bucket %s not in %v", bucket, bs)
	})
}

func TestS3ListMissingBucket(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, _ string) {
		_, err := c.List(context.Background(), "cfsign-no-such-bucket", "", "")
		errContains(t, err, "bucket cfsign-no-such-bucket does not exist")
	})
}

func TestPresign(t *testing.T) {
	forEachS3(t, func(t *testing.T, c *Client, bucket string) {
		ctx := context.Background()
		data := []byte("presigned bytes ✓")
		putObject(t, c, bucket, "p/file name.txt", data)
		u, warn, err := c.Presign(ctx, bucket, "p/file name.txt", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if warn != "" {
			t.Fatalf("warning %q for static long-term credentials", warn)
		}
		if !strings.Contains(u, "X-Amz-Expires=3600") || !strings.Contains(u, "X-Amz-Signature=") {
			t.Fatalf("url %s", u)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, data) {
			t.Fatalf("GET presigned: %d %q", resp.StatusCode, got)
		}
		for _, d := range []time.Duration{8 * 24 * time.Hour, 0, -time.Minute} {
			_, _, err := c.Presign(ctx, bucket, "p/file name.txt", d)
			errContains(t, err, "S3 presigned URLs last at most 7 days (SigV4)")
		}
		if _, _, err := c.Presign(ctx, bucket, "p/x", 7*24*time.Hour); err != nil {
			t.Fatalf("7 days exactly: %v", err)
		}
	})
}

func TestPresignTemporaryCredentialsWarn(t *testing.T) {
	c := newTestClient(t, newFakeS3Server(t), func(o *ClientOptions) { o.SessionToken = "session-token" })
	_, warn, err := c.Presign(context.Background(), "bucket", "key", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn, "these credentials are temporary") {
		t.Fatalf("warning %q", warn)
	}
}

func TestS3ClientErrorsNameTheFix(t *testing.T) {
	endpoint := newFakeS3Server(t)
	ctx := context.Background()

	t.Run("missing profile", func(t *testing.T) {
		_, err := NewClient(ctx, ClientOptions{Profile: "nope", EndpointURL: endpoint})
		errContains(t, err, `AWS profile "nope" not found`)
	})

	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		c, err := NewClient(ctx, ClientOptions{EndpointURL: endpoint, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListBuckets(ctx)
		errContains(t, err, "no AWS credentials found", "aws configure")
	})

	t.Run("sso session expired", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		cfg := filepath.Join(home, "config")
		os.WriteFile(cfg, []byte("[profile work]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n"), 0o600)
		t.Setenv("AWS_CONFIG_FILE", cfg)
		c, err := NewClient(ctx, ClientOptions{Profile: "work", EndpointURL: endpoint})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListBuckets(ctx)
		errContains(t, err, "SSO session for profile work has expired", "aws sso login --profile work")
	})

	t.Run("CA bundle honoured", func(t *testing.T) {
		// The machine sets AWS_CA_BUNDLE; the client must load and work.
		if os.Getenv("AWS_CA_BUNDLE") == "" {
			t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
		}
		c := newTestClient(t, endpoint)
		if _, err := c.ListBuckets(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("CA bundle broken", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "ca.pem")
		os.WriteFile(bad, []byte("not a certificate"), 0o600)
		t.Setenv("AWS_CA_BUNDLE", bad)
		_, err := NewClient(ctx, ClientOptions{EndpointURL: endpoint, AccessKeyID: "a", SecretAccessKey: "b"})
		errContains(t, err, "AWS_CA_BUNDLE="+bad, "unset AWS_CA_BUNDLE")
	})

	t.Run("bad endpoint", func(t *testing.T) {
		_, err := NewClient(ctx, ClientOptions{EndpointURL: "localhost:9000", AccessKeyID: "a", SecretAccessKey: "b"})
		errContains(t, err, "not a URL")
	})
}

// The real page size: S3 answers at most 1,000 keys a page.
func TestS3ListThousandPerPage(t *testing.T) {
	c := newTestClient(t, newFakeS3Server(t))
	bucket := newTestBucket(t, c)
	for i := range 1050 {
		putObject(t, c, bucket, fmt.Sprintf("many/%04d", i), nil)
	}
	p1, err := c.List(context.Background(), bucket, "many/", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Entries) != 1000 || p1.NextToken == "" {
		t.Fatalf("first page: %d entries, token %q", len(p1.Entries), p1.NextToken)
	}
	p2, err := c.List(context.Background(), bucket, "many/", p1.NextToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Entries) != 50 || p2.NextToken != "" || p2.Entries[0].Key != "many/1000" {
		t.Fatalf("second page: %d entries, token %q", len(p2.Entries), p2.NextToken)
	}
}

// Walk requests each next page with the token peeked from the raw answer:
// an XML-escaped token reaches the server unescaped, pages arrive in order,
// and a failing page ends the walk with its error.
func TestWalkPeeksEscapedTokens(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("continuation-token")
		got = append(got, tok)
		page := map[string]struct{ key, next string }{
			"":     {"a", "t&1"},
			"t&1":  {"b", "t<2>"},
			"t<2>": {"c", ""},
		}[tok]
		if tok == "t<2>" && r.URL.Query().Get("prefix") == "fail/" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `<Error><Code>InternalError</Code><Message>boom</Message></Error>`)
			return
		}
		next := ""
		if page.next != "" {
			next = "<NextContinuationToken>" + html.EscapeString(page.next) + "</NextContinuationToken>"
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><IsTruncated>%v</IsTruncated>%s<Contents><Key>%s</Key><Size>1</Size></Contents></ListBucketResult>`,
			page.next != "", next, page.key)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, func(o *ClientOptions) { o.MaxAttempts = 1 })
	var keys []string
	err := c.Walk(context.Background(), "b", "", func(es []Entry) error {
		for _, e := range es {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err != nil || strings.Join(keys, ",") != "a,b,c" || strings.Join(got, "|") != "|t&1|t<2>" {
		t.Fatalf("keys %q tokens %q err %v", keys, got, err)
	}
	got, keys = nil, nil
	err = c.Walk(context.Background(), "b", "fail/", func(es []Entry) error {
		for _, e := range es {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "500") || strings.Join(keys, ",") != "a,b" {
		t.Fatalf("failing page: keys %q err %v", keys, err)
	}
}
