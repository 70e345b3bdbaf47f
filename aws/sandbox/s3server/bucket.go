package s3server

// Buckets: list, create, delete, HEAD, location, versioning, ownership,
// ACLs (of buckets and objects) and DeleteObjects.

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// validBucketName reports whether S3 takes name for a new bucket: 3 to 63
// lower-case letters, digits, dots and hyphens, starting and ending with a
// letter or digit, no two dots in a row, not an IP address, none of the
// prefixes and suffixes S3 reserves.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

type xmlBucket struct {
	Name         string
	CreationDate string
	BucketRegion string
}

// listBuckets answers ListBuckets, a page at a time when max-buckets asks.
func (s *Server) listBuckets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			WriteError(w, r, errInvalidArgument("max-buckets", v, "Argument max-buckets must be an integer between 1 and 10000."))
			return
		}
		limit = n
	}
	after := ""
	if v := q.Get("continuation-token"); v != "" {
		m, err := base64.URLEncoding.DecodeString(v)
		if err != nil {
			WriteError(w, r, errInvalidArgument("continuation-token", v, "The continuation token provided is incorrect"))
			return
		}
		after = string(m)
	}
	prefix := q.Get("prefix")
	all, err := s.st.listBuckets()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.SortFunc(all, func(x, y bucketEntry) int { return strings.Compare(x.Name, y.Name) })
	res := struct {
		XMLName           xml.Name `xml:"ListAllMyBucketsResult"`
		Xmlns             string   `xml:"xmlns,attr"`
		Owner             owner
		Buckets           []xmlBucket `xml:"Buckets>Bucket"`
		ContinuationToken string      `xml:",omitempty"`
		Prefix            string      `xml:",omitempty"`
	}{Xmlns: xmlns, Owner: s.ownerXML(), Prefix: prefix}
	for _, b := range all {
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = base64.URLEncoding.EncodeToString([]byte(res.Buckets[limit-1].Name))
			break
		}
		res.Buckets = append(res.Buckets, xmlBucket{Name: b.Name, CreationDate: s3Time(b.Created), BucketRegion: Region})
	}
	writeXML(w, http.StatusOK, res)
}

