package sandbox

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// errCode is the S3 error code of a backend error, "" for none.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var ec interface{ ErrorCode() gofakes3.ErrorCode }
	if errors.As(err, &ec) {
		return string(ec.ErrorCode())
	}
	return "other: " + err.Error()
}

// TestFakeStoresMatchS3mem runs the same random puts, deletes and copies on
// each of our stores (memStore, diskStore) and on gofakes3's s3mem (which the
// sandbox used before) and checks that reads, ranges, metadata and errors
// agree, and that listings (every page, with prefixes, delimiters and
// markers) follow S3's rule.
func TestFakeStoresMatchS3mem(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) gofakes3.Backend
	}{
		{"memStore", func(t *testing.T) gofakes3.Backend { return newMemStore() }},
		{"diskStore", func(t *testing.T) gofakes3.Backend {
			d, err := openDiskStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.close() })
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { storeMatchesS3mem(t, tc.name, tc.open(t)) })
	}
}

func storeMatchesS3mem(t *testing.T, name string, mine gofakes3.Backend) {
	ref := s3mem.New()
	both := []gofakes3.Backend{mine, ref}
	same := func(what string, errs [2]error, vals [2]any) {
		t.Helper()
		if errCode(errs[0]) != errCode(errs[1]) {
			t.Fatalf("%s: error %v, s3mem %v", what, errs[0], errs[1])
		}
		if !reflect.DeepEqual(vals[0], vals[1]) {
			t.Fatalf("%s:\n %s %+v\n   s3mem %+v", what, name, vals[0], vals[1])
		}
	}
	for _, name := range []string{"bkt", "empty"} {
		var errs [2]error
		for i, b := range both {
			errs[i] = b.CreateBucket(name)
		}
		same("create "+name, errs, [2]any{})
	}
	var errs [2]error
	for i, b := range both {
		errs[i] = b.CreateBucket("bkt")
	}
	same("create twice", errs, [2]any{})

	r := mathrand.New(mathrand.NewPCG(7, 11))
	segs := []string{"a", "b", "ab", "a.txt", "", "c d"}
	var universe []string
	for range 60 {
		n := 1 + r.IntN(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = segs[r.IntN(len(segs))]
		}
		k := strings.Join(parts, "/")
		if k != "" && !slices.Contains(universe, k) {
			universe = append(universe, k)
		}
	}
	for op := range 400 {
		key := universe[r.IntN(len(universe))]
		switch x := r.IntN(10); {
		case x < 6:
			body := bytes.Repeat([]byte{byte(op)}, r.IntN(40))
			meta := fmt.Sprint(op % 3)
			for i, b := range both {
				m := map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-N" + meta: meta}
				_, errs[i] = b.PutObject("bkt", key, m, bytes.NewReader(body), int64(len(body)), nil)
			}
			same("put "+key, errs, [2]any{})
		case x < 8:
			for i, b := range both {
				_, errs[i] = b.DeleteObject("bkt", key)
			}
			same("delete "+key, errs, [2]any{})
		case x < 9:
			keys := []string{key, universe[r.IntN(len(universe))], "never-there"}
			var vals [2]any
			for i, b := range both {
				vals[i], errs[i] = b.DeleteMulti("bkt", keys...)
			}
			same("delete multi", errs, vals)
		default:
			dst := universe[r.IntN(len(universe))]
			for i, b := range both {
				_, errs[i] = b.CopyObject("bkt", key, "bkt", dst, map[string]string{"X-Amz-Meta-Copied": "1"})
			}
			same("copy "+key+" to "+dst, errs, [2]any{})
		}
	}

	// Listings follow S3's rule (s3List), where s3mem (gofakes3's
	// Prefix.Match) lists folder markers as objects too and trims leading
	// delimiters: every page, with prefixes, delimiters and markers.
	all, err := ref.ListBucket("bkt", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all.Contents {
		c.LastModified = gofakes3.ContentTime{}
	}
	for _, prefix := range []string{"", "a", "a/", "ab", "a/b", "/", "b/", "c d/a", "a//", "b/a.txt/"} {
		for _, delim := range []string{"", "/"} {
			p := &gofakes3.Prefix{HasPrefix: prefix != "", Prefix: prefix, HasDelimiter: delim != "", Delimiter: delim}
			want := s3List(all.Contents, prefix, delim)
			for _, maxKeys := range []int64{0, 1, 3, 1000} {
				what := fmt.Sprintf("list prefix %q delimiter %q max %d", prefix, delim, maxKeys)
				var got []any
				marker := ""
				for page := 0; ; page++ {
					list, err := mine.ListBucket("bkt", p, gofakes3.ListBucketPage{Marker: marker, HasMarker: marker != "", MaxKeys: maxKeys})
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					entries := listEntries(list)
					got = append(got, entries...)
					if maxKeys > 0 && (len(entries) > int(maxKeys) || list.IsTruncated && len(entries) != int(maxKeys)) {
						t.Fatalf("%s page %d: %d entries, truncated %v", what, page, len(entries), list.IsTruncated)
					}
					if !list.IsTruncated || page > 100 {
						break
					}
					// As the S3 handler continues (listing.go).
					marker = pastGroup(list.NextMarker, *p)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s:\n %s %s\n    S3 %s", what, name, fmtEntries(got), fmtEntries(want))
				}
			}
		}
	}

	for _, key := range append(universe, "missing") {
		for _, rng := range []*gofakes3.ObjectRangeRequest{nil, {Start: 2, End: 5}, {FromEnd: true, End: 3}} {
			var vals [2]any
			for i, b := range both {
				obj, err := b.GetObject("bkt", key, rng)
				errs[i] = err
				if err == nil {
					body, _ := io.ReadAll(obj.Contents)
					obj.Contents.Close()
					obj.Contents, obj.VersionID = nil, ""
					delete(obj.Metadata, "Last-Modified")
					vals[i] = []any{*obj, body}
				}
			}
			same(fmt.Sprintf("get %s range %+v", key, rng), errs, vals)
		}
		var vals [2]any
		for i, b := range both {
			obj, err := b.HeadObject("bkt", key)
			errs[i] = err
			if err == nil {
				obj.Contents.Close()
				vals[i] = []any{obj.Hash, obj.Size}
			}
		}
		same("head "+key, errs, vals)
	}
	for _, name := range []string{"bkt", "empty", "nope"} {
		var vals [2]any
		for i, b := range both {
			vals[i], errs[i] = b.BucketExists(name)
		}
		same("exists "+name, errs, vals)
		for i, b := range both {
			errs[i] = b.DeleteBucket(name)
		}
		same("delete bucket "+name, errs, [2]any{})
	}
	for i, b := range both {
		_, errs[i] = b.GetObject("nope", "k", nil)
	}
	same("get from a missing bucket", errs, [2]any{})
}

// TestFakeBodyReadAt reads across the pieces of a body kept in parts.
// s3List is S3's listing rule, written plainly: every entry of a listing
// of objects, in key order, each a Content or, once, the common prefix
// (a string) it rolls up into.
func s3List(objects []*gofakes3.Content, prefix, delim string) []any {
	var out []any
	seen := map[string]bool{}
	for _, c := range objects {
		if !strings.HasPrefix(c.Key, prefix) {
			continue
		}
		rest := c.Key[len(prefix):]
		if i := strings.Index(rest, delim); delim != "" && i >= 0 {
			if cp := prefix + rest[:i+len(delim)]; !seen[cp] {
				seen[cp] = true
				out = append(out, cp)
			}
			continue
		}
		out = append(out, *c)
	}
	return out
}

// listEntries is a page as s3List gives it: entries in key order.
func listEntries(list *gofakes3.ObjectList) []any {
	type entry struct {
		name string
		v    any
	}
	var es []entry
	for _, c := range list.Contents {
		c.LastModified = gofakes3.ContentTime{}
		es = append(es, entry{c.Key, *c})
	}
	for _, p := range list.CommonPrefixes {
		es = append(es, entry{p.Prefix, p.Prefix})
	}
	slices.SortStableFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var out []any
	for _, e := range es {
		out = append(out, e.v)
	}
	return out
}

func fmtEntries(es []any) string {
	var parts []string
	for _, e := range es {
		if c, ok := e.(gofakes3.Content); ok {
			parts = append(parts, fmt.Sprintf("%q(%d %s)", c.Key, c.Size, c.ETag))
		} else {
			parts = append(parts, fmt.Sprintf("P:%q", e))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestFakeBodyReadAt(t *testing.T) {
	parts := [][]byte{[]byte("abc"), []byte("defgh"), []byte("i"), []byte("jk")}
	whole := bytes.Join(parts, nil)
	b := newPartsBody(parts)
	for off := 0; off <= len(whole); off++ {
		for n := 0; n <= len(whole)-off+2; n++ {
			p := make([]byte, n)
			got, err := b.ReadAt(p, int64(off))
			want := min(n, len(whole)-off)
			if got != want || !bytes.Equal(p[:got], whole[off:off+want]) {
				t.Fatalf("ReadAt(%d bytes, %d) = %d %q, want %d %q", n, off, got, p[:got], want, whole[off:off+want])
			}
			if (err == io.EOF) != (want < n) {
				t.Fatalf("ReadAt(%d bytes, %d): err %v", n, off, err)
			}
		}
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprint(err)
}

// TestFakeS3MultipartRules: the sandbox's multipart uploads follow S3's
// rules, through the SDK, with both backends.
func TestFakeS3MultipartRules(t *testing.T) {
	for _, memory := range []bool{true, false} {
		t.Run(fmt.Sprintf("memory=%v", memory), func(t *testing.T) {
			sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: memory})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sb.Close() })
			multipartRules(t, sbClient(sb), sb.Bucket)
		})
	}
}

func multipartRules(t *testing.T, c *s3.Client, bucket string) {
	ctx := context.Background()
	create := func(key string) string {
		t.Helper()
		out, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ContentType: sdkaws.String("video/mp4")})
		if err != nil {
			t.Fatal(err)
		}
		return sdkaws.ToString(out.UploadId)
	}
	put := func(key, id string, n int32, body []byte, edit ...func(*s3.UploadPartInput)) (string, error) {
		in := &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: &n, Body: bytes.NewReader(body)}
		for _, e := range edit {
			e(in)
		}
		out, err := c.UploadPart(ctx, in)
		if err != nil {
			return "", err
		}
		return sdkaws.ToString(out.ETag), nil
	}
	md5hex := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

	u1 := create("mp/a.bin")
	u2 := create("mp/a.bin")
	u3 := create("mp/sub/b.bin")
	u4 := create("other.bin")

	// Listing: by key, then in the order uploads began; pages of 2.
	var got []string
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket, MaxUploads: sdkaws.Int32(2)}
	for page := 0; ; page++ {
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Uploads {
			got = append(got, sdkaws.ToString(u.UploadId))
		}
		if !sdkaws.ToBool(out.IsTruncated) || page > 5 {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	if want := []string{u1, u2, u3, u4}; !slices.Equal(got, want) {
		t.Fatalf("uploads listed %q, want %q", got, want)
	}
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: sdkaws.String("mp/"), Delimiter: sdkaws.String("/")})
	if err != nil || len(out.Uploads) != 2 || len(out.CommonPrefixes) != 1 || sdkaws.ToString(out.CommonPrefixes[0].Prefix) != "mp/sub/" {
		t.Fatalf("prefix mp/ with delimiter: %+v %v", out, err)
	}

	// Parts: a part sent again replaces the first; ListParts pages.
	p1 := bytes.Repeat([]byte("1"), 5<<20)
	p2 := bytes.Repeat([]byte("2"), 5<<20)
	p3 := []byte("the end")
	e1, err := put("mp/a.bin", u1, 1, p1)
	if err != nil || e1 != `"`+md5hex(p1)+`"` {
		t.Fatalf("part 1: ETag %s, %v", e1, err)
	}
	if _, err := put("mp/a.bin", u1, 2, p1); err != nil {
		t.Fatal(err)
	}
	e2, err := put("mp/a.bin", u1, 2, p2)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := put("mp/a.bin", u1, 3, p3)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u1, MaxParts: sdkaws.Int32(2)})
	if err != nil || len(lp.Parts) != 2 || !sdkaws.ToBool(lp.IsTruncated) || sdkaws.ToString(lp.NextPartNumberMarker) != "2" ||
		sdkaws.ToString(lp.Parts[1].ETag) != e2 || sdkaws.ToInt64(lp.Parts[1].Size) != 5<<20 {
		t.Fatalf("ListParts page 1: %+v %v", lp, err)
	}
	lp, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u1, PartNumberMarker: sdkaws.String("2")})
	if err != nil || len(lp.Parts) != 1 || sdkaws.ToInt32(lp.Parts[0].PartNumber) != 3 || sdkaws.ToBool(lp.IsTruncated) {
		t.Fatalf("ListParts page 2: %+v %v", lp, err)
	}

	// Wrong upload, wrong key, bad Content-MD5.
	if _, err := put("mp/a.bin", "no-such-upload", 1, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part for an unknown upload: %v", err)
	}
	if _, err := put("other.bin", u1, 1, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part for another key's upload: %v", err)
	}
	wrong := md5.Sum([]byte("something else"))
	if _, err := put("mp/sub/b.bin", u3, 1, p3, func(in *s3.UploadPartInput) {
		in.ContentMD5 = sdkaws.String(base64.StdEncoding.EncodeToString(wrong[:]))
	}); apiCode(err) != "BadDigest" {
		t.Errorf("part with a wrong Content-MD5: %v", err)
	}

	complete := func(parts ...s3types.CompletedPart) (string, error) {
		out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u1,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
		if err != nil {
			return "", err
		}
		return sdkaws.ToString(out.ETag), nil
	}
	part := func(n int32, etag string) s3types.CompletedPart {
		return s3types.CompletedPart{PartNumber: &n, ETag: &etag}
	}
	if _, err := complete(part(1, e1), part(2, `"`+md5hex(p1)+`"`), part(3, e3)); apiCode(err) != "InvalidPart" {
		t.Errorf("Complete naming a replaced part: %v", err)
	}
	if _, err := complete(part(2, e2), part(1, e1), part(3, e3)); apiCode(err) != "InvalidPartOrder" {
		t.Errorf("Complete out of order: %v", err)
	}
	if _, err := complete(part(1, e1), part(4, e3)); apiCode(err) != "InvalidPart" {
		t.Errorf("Complete naming a missing part: %v", err)
	}
	etag, err := complete(part(1, e1), part(2, e2), part(3, e3))
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := hex.DecodeString(md5hex(p1) + md5hex(p2) + md5hex(p3))
	if want := `"` + md5hex(sums) + `-3"`; etag != want {
		t.Errorf("Complete ETag %s, want %s", etag, want)
	}
	if _, err := complete(part(1, e1), part(2, e2), part(3, e3)); apiCode(err) != "NoSuchUpload" {
		t.Errorf("second Complete: %v", err)
	}
	if _, err := put("mp/a.bin", u1, 4, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part after Complete: %v", err)
	}

	whole := slices.Concat(p1, p2, p3)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin")})
	if err != nil || sdkaws.ToString(head.ETag) != etag || sdkaws.ToInt64(head.ContentLength) != int64(len(whole)) ||
		sdkaws.ToString(head.ContentType) != "video/mp4" {
		t.Fatalf("HEAD: %+v %v", head, err)
	}
	for _, rng := range []string{"", "bytes=5242870-5242890", "bytes=10485750-", "bytes=-3"} {
		in := &s3.GetObjectInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin")}
		want := whole
		switch rng {
		case "bytes=5242870-5242890":
			want = whole[5242870:5242891]
		case "bytes=10485750-":
			want = whole[10485750:]
		case "bytes=-3":
			want = whole[len(whole)-3:]
		}
		if rng != "" {
			in.Range = &rng
		}
		get, err := c.GetObject(ctx, in)
		if err != nil {
			t.Fatalf("GET %s: %v", rng, err)
		}
		body, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if !bytes.Equal(body, want) || sdkaws.ToString(get.ETag) != etag {
			t.Errorf("GET %q: %d bytes (want %d), ETag %s", rng, len(body), len(want), sdkaws.ToString(get.ETag))
		}
	}
	// A copy is a new single-part object: its ETag is its MD5, everywhere.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: sdkaws.String("copy.bin"), CopySource: sdkaws.String(bucket + "/mp/a.bin")})
	if err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: sdkaws.String("copy.bin")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	want := `"` + md5hex(whole) + `"`
	if !bytes.Equal(body, whole) || sdkaws.ToString(cp.CopyObjectResult.ETag) != want || sdkaws.ToString(get.ETag) != want {
		t.Errorf("copy of a multipart object: %d bytes (want %d equal), copy ETag %s, GET ETag %s, want %s",
			len(body), len(whole), sdkaws.ToString(cp.CopyObjectResult.ETag), sdkaws.ToString(get.ETag), want)
	}

	// Abort: the upload is gone, its parts refused.
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u2}); err != nil {
		t.Fatal(err)
	}
	if _, err := put("mp/a.bin", u2, 1, p3); apiCode(err) != "NoSuchUpload" {
		t.Errorf("part after Abort: %v", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: sdkaws.String("mp/a.bin"), UploadId: &u2}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("second Abort: %v", err)
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(out.Uploads) != 2 {
		t.Errorf("after Complete and Abort: %+v %v, want the 2 others", out, err)
	}
}

