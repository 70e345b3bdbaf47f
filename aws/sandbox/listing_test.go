package sandbox

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// folderKeys hold folder markers (zero-byte keys ending in the delimiter,
// as the app's "new folder" and the S3 console make), a marker equal to a
// prefix, and keys with empty segments.
var folderKeys = []string{
	"/lead/x", "a//b", "rank/rank/", "rank/rank/file.txt", "rank/rank/newdir/",
	"rank/rank/newdir/in.txt", "rank/rank/other/", "rank/rank/zz", "top/",
}

// listQuery is one listing; want is every page's entries in order, a
// common prefix written "P:prefix".
type listQuery struct {
	prefix, delim, after string
	maxKeys              int32
	want                 [][]string
}

// S3's rule (and moto's): a key whose rest after the prefix holds the
// delimiter rolls up into prefix+rest up to and including the first
// delimiter, even when that is the whole key (a folder marker). The sandbox
// once listed rank/rank/newdir/ under Contents as well.
var folderQueries = []listQuery{
	{prefix: "rank/rank/", delim: "/", want: [][]string{{"rank/rank/", "rank/rank/file.txt", "P:rank/rank/newdir/", "P:rank/rank/other/", "rank/rank/zz"}}},
	{prefix: "rank/rank/n", delim: "/", want: [][]string{{"P:rank/rank/newdir/"}}},
	{prefix: "rank/rank/newdir/", delim: "/", want: [][]string{{"rank/rank/newdir/", "rank/rank/newdir/in.txt"}}},
	{prefix: "rank/rank/newdir", delim: "/", want: [][]string{{"P:rank/rank/newdir/"}}},
	{prefix: "", delim: "/", want: [][]string{{"P:/", "P:a/", "P:rank/", "P:top/"}}},
	{prefix: "a/", delim: "/", want: [][]string{{"P:a//"}}},
	{prefix: "rank/", delim: "/", want: [][]string{{"P:rank/rank/"}}},
	{prefix: "rank/rank/", want: [][]string{{"rank/rank/", "rank/rank/file.txt", "rank/rank/newdir/", "rank/rank/newdir/in.txt", "rank/rank/other/", "rank/rank/zz"}}},
	// A common prefix counts once against max-keys; a page may end on one.
	{prefix: "rank/rank/", delim: "/", maxKeys: 2, want: [][]string{{"rank/rank/", "rank/rank/file.txt"}, {"P:rank/rank/newdir/", "P:rank/rank/other/"}, {"rank/rank/zz"}}},
	{prefix: "rank/rank/", delim: "/", maxKeys: 1, want: [][]string{{"rank/rank/"}, {"rank/rank/file.txt"}, {"P:rank/rank/newdir/"}, {"P:rank/rank/other/"}, {"rank/rank/zz"}}},
	{prefix: "rank/rank/", delim: "/", maxKeys: 3, want: [][]string{{"rank/rank/", "rank/rank/file.txt", "P:rank/rank/newdir/"}, {"P:rank/rank/other/", "rank/rank/zz"}}},
	// Starting after a folder marker skips everything under it.
	{prefix: "rank/rank/", delim: "/", after: "rank/rank/newdir/", want: [][]string{{"P:rank/rank/other/", "rank/rank/zz"}}},
	{prefix: "rank/rank/", delim: "/", after: "rank/rank/", want: [][]string{{"rank/rank/file.txt", "P:rank/rank/newdir/", "P:rank/rank/other/", "rank/rank/zz"}}},
}

// listPages lists q through the SDK over HTTP, V1 (marker) or V2
// (start-after, continuation token), raw or with encoding-type=url, and
// checks each page's count and MaxKeys.
func listPages(t *testing.T, c *s3.Client, bucket string, q listQuery, v2, urlEnc bool) [][]string {
	t.Helper()
	ctx := context.Background()
	dec := func(s *string) string {
		v := sdkaws.ToString(s)
		if !urlEnc {
			return v
		}
		d, err := url.QueryUnescape(v)
		if err != nil {
			t.Fatalf("undecodable %q: %v", v, err)
		}
		return d
	}
	var enc s3types.EncodingType
	if urlEnc {
		enc = s3types.EncodingTypeUrl
	}
	var opt = func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	var maxKeys *int32
	if q.maxKeys > 0 {
		maxKeys = &q.maxKeys
	}
	var pages [][]string
	var token, marker *string
	for range 20 {
		var page []string
		var truncated bool
		if v2 {
			in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: opt(q.prefix), Delimiter: opt(q.delim), MaxKeys: maxKeys,
				EncodingType: enc, ContinuationToken: token}
			if token == nil {
				in.StartAfter = opt(q.after)
			}
			out, err := c.ListObjectsV2(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			page = mergeListed(out.Contents, out.CommonPrefixes, dec)
			if n := int(sdkaws.ToInt32(out.KeyCount)); n != len(page) {
				t.Errorf("%+v: KeyCount %d for %d entries", q, n, len(page))
			}
			truncated, token = sdkaws.ToBool(out.IsTruncated), out.NextContinuationToken
		} else {
			if marker == nil {
				marker = opt(q.after)
			}
			out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &bucket, Prefix: opt(q.prefix), Delimiter: opt(q.delim), MaxKeys: maxKeys,
				EncodingType: enc, Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			page = mergeListed(out.Contents, out.CommonPrefixes, dec)
			truncated = sdkaws.ToBool(out.IsTruncated)
			if truncated {
				// S3 sends NextMarker only with a delimiter; else the last key.
				next := dec(out.NextMarker)
				if q.delim == "" {
					next = dec(out.Contents[len(out.Contents)-1].Key)
				}
				marker = &next
			}
		}
		if q.maxKeys > 0 && len(page) > int(q.maxKeys) {
			t.Errorf("%+v: a page of %d entries", q, len(page))
		}
		pages = append(pages, page)
		if !truncated {
			break
		}
	}
	return pages
}

