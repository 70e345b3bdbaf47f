package s3server

// Multipart uploads: create, upload a part (or copy one), complete, abort,
// list parts and uploads.

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

type owner struct {
	ID          string
	DisplayName string
}

func (s *Server) ownerXML() owner { return owner{ID: s.owner, DisplayName: "sandbox"} }

// createUpload answers CreateMultipartUpload: the object's headers and
// metadata are taken now, with the checksum algorithm and type its parts
// will carry.
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request, bucket, key string) {
	if e := checkUploadHeaders(r); e != nil {
		WriteError(w, r, e)
		return
	}
	meta, e := objectMeta(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	info := &objectInfo{Meta: meta}
	alg := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Algorithm"))
	typ := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Type"))
	if alg == "" && typ != "" {
		WriteError(w, r, errInvalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."))
		return
	}
	if alg != "" {
		if checksumAlgorithms[alg] == nil {
			WriteError(w, r, errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"))
			return
		}
		if typ == "" {
			typ = composite
			if alg == "CRC64NVME" {
				typ = fullObject
			}
		}
		_, crc := crcPolys[alg]
		if (typ != composite && typ != fullObject) || (typ == fullObject && !crc) || (typ == composite && alg == "CRC64NVME") {
			WriteError(w, r, errInvalidRequest("The %s checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(typ), strings.ToLower(alg)))
			return
		}
		info.Checksum = &checksumValue{Algorithm: alg, Type: typ}
	}
	id, err := s.st.createUpload(bucket, key, info)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if info.Checksum != nil {
		w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Xmlns    string   `xml:"xmlns,attr"`
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}{Xmlns: xmlns, Bucket: bucket, Key: key, UploadID: id})
}

// partNumber reads the partNumber parameter: 1 to 10,000.
func partNumber(r *http.Request) (int, *Error) {
	v := r.URL.Query().Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, errInvalidArgument("partNumber", v, "Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

// partChecksum prepares a part's body to carry the upload's checksum: the
// request's own, which must be of the upload's algorithm, or one computed.
func partChecksum(b *body, up *uploadInfo) *Error {
	want := up.Object.Checksum
	switch {
	case want == nil:
	case b.alg == "":
		b.alg, b.sum = want.Algorithm, checksumAlgorithms[want.Algorithm]()
	case b.alg != want.Algorithm:
		return errInvalidRequest("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(want.Algorithm), strings.ToLower(b.alg))
	}
	return nil
}

// uploadPart answers UploadPart.
func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, bucket, key string) {
	n, e := partNumber(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	size, e := contentLength(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	if size > maxPartSize {
		WriteError(w, r, errTooLarge(size))
		return
	}
	id := r.URL.Query().Get("uploadId")
	up, err := s.st.uploadMeta(bucket, key, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, e := newBody(r, size)
	if e == nil {
		e = partChecksum(b, up)
	}
	if e != nil {
		WriteError(w, r, e)
		return
	}
	p, err := s.st.uploadPart(bucket, key, id, n, b, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", p.etag())
	w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	if p.Checksum != nil {
		w.Header().Set(checksumHeader(p.Checksum.Algorithm), p.Checksum.Value)
	}
	w.WriteHeader(http.StatusOK)
}

// copyRange reads x-amz-copy-source-range: "bytes=FIRST-LAST", nothing else.
func copyRange(v string) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	a, b, found2 := strings.Cut(spec, "-")
	if !found || !found2 || !allDigits(a) || !allDigits(b) {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	return first, last, err1 == nil && err2 == nil && first <= last
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// uploadPartCopy answers UploadPartCopy: a part copied from an object, all
// of it or x-amz-copy-source-range of it.
func (s *Server) uploadPartCopy(w http.ResponseWriter, r *http.Request, bucket, key string) {
	n, e := partNumber(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	srcBucket, srcKey, srcVersion, e := copySource(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	id := r.URL.Query().Get("uploadId")
	up, err := s.st.uploadMeta(bucket, key, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	src, rd, ok := s.openSource(w, r, srcBucket, srcKey, srcVersion)
	if !ok {
		return
	}
	defer rd.Close()
	if e := copySourceConditions(r.Header, src); e != nil {
		WriteError(w, r, e)
		return
	}
	off, size := int64(0), src.Size
	if v := r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		first, last, ok := copyRange(v)
		if !ok {
			WriteError(w, r, errInvalidArgument("x-amz-copy-source-range", v,
				"The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"))
			return
		}
		if last >= src.Size {
			e := newError(http.StatusBadRequest, "InvalidRange", "The requested range is not satisfiable").
				with("RangeRequested", v).with("ActualObjectSize", itoa64(src.Size))
			WriteError(w, r, e)
			return
		}
		off, size = first, last-first+1
	}
	if size > maxPartSize {
		WriteError(w, r, errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", maxPartSize))
		return
	}
	b := &body{r: io.NewSectionReader(rd, off, size), size: size}
	if e := partChecksum(b, up); e != nil {
		WriteError(w, r, e)
		return
	}
	p, err := s.st.uploadPart(bucket, key, id, n, b, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := struct {
		XMLName      xml.Name `xml:"CopyPartResult"`
		Xmlns        string   `xml:"xmlns,attr"`
		ETag         string
		LastModified string
		checksumXML
	}{Xmlns: xmlns, ETag: p.etag(), LastModified: s3Time(p.Modified)}
	res.set(p.Checksum)
	setSourceVersion(w.Header(), src)
	writeXML(w, http.StatusOK, res)
}

// completeRequest is CompleteMultipartUpload's body.
type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int
		ETag       string
		checksumXML
	} `xml:"Part"`
}

// maxCompleteBody bounds a Complete's XML: 10,000 parts with checksums.
const maxCompleteBody = 4 << 20

// completeUpload answers CompleteMultipartUpload. A Complete repeated after
// it succeeded answers the same object again while the key still holds it.
func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request, bucket, key string) {
	id := r.URL.Query().Get("uploadId")
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxCompleteBody+1))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req completeRequest
	if len(raw) > maxCompleteBody || xml.Unmarshal(raw, &req) != nil {
		WriteError(w, r, errMalformedXML())
		return
	}
	parts := make([]completePart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = completePart{Number: p.PartNumber, ETag: p.ETag, Checksums: map[string]string{}}
		for alg, v := range map[string]string{"CRC32": p.CRC32, "CRC32C": p.CRC32C, "CRC64NVME": p.CRC64NVME, "SHA1": p.SHA1, "SHA256": p.SHA256} {
			if v != "" {
				parts[i].Checksums[alg] = v
			}
		}
	}
	check, e := writeConditions(r, key)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	// The whole object's size and checksum, when the client gives them,
	// must be what the parts make.
	wantSize := r.Header.Get("X-Amz-Mp-Object-Size")
	alg, wantSum, _, e := requestChecksum(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	verify := func(info *objectInfo) *Error {
		if wantSize != "" && wantSize != itoa64(info.Size) {
			return errInvalidRequest("The provided x-amz-mp-object-size %s does not match the object's size %d.", wantSize, info.Size)
		}
		if wantSum != "" && (info.Checksum == nil || info.Checksum.Algorithm != alg || strings.TrimSuffix(info.Checksum.Value, "-"+strconv.Itoa(len(info.Parts))) != wantSum) {
			return newError(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", alg)
		}
		return nil
	}
	info, err := s.st.completeUpload(bucket, key, id, parts, check, verify)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("X-Amz-Server-Side-Encryption", "AES256")
	setWrittenVersion(h, info)
	res := struct {
		XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
		Xmlns        string   `xml:"xmlns,attr"`
		Location     string
		Bucket       string
		Key          string
		ETag         string
		ChecksumType string `xml:",omitempty"`
		checksumXML
	}{Xmlns: xmlns, Location: "http://" + r.Host + "/" + bucket + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/"),
		Bucket: bucket, Key: key, ETag: info.ETag}
	res.ChecksumType = res.set(info.Checksum)
	writeXML(w, http.StatusOK, res)
}

// abortUpload answers AbortMultipartUpload.
func (s *Server) abortUpload(w http.ResponseWriter, r *http.Request, bucket, key string) {
	if err := s.st.abortUpload(bucket, key, r.URL.Query().Get("uploadId")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type xmlPart struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int64
	checksumXML
}

// listParts answers ListParts: parts after part-number-marker, at most
// max-parts of them.
func (s *Server) listParts(w http.ResponseWriter, r *http.Request, bucket, key string) {
	q := r.URL.Query()
	id := q.Get("uploadId")
	marker, maxParts := 0, 1000
	if v := q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			WriteError(w, r, errInvalidArgument("part-number-marker", v, "Part number marker must be an integer between 0 and 10000"))
			return
		}
		marker = n
	}
	if v := q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			WriteError(w, r, errInvalidArgument("max-parts", v, "Provided max-parts not an integer or within integer range"))
			return
		}
		maxParts = min(n, 1000)
	}
	up, parts, err := s.st.upload(bucket, key, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := struct {
		XMLName              xml.Name `xml:"ListPartsResult"`
		Xmlns                string   `xml:"xmlns,attr"`
		Bucket               string
		Key                  string
		UploadID             string `xml:"UploadId"`
		Initiator            owner
		Owner                owner
		StorageClass         string
		PartNumberMarker     int
		NextPartNumberMarker int
		MaxParts             int
		IsTruncated          bool
		Parts                []xmlPart `xml:"Part"`
		ChecksumAlgorithm    string    `xml:",omitempty"`
		ChecksumType         string    `xml:",omitempty"`
	}{Xmlns: xmlns, Bucket: bucket, Key: key, UploadID: id, Initiator: s.ownerXML(), Owner: s.ownerXML(),
		StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: maxParts}
	if c := up.Object.Checksum; c != nil {
		res.ChecksumAlgorithm, res.ChecksumType = c.Algorithm, c.typ()
	}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) >= maxParts {
			res.IsTruncated = true
			break
		}
		xp := xmlPart{PartNumber: p.Number, LastModified: s3Time(p.Modified), ETag: p.etag(), Size: p.Size}
		xp.set(p.Checksum)
		res.Parts = append(res.Parts, xp)
		res.NextPartNumberMarker = p.Number
	}
	writeXML(w, http.StatusOK, res)
}

// listUploads answers ListMultipartUploads with S3's rules: uploads sorted
// by key, then by when they began; with a delimiter, keys below the prefix
// that hold it roll up into common prefixes, which count towards
// max-uploads like uploads.
func (s *Server) listUploads(w http.ResponseWriter, r *http.Request, bucket string) {
	q := r.URL.Query()
	enc := q.Get("encoding-type")
	if enc != "" && enc != "url" {
		WriteError(w, r, errInvalidArgument("encoding-type", enc, "Invalid Encoding Method specified in Request"))
		return
	}
	limit := 1000
	if v := q.Get("max-uploads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			WriteError(w, r, errInvalidArgument("max-uploads", v, "Provided max-uploads not an integer or within integer range"))
			return
		}
		limit = min(n, 1000)
	}
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	ups, err := s.st.listUploads(bucket, prefix)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// IDs sort in the order uploads began.
	slices.SortFunc(ups, func(x, y uploadInfo) int {
		if c := strings.Compare(x.Key, y.Key); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	val := encoder(enc)
	type xmlUpload struct {
		Key          string
		UploadID     string `xml:"UploadId"`
		Initiator    owner
		Owner        owner
		StorageClass string
		Initiated    string
	}
	type xmlPrefix struct{ Prefix string }
	res := struct {
		XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
		Xmlns              string   `xml:"xmlns,attr"`
		Bucket             string
		KeyMarker          string
		UploadIDMarker     string `xml:"UploadIdMarker"`
		NextKeyMarker      string
		NextUploadIDMarker string `xml:"NextUploadIdMarker"`
		Delimiter          string `xml:",omitempty"`
		Prefix             string
		EncodingType       string `xml:",omitempty"`
		MaxUploads         int
		IsTruncated        bool
		Uploads            []xmlUpload `xml:"Upload"`
		CommonPrefixes     []xmlPrefix
	}{Xmlns: xmlns, Bucket: bucket, KeyMarker: val(keyMarker), UploadIDMarker: idMarker, Delimiter: val(delim),
		Prefix: val(prefix), EncodingType: enc, MaxUploads: limit}
	seen := map[string]bool{}
	var nextKey, nextID string
	for _, up := range ups {
		if keyMarker != "" {
			switch {
			case up.Key < keyMarker:
				continue
			case up.Key == keyMarker && (idMarker == "" || up.ID <= idMarker):
				continue
			case idMarker == "" && delim != "" && strings.HasSuffix(keyMarker, delim) && strings.HasPrefix(up.Key, keyMarker):
				// The marker is a common prefix a page ended on.
				continue
			}
		}
		common, isCommon := group(up.Key, prefix, delim)
		if isCommon && seen[common] {
			continue
		}
		if len(res.Uploads)+len(res.CommonPrefixes) >= limit {
			res.IsTruncated = true
			break
		}
		if isCommon {
			seen[common] = true
			res.CommonPrefixes = append(res.CommonPrefixes, xmlPrefix{val(common)})
			nextKey, nextID = common, ""
			continue
		}
		res.Uploads = append(res.Uploads, xmlUpload{Key: val(up.Key), UploadID: up.ID, Initiator: s.ownerXML(), Owner: s.ownerXML(),
			StorageClass: "STANDARD", Initiated: s3Time(up.Initiated)})
		nextKey, nextID = up.Key, up.ID
	}
	if res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = val(nextKey), nextID
	}
	writeXML(w, http.StatusOK, res)
}