// createBucket answers CreateBucket as S3 does in us-east-1: creating a
// bucket one already owns succeeds and changes nothing. The sandbox has the
// one region, and buckets with ACLs disabled.
func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, bucket string) {
	if !validBucketName(bucket) {
		WriteError(w, r, newError(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.").with("BucketName", bucket))
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(strings.TrimSpace(string(raw))) > 0 {
		var cfg struct {
			XMLName            xml.Name `xml:"CreateBucketConfiguration"`
			LocationConstraint string
		}
		if xml.Unmarshal(raw, &cfg) != nil {
			WriteError(w, r, errMalformedXML())
			return
		}
		switch cfg.LocationConstraint {
		case "":
		case Region:
			WriteError(w, r, newError(http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid").
				with("LocationConstraint", cfg.LocationConstraint))
			return
		default:
			WriteError(w, r, newError(http.StatusBadRequest, "IllegalLocationConstraintException",
				"The %s location constraint is incompatible for the region specific endpoint this request was sent to (the sandbox has one region, %s).", cfg.LocationConstraint, Region))
			return
		}
	}
	if e := checkCannedACL(r.Header.Get("X-Amz-Acl")); e != nil {
		if e.Code == "AccessControlListNotSupported" {
			e = newError(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
		WriteError(w, r, e)
		return
	}
	switch v := r.Header.Get("X-Amz-Object-Ownership"); v {
	case "", "BucketOwnerEnforced":
	default:
		WriteError(w, r, errNotImplemented("Object Ownership "+strconv.Quote(v)+" (buckets keep ACLs disabled)"))
		return
	}
	if strings.EqualFold(r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		WriteError(w, r, errNotImplemented("Object Lock"))
		return
	}
	if err := s.st.createBucket(bucket); err != nil {
		var e *Error
		if !(errors.As(err, &e) && e.Code == "BucketAlreadyOwnedByYou") {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Location", "/"+bucket)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) deleteBucket(w http.ResponseWriter, r *http.Request, bucket string) {
	if err := s.st.deleteBucket(bucket); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bucketOr404 answers NoSuchBucket unless bucket exists.
func (s *Server) bucketOr404(w http.ResponseWriter, r *http.Request, bucket string) bool {
	ok, err := s.st.bucketExists(bucket)
	if err != nil || !ok {
		s.fail(w, r, orNoSuchBucket(err, bucket))
		return false
	}
	return true
}

func (s *Server) headBucket(w http.ResponseWriter, r *http.Request, bucket string) {
	if !s.bucketOr404(w, r, bucket) {
		return
	}
	w.Header().Set("X-Amz-Bucket-Region", Region)
	w.Header().Set("X-Amz-Access-Point-Alias", "false")
	w.WriteHeader(http.StatusOK)
}

// getLocation answers GetBucketLocation: us-east-1 is an empty constraint.
func (s *Server) getLocation(w http.ResponseWriter, r *http.Request, bucket string) {
	if !s.bucketOr404(w, r, bucket) {
		return
	}
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		Xmlns   string   `xml:"xmlns,attr"`
	}{Xmlns: xmlns})
}

// getVersioning answers GetBucketVersioning: the status once set, nothing
// for a bucket never versioned.
func (s *Server) getVersioning(w http.ResponseWriter, r *http.Request, bucket string) {
	status, err := s.st.versioning(bucket)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"VersioningConfiguration"`
		Xmlns   string   `xml:"xmlns,attr"`
		Status  string   `xml:",omitempty"`
	}{Xmlns: xmlns, Status: status})
}

// putVersioning answers PutBucketVersioning: Enabled or Suspended, as S3
// validates it. MFA delete cannot be enabled: it needs an MFA device, and
// the sandbox's account has none, so the request is refused as S3 refuses
// one without a valid MFA code.
func (s *Server) putVersioning(w http.ResponseWriter, r *http.Request, bucket string) {
	if !s.bucketOr404(w, r, bucket) {
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var cfg struct {
		XMLName   xml.Name `xml:"VersioningConfiguration"`
		Status    string
		MfaDelete string
	}
	if xml.Unmarshal(raw, &cfg) != nil {
		WriteError(w, r, errMalformedXML())
		return
	}
	switch {
	case cfg.Status == "" && cfg.MfaDelete == "":
		WriteError(w, r, newError(http.StatusBadRequest, "IllegalVersioningConfigurationException", "The Versioning element must be specified"))
		return
	case cfg.Status != versioningEnabled && cfg.Status != versioningSuspended,
		cfg.MfaDelete != "" && cfg.MfaDelete != "Enabled" && cfg.MfaDelete != "Disabled":
		WriteError(w, r, errMalformedXML())
		return
	case cfg.MfaDelete == "Enabled":
		msg := "Mfa Authentication must be used for this request"
		if r.Header.Get("X-Amz-Mfa") != "" {
			msg = "The MFA code is not valid: the sandbox's account has no MFA device, so MFA delete cannot be enabled"
		}
		WriteError(w, r, newError(http.StatusForbidden, "AccessDenied", "%s", msg))
		return
	}
	if err := s.st.setVersioning(bucket, cfg.Status); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) getOwnership(w http.ResponseWriter, r *http.Request, bucket string) {
	if !s.bucketOr404(w, r, bucket) {
		return
	}
	writeXML(w, http.StatusOK, struct {
		XMLName   xml.Name `xml:"OwnershipControls"`
		Xmlns     string   `xml:"xmlns,attr"`
		Ownership string   `xml:"Rule>ObjectOwnership"`
	}{Xmlns: xmlns, Ownership: "BucketOwnerEnforced"})
}

// accessControlPolicy is an ACL document, as read and written.
type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Owner   owner
	Grants  []grant `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee struct {
		XMLNSXSI string `xml:"xmlns:xsi,attr,omitempty"`
		Type     string `xml:"xsi:type,attr,omitempty"`
		ID       string `xml:",omitempty"`
		URI      string `xml:",omitempty"`
		Email    string `xml:"EmailAddress,omitempty"`
		Name     string `xml:"DisplayName,omitempty"`
	}
	Permission string
}

// getACL answers GetBucketAcl and GetObjectAcl (key != ""; of a version,
// "" the current one): with ACLs disabled, the owner has full control,
// and no one else anything.
func (s *Server) getACL(w http.ResponseWriter, r *http.Request, bucket, key, version string) {
	if key != "" {
		if _, _, ok := s.object(w, r, bucket, key, version, true); !ok {
			return
		}
	} else if !s.bucketOr404(w, r, bucket) {
		return
	}
	g := grant{Permission: "FULL_CONTROL"}
	g.Grantee.XMLNSXSI, g.Grantee.Type = "http://www.w3.org/2001/XMLSchema-instance", "CanonicalUser"
	g.Grantee.ID, g.Grantee.Name = s.owner, "sandbox"
	writeXML(w, http.StatusOK, accessControlPolicy{Xmlns: xmlns, Owner: s.ownerXML(), Grants: []grant{g}})
}

// putACL answers PutBucketAcl and PutObjectAcl as a bucket with ACLs
// disabled does: an ACL that grants the owner full control and no one
// else anything is taken (it changes nothing), any other is
// AccessControlListNotSupported.
func (s *Server) putACL(w http.ResponseWriter, r *http.Request, bucket, key, version string) {
	if key != "" {
		info, err := s.st.stat(bucket, key, version)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if info.DeleteMarker {
			// S3 answers 405 for a delete marker, current or asked for.
			WriteError(w, r, markerError(r, key, info, true))
			return
		}
	} else if !s.bucketOr404(w, r, bucket) {
		return
	}
	if e := checkCannedACL(r.Header.Get("X-Amz-Acl")); e != nil {
		WriteError(w, r, e)
		return
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			WriteError(w, r, errACLNotSupported())
			return
		}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(strings.TrimSpace(string(raw))) > 0 {
		var acl accessControlPolicy
		if xml.Unmarshal(raw, &acl) != nil {
			WriteError(w, r, errMalformedXML())
			return
		}
		for _, g := range acl.Grants {
			if g.Permission != "FULL_CONTROL" || g.Grantee.ID != s.owner {
				WriteError(w, r, errACLNotSupported())
				return
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// deleteObjects answers DeleteObjects: at most 1,000 keys or versions,
// each deleted as DeleteObject deletes it (a missing one too), in one
// change; the deleted listed unless Quiet, with the delete markers made
// or removed. A version ID the server never made is NoSuchVersion, as S3
// answers it here.
func (s *Server) deleteObjects(w http.ResponseWriter, r *http.Request, bucket string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		XMLName xml.Name `xml:"Delete"`
		Quiet   bool
		Objects []struct {
			Key       string
			VersionID string `xml:"VersionId"`
		} `xml:"Object"`
	}
	if xml.Unmarshal(raw, &req) != nil || len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
		WriteError(w, r, errMalformedXML())
		return
	}
	if !s.bucketOr404(w, r, bucket) {
		return
	}
	type deleted struct {
		Key                   string
		VersionID             string `xml:"VersionId,omitempty"`
		DeleteMarker          bool   `xml:",omitempty"`
		DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
	}
	type failed struct {
		Key       string
		VersionID string `xml:"VersionId,omitempty"`
		Code      string
		Message   string
	}
	res := struct {
		XMLName xml.Name  `xml:"DeleteResult"`
		Xmlns   string    `xml:"xmlns,attr"`
		Deleted []deleted `xml:"Deleted"`
		Errors  []failed  `xml:"Error"`
	}{Xmlns: xmlns}
	var refs []objectRef
	for _, o := range req.Objects {
		if o.VersionID != "" {
			if _, e := checkVersionID("versionId", o.VersionID); e != nil {
				res.Errors = append(res.Errors, failed{Key: o.Key, VersionID: o.VersionID, Code: "NoSuchVersion", Message: "The specified version does not exist."})
				continue
			}
		}
		refs = append(refs, objectRef{Key: o.Key, VersionID: o.VersionID})
	}
	if len(refs) > 0 {
		done, err := s.st.remove(bucket, refs...)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i, ref := range refs {
			if req.Quiet {
				break
			}
			d := deleted{Key: ref.Key, VersionID: ref.VersionID, DeleteMarker: done[i].DeleteMarker}
			if d.DeleteMarker {
				d.DeleteMarkerVersionID = done[i].VersionID
			}
			res.Deleted = append(res.Deleted, d)
		}
	}
	writeXML(w, http.StatusOK, res)
}