// mergeListed is a page's entries in key order, common prefixes as "P:...".
func mergeListed(contents []s3types.Object, prefixes []s3types.CommonPrefix, dec func(*string) string) []string {
	page := []string{}
	for _, o := range contents {
		page = append(page, dec(o.Key))
	}
	for _, p := range prefixes {
		page = append(page, "P:"+dec(p.Prefix))
	}
	slices.SortFunc(page, func(a, b string) int {
		return strings.Compare(strings.TrimPrefix(a, "P:"), strings.TrimPrefix(b, "P:"))
	})
	return page
}

func TestListingFolderMarkersRollUp(t *testing.T) {
	for _, memory := range []bool{true, false} {
		sb, err := Start(context.Background(), Options{DataDir: t.TempDir(), Memory: memory})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		c := sbClient(sb)
		for _, k := range folderKeys {
			sbPut(t, c, sb.Bucket, k, nil, "")
		}
		for _, q := range folderQueries {
			for _, v2 := range []bool{true, false} {
				for _, enc := range []bool{false, true} {
					if got := listPages(t, c, sb.Bucket, q, v2, enc); !slices.EqualFunc(got, q.want, slices.Equal) {
						t.Errorf("memory=%v v2=%v url=%v prefix %q delimiter %q start %q max %d:\n got %q\nwant %q",
							memory, v2, enc, q.prefix, q.delim, q.after, q.maxKeys, got, q.want)
					}
				}
			}
		}
	}
}

// The AWS CLI, an independent client, sees the folder marker as a folder
// only: no blank-named row beside "PRE newdir/".
func TestListingFolderMarkersAWSCLI(t *testing.T) {
	sb, _ := sbStart(t)
	c := sbClient(sb)
	for _, k := range folderKeys {
		sbPut(t, c, sb.Bucket, k, nil, "")
	}
	run := sbAWSCLI(t, sb)
	ep := "--endpoint-url=" + sb.S3Endpoint
	out, err := run("s3api", "list-objects-v2", "--bucket", sb.Bucket, "--prefix", "rank/rank/", "--delimiter", "/", ep)
	if err != nil {
		t.Fatalf("list-objects-v2: %v\n%s", err, out)
	}
	var v2 struct {
		Contents       []struct{ Key string }
		CommonPrefixes []struct{ Prefix string }
	}
	if err := json.Unmarshal([]byte(out), &v2); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var keys, prefixes []string
	for _, o := range v2.Contents {
		keys = append(keys, o.Key)
	}
	for _, p := range v2.CommonPrefixes {
		prefixes = append(prefixes, p.Prefix)
	}
	if !slices.Equal(keys, []string{"rank/rank/", "rank/rank/file.txt", "rank/rank/zz"}) ||
		!slices.Equal(prefixes, []string{"rank/rank/newdir/", "rank/rank/other/"}) {
		t.Errorf("aws s3api list-objects-v2: keys %q, prefixes %q", keys, prefixes)
	}
	// As the app's "new folder" leaves it: a marker in a folder that has none.
	sbPut(t, c, sb.Bucket, "ls/newdir/", nil, "")
	sbPut(t, c, sb.Bucket, "ls/file.txt", []byte("x"), "")
	out, err = run("s3", "ls", "s3://"+sb.Bucket+"/ls/", ep)
	if err != nil {
		t.Fatalf("aws s3 ls: %v\n%s", err, out)
	}
	var rows []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "PRE" {
			rows = append(rows, "PRE "+f[1])
		} else if len(f) == 4 {
			rows = append(rows, f[3])
		} else {
			rows = append(rows, "? "+l)
		}
	}
	if want := []string{"PRE newdir/", "file.txt"}; !slices.Equal(rows, want) {
		t.Errorf("aws s3 ls:\n%s\nrows %q, want %q", out, rows, want)
	}
}