// BenchmarkFakeS3List pages through 100,000 keys, 1,000 at a time, as a
// recursive listing of the sandbox does: memStore against s3mem.
func BenchmarkFakeS3List(b *testing.B) {
	for _, tc := range []struct {
		name string
		new  func() gofakes3.Backend
	}{{"memStore", func() gofakes3.Backend { return newMemStore() }}, {"s3mem", func() gofakes3.Backend { return s3mem.New() }}} {
		b.Run(tc.name, func(b *testing.B) {
			be := tc.new()
			be.CreateBucket("b")
			for i := range 100_000 {
				k := fmt.Sprintf("many/obj-%07d.txt", (i*7919)%100_000)
				be.PutObject("b", k, map[string]string{}, strings.NewReader("x"), 1, nil)
			}
			b.ResetTimer()
			for range b.N {
				marker, n := "", 0
				for {
					l, err := be.ListBucket("b", &gofakes3.Prefix{HasPrefix: true, Prefix: "many/"}, gofakes3.ListBucketPage{Marker: marker, HasMarker: marker != "", MaxKeys: 1000})
					if err != nil {
						b.Fatal(err)
					}
					n += len(l.Contents)
					if !l.IsTruncated {
						break
					}
					marker = l.NextMarker
				}
				if n != 100_000 {
					b.Fatalf("listed %d", n)
				}
			}
		})
	}
}

// TestFakeS3BoltGetWhileGrowing: s3bolt handed out object bytes that pointed
// into bolt's memory map, and a write that grew the database remapped it.
// With objects as files, a GET still streaming across many writes must still
// neither crash the sandbox nor serve other bytes.
func TestFakeS3BoltGetWhileGrowing(t *testing.T) {
	sb, err := Start(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := sbClient(sb)
	big := sbRandom(t, 8<<20)
	sbPut(t, c, sb.Bucket, "big.bin", big, "application/octet-stream")

	resp, err := http.Get(sbPresign(t, sb, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	// The server is now blocked mid-body (the rest exceeds socket buffers)
	// while these writes grow the database several times over.
	chunk := sbRandom(t, 1<<20)
	for i := range 40 {
		sbPut(t, c, sb.Bucket, fmt.Sprintf("grow/%02d", i), chunk, "application/octet-stream")
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(head, rest...), big) {
		t.Fatal("the streamed object changed under a concurrent write")
	}
}
