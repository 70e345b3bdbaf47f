package sandbox

// ListObjects and ListObjectsV2, answered by the sandbox itself rather than
// gofakes3, whose XML encoder turns every character XML 1.0 cannot hold
// (ESC, BEL, most C0 controls, invalid UTF-8) into U+FFFD: a key listed that
// way names an object that does not exist. Like S3, the sandbox lists keys as
// they are stored; with encoding-type=url (what the AWS CLI and cfsign ask
// for) every key, prefix and delimiter is percent-encoded, so any key round-
// trips exactly.

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// maxListKeys is S3's cap on max-keys.
const maxListKeys = 1000

// isListRequest reports whether r is ListObjects (V1 or V2) of bucket: a GET
// of the bucket with no sub-resource other than listing parameters.
func isListRequest(r *http.Request, key string) bool {
	if r.Method != http.MethodGet || key != "" {
		return false
	}
	for k := range r.URL.Query() {
		switch k {
		case "list-type", "prefix", "delimiter", "max-keys", "marker", "continuation-token",
			"start-after", "encoding-type", "fetch-owner":
		default:
			return false // ?uploads, ?location, ?versions, ?policy...
		}
	}
	return true
}

func (f *s3Server) list(w http.ResponseWriter, r *http.Request, bucket string) {
	q := r.URL.Query()
	v2 := q.Get("list-type") == "2"
	enc := q.Get("encoding-type")
	if enc != "" && enc != "url" {
		s3Refuse(w, r, http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request")
		return
	}
	maxKeys := maxListKeys
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s3Refuse(w, r, http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
			return
		}
		maxKeys = min(n, maxListKeys)
	}
	prefix := gofakes3.Prefix{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter")}
	_, prefix.HasPrefix = q["prefix"]
	_, prefix.HasDelimiter = q["delimiter"]
	page := gofakes3.ListBucketPage{MaxKeys: int64(maxKeys)}
	token := q.Get("continuation-token")
	switch {
	case v2 && token != "":
		m, err := base64.URLEncoding.DecodeString(token)
		if err != nil || len(m) == 0 {
			s3Refuse(w, r, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
			return
		}
		page.Marker = string(m)
	case v2:
		page.Marker = q.Get("start-after")
	default:
		page.Marker = q.Get("marker")
	}
	page.HasMarker = page.Marker != ""
	if page.HasMarker {
		page.Marker = pastGroup(page.Marker, prefix)
	}

	var list *gofakes3.ObjectList
	if maxKeys > 0 {
		var err error
		list, err = f.backend.ListBucket(bucket, &prefix, page)
		if err != nil {
			if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket) {
				s3Refuse(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
				return
			}
			s3Refuse(w, r, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
	} else {
		list = gofakes3.NewObjectList()
		if ok, err := f.backend.BucketExists(bucket); err != nil || !ok {
			s3Refuse(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
			return
		}
	}

	// An encoded value, or the raw one with only XML's markup escaped.
	val := func(s string) string {
		if enc == "url" {
			return s3URLEncode(s)
		}
		return xmlEscapeRaw(s)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	name := "ListBucketResult"
	b.WriteString(`<` + name + ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	el := func(tag, v string) { b.WriteString("<" + tag + ">" + v + "</" + tag + ">") }
	el("Name", xmlEscapeRaw(bucket))
	el("Prefix", val(prefix.Prefix))
	if v2 {
		if token != "" {
			el("ContinuationToken", xmlEscapeRaw(token))
		}
		if sa := q.Get("start-after"); sa != "" {
			el("StartAfter", val(sa))
		}
		el("KeyCount", strconv.Itoa(len(list.Contents)+len(list.CommonPrefixes)))
	} else {
		el("Marker", val(q.Get("marker")))
	}
	el("MaxKeys", strconv.Itoa(maxKeys))
	if prefix.HasDelimiter {
		el("Delimiter", val(prefix.Delimiter))
	}
	if enc == "url" {
		el("EncodingType", "url")
	}
	el("IsTruncated", strconv.FormatBool(list.IsTruncated))
	if list.IsTruncated && list.NextMarker != "" {
		next := list.NextMarker
		if g, ok := group(next, prefix); ok {
			next = g // the page ended inside a rolled-up prefix: S3 names the prefix
		}
		if v2 {
			el("NextContinuationToken", base64.URLEncoding.EncodeToString([]byte(next)))
		} else if prefix.HasDelimiter {
			el("NextMarker", val(next))
		}
	}
	_, fetchOwner := q["fetch-owner"]
	for _, c := range list.Contents {
		b.WriteString("<Contents>")
		el("Key", val(c.Key))
		el("LastModified", c.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"))
		el("ETag", xmlEscapeRaw(c.ETag))
		el("Size", strconv.FormatInt(c.Size, 10))
		sc := string(c.StorageClass)
		if sc == "" {
			sc = "STANDARD"
		}
		el("StorageClass", xmlEscapeRaw(sc))
		if !v2 || fetchOwner {
			b.WriteString("<Owner><ID>" + sandboxAccountID + "</ID><DisplayName>sandbox</DisplayName></Owner>")
		}
		b.WriteString("</Contents>")
	}
	for _, p := range list.CommonPrefixes {
		b.WriteString("<CommonPrefixes>")
		el("Prefix", val(p.Prefix))
		b.WriteString("</CommonPrefixes>")
	}
	b.WriteString("</" + name + ">")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, b.String())
}

// maxKeyLen is S3's longest key, in bytes.
const maxKeyLen = 1024

// group is the common prefix key rolls up into under a delimited listing,
// if it does. This is S3's rule, which the stores list by: a key whose rest
// after the prefix holds the delimiter rolls up into the prefix plus that
// rest up to and including its first delimiter, even when that is the whole
// key (a folder marker such as "dir/new/" listed under "dir/"). gofakes3's
// Prefix.Match differs: it lists such a marker under Contents as well, and
// trims leading delimiters ("/a/b" rolls up into "a/", not "/").
func group(key string, prefix gofakes3.Prefix) (string, bool) {
	if !prefix.HasDelimiter || prefix.Delimiter == "" || !strings.HasPrefix(key, prefix.Prefix) {
		return "", false
	}
	rest := key[len(prefix.Prefix):]
	i := strings.Index(rest, prefix.Delimiter)
	if i < 0 {
		return "", false
	}
	return prefix.Prefix + rest[:i+len(prefix.Delimiter)], true
}

// pastGroup turns a marker inside a rolled-up prefix into one after every
// key under it, so a page that ended on a common prefix does not list it
// again: S3 continues after the whole prefix.
func pastGroup(marker string, prefix gofakes3.Prefix) string {
	g, ok := group(marker, prefix)
	if !ok {
		return marker
	}
	// Every key of at most maxKeyLen bytes that starts with g sorts before this.
	return g + strings.Repeat("\xff", max(maxKeyLen+1-len(g), 1))
}

// s3URLEncode encodes as S3 does for encoding-type=url: form encoding
// (space as +), every byte outside the unreserved set as %XX.
func s3URLEncode(s string) string {
	return url.QueryEscape(s)
}

// xmlEscapeRaw escapes XML's markup characters and leaves every other byte
// as it is, control characters and invalid UTF-8 included, as S3 does: a
// client that cannot read them asks for encoding-type=url.
func xmlEscapeRaw(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
