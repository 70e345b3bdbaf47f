package s3server

// ListObjects, ListObjectsV2 and ListObjectVersions. The XML is written by
// hand: encoding/xml turns every character XML 1.0 cannot hold (ESC, BEL,
// most C0 controls, invalid UTF-8) into U+FFFD, and a key listed that way
// names an object that does not exist. Like S3, the server lists keys as
// they are stored; with encoding-type=url (what the AWS CLI and boto3 ask
// for) keys, prefixes and delimiters are percent-encoded, "/" left as it
// is, so any key round-trips exactly.

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// encoder returns how values are written for encoding-type enc: encoded,
// or raw with only XML's markup escaped.
func encoder(enc string) func(string) string {
	if enc == "url" {
		return s3URLEncode
	}
	return xmlEscapeRaw
}

// s3URLEncode encodes as S3 does for encoding-type=url: every byte outside
// the unreserved set (A-Z a-z 0-9 - . _ ~) as %XX, but "/".
func s3URLEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
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

// xmlDoc builds an XML answer element by element.
type xmlDoc struct{ strings.Builder }

func (b *xmlDoc) el(tag, v string) { b.WriteString("<" + tag + ">" + v + "</" + tag + ">") }

// send answers the document.
func (b *xmlDoc) send(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String()))
}

// listParams reads what ListObjects, V2 and ListObjectVersions share.
func listParams(r *http.Request) (enc string, maxKeys int, e *Error) {
	q := r.URL.Query()
	enc = q.Get("encoding-type")
	if enc != "" && enc != "url" {
		return "", 0, errInvalidArgument("encoding-type", enc, "Invalid Encoding Method specified in Request")
	}
	maxKeys = maxListKeys
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", 0, errInvalidArgument("max-keys", v, "Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(n, maxListKeys)
	}
	return enc, maxKeys, nil
}

// page lists one page, or, for max-keys 0, checks the bucket and lists none.
func (s *Server) page(bucket string, q listQuery) (*listPage, error) {
	if q.MaxKeys == 0 {
		ok, err := s.st.bucketExists(bucket)
		if err != nil || !ok {
			return nil, orNoSuchBucket(err, bucket)
		}
		return &listPage{}, nil
	}
	if q.Marker != "" {
		q.Marker = pastGroup(q.Marker, q.Prefix, q.Delimiter)
	}
	return s.st.list(bucket, q)
}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, bucket string) {
	q := r.URL.Query()
	v2 := q.Get("list-type") == "2"
	enc, maxKeys, e := listParams(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	lq := listQuery{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: maxKeys}
	token, hasToken := q.Get("continuation-token"), q.Has("continuation-token")
	switch {
	case v2 && token != "":
		m, err := base64.URLEncoding.DecodeString(token)
		if err != nil || len(m) == 0 {
			WriteError(w, r, errInvalidArgument("continuation-token", token, "The continuation token provided is incorrect"))
			return
		}
		lq.Marker = string(m)
	case v2:
		lq.Marker = q.Get("start-after")
	default:
		lq.Marker = q.Get("marker")
	}
	list, err := s.page(bucket, lq)
	if err != nil {
		s.fail(w, r, err)
		return
	}

	val := encoder(enc)
	var b xmlDoc
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ListBucketResult xmlns="` + xmlns + `">`)
	b.el("Name", xmlEscapeRaw(bucket))
	if v2 {
		b.el("Prefix", val(lq.Prefix))
	} else {
		// ListObjects (V1) encodes the keys, markers and delimiter, not the
		// prefix: clients (botocore) decode those only.
		b.el("Prefix", xmlEscapeRaw(lq.Prefix))
	}
	if v2 {
		if hasToken {
			b.el("ContinuationToken", xmlEscapeRaw(token))
		}
		if sa := q.Get("start-after"); sa != "" {
			b.el("StartAfter", val(sa))
		}
		b.el("KeyCount", strconv.Itoa(len(list.Objects)+len(list.Prefixes)))
	} else {
		b.el("Marker", val(q.Get("marker")))
	}
	b.el("MaxKeys", strconv.Itoa(maxKeys))
	if lq.Delimiter != "" {
		b.el("Delimiter", val(lq.Delimiter))
	}
	if enc == "url" {
		b.el("EncodingType", "url")
	}
	b.el("IsTruncated", strconv.FormatBool(list.Truncated))
	if list.Truncated {
		if v2 {
			b.el("NextContinuationToken", base64.URLEncoding.EncodeToString([]byte(list.Next)))
		} else if lq.Delimiter != "" {
			b.el("NextMarker", val(list.Next))
		}
	}
	fetchOwner := q.Get("fetch-owner") == "true"
	s.writeEntries(&b, list, val, !v2 || fetchOwner)
	b.WriteString("</ListBucketResult>")
	b.send(w)
}

// writeEntries writes a page's objects, then its common prefixes, as S3
// does.
func (s *Server) writeEntries(b *xmlDoc, list *listPage, val func(string) string, withOwner bool) {
	for _, o := range list.Objects {
		b.WriteString("<Contents>")
		b.el("Key", val(o.Key))
		b.el("LastModified", s3Time(o.Modified))
		b.el("ETag", xmlEscapeRaw(o.ETag))
		b.el("Size", strconv.FormatInt(o.Size, 10))
		b.el("StorageClass", "STANDARD")
		if withOwner {
			s.writeOwner(b)
		}
		b.WriteString("</Contents>")
	}
	writePrefixes(b, list.Prefixes, val)
}

func (s *Server) writeOwner(b *xmlDoc) {
	b.WriteString("<Owner><ID>" + xmlEscapeRaw(s.owner) + "</ID><DisplayName>sandbox</DisplayName></Owner>")
}

func writePrefixes(b *xmlDoc, prefixes []string, val func(string) string) {
	for _, p := range prefixes {
		b.WriteString("<CommonPrefixes>")
		b.el("Prefix", val(p))
		b.WriteString("</CommonPrefixes>")
	}
}

// listVersions answers ListObjectVersions: every version and delete
// marker, by key, newest first (see pageVersions). A bucket never
// versioned lists each object as its one version, "null", as S3 does.
func (s *Server) listVersions(w http.ResponseWriter, r *http.Request, bucket string) {
	q := r.URL.Query()
	enc, maxKeys, e := listParams(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	keyMarker, idMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if idMarker != "" {
		if keyMarker == "" {
			WriteError(w, r, errInvalidArgument("version-id-marker", idMarker, "A version-id marker cannot be specified without a key marker."))
			return
		}
		if _, e := checkVersionID("version-id-marker", idMarker); e != nil {
			WriteError(w, r, e)
			return
		}
	}
	vq := versionQuery{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), KeyMarker: keyMarker, VersionMarker: idMarker, MaxKeys: maxKeys}
	list, err := s.st.listVersions(bucket, vq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	val := encoder(enc)
	var b xmlDoc
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ListVersionsResult xmlns="` + xmlns + `">`)
	b.el("Name", xmlEscapeRaw(bucket))
	b.el("Prefix", val(vq.Prefix))
	b.el("KeyMarker", val(keyMarker))
	b.el("VersionIdMarker", xmlEscapeRaw(idMarker))
	if list.Truncated {
		b.el("NextKeyMarker", val(list.NextKey))
		if list.NextVersion != "" {
			b.el("NextVersionIdMarker", xmlEscapeRaw(list.NextVersion))
		}
	}
	b.el("MaxKeys", strconv.Itoa(maxKeys))
	if vq.Delimiter != "" {
		b.el("Delimiter", val(vq.Delimiter))
	}
	if enc == "url" {
		b.el("EncodingType", "url")
	}
	b.el("IsTruncated", strconv.FormatBool(list.Truncated))
	for _, v := range list.Versions {
		elem := "Version"
		if v.DeleteMarker {
			elem = "DeleteMarker"
		}
		b.WriteString("<" + elem + ">")
		b.el("Key", val(v.Key))
		b.el("VersionId", xmlEscapeRaw(v.VersionID))
		b.el("IsLatest", strconv.FormatBool(v.Latest))
		b.el("LastModified", s3Time(v.Modified))
		if !v.DeleteMarker {
			b.el("ETag", xmlEscapeRaw(v.ETag))
			b.el("Size", strconv.FormatInt(v.Size, 10))
			b.el("StorageClass", "STANDARD")
		}
		s.writeOwner(&b)
		b.WriteString("</" + elem + ">")
	}
	writePrefixes(&b, list.Prefixes, val)
	b.WriteString("</ListVersionsResult>")
	b.send(w)
}
