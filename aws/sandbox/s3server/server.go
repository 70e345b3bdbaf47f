// Package s3server is the cfsign sandbox's S3 server: S3's REST API, path
// style, over a store kept on disk (files plus an index) or in memory.
//
// It answers as S3 does with a bucket's default settings: ACLs disabled
// (Object Ownership "bucket owner enforced": ACLs read as the owner's full
// control, and setting any other is AccessControlListNotSupported),
// flexible checksums kept and sent back only when asked for. Buckets are
// versioned as S3's are once PutBucketVersioning asks (see versioning.go).
// A call it does not implement (tagging, policies, lifecycle, ...) is
// answered 501 NotImplemented and changes nothing.
//
// It does no authentication of its own: the sandbox's guard checks every
// request's signature before it gets here, and checks a signed body as it
// streams in. A browser form upload (POST) carries its signature in the
// form, which the server hands to Options.VerifyPost.
package s3server

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// Dir holds the objects; "" keeps them in memory.
	Dir string
	// Log gets one line for every failure that is the server's own (a full
	// disk, a damaged record); nil discards.
	Log io.Writer
	// VerifyPost checks the signature and policy fields of a browser form
	// upload; nil refuses every form upload.
	VerifyPost func(PostForm) *Error
	// Owner is the account ID listings and ACLs name as the owner.
	Owner string
}

// Server is an http.Handler answering S3's API.
type Server struct {
	st    store
	owner string
	post  func(PostForm) *Error

	logMu sync.Mutex
	log   io.Writer
}

// Region is the one region the server answers for.
const Region = "us-east-1"

// New opens the store and returns the server. A disk store another process
// has open fails with an error wrapping ErrLocked.
func New(opts Options) (*Server, error) {
	s := &Server{owner: opts.Owner, post: opts.VerifyPost, log: opts.Log}
	if s.log == nil {
		s.log = io.Discard
	}
	if s.owner == "" {
		s.owner = "000000000000"
	}
	if opts.Dir == "" {
		s.st = newMemStore()
		return s, nil
	}
	d, err := openDiskStore(opts.Dir)
	if err != nil {
		return nil, err
	}
	if d.reclaimed > 0 {
		s.logf("sandbox: S3 store %s was not closed cleanly; removed %d files no record named", opts.Dir, d.reclaimed)
	}
	s.st = d
	return s, nil
}

// ErrLocked is the error a disk store open by another process gives.
var ErrLocked = errors.New("in use by another running sandbox")

// Close releases the store.
func (s *Server) Close() error { return s.st.close() }

// EnsureBucket creates bucket unless it exists.
func (s *Server) EnsureBucket(bucket string) error {
	ok, err := s.st.bucketExists(bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.st.createBucket(bucket); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == "BucketAlreadyOwnedByYou" {
			return nil
		}
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// Object is a stored object opened for reading: Body reads the object it was
// opened on, whatever happens to the key meanwhile.
type Object struct {
	Size         int64
	ETag         string // quoted, as S3 sends it
	LastModified time.Time
	// Header holds what S3 sends with the object: Content-Type, the other
	// stored headers and x-amz-meta-*.
	Header http.Header
	Body   interface {
		io.ReaderAt
		io.Closer
	}
}

// Open opens key's object in bucket; the error for a key or bucket that
// does not exist satisfies NotFound.
func (s *Server) Open(bucket, key string) (*Object, error) {
	info, body, err := s.st.open(bucket, key, "")
	if err != nil {
		return nil, err
	}
	if info.DeleteMarker {
		return nil, errNoSuchKey(key)
	}
	h := http.Header{}
	info.setHeaders(h)
	return &Object{Size: info.Size, ETag: info.ETag, LastModified: info.Modified, Header: h, Body: body}, nil
}

// NotFound reports whether err says a bucket or a key does not exist.
func NotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == "NoSuchKey" || e.Code == "NoSuchBucket")
}

func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.log, format+"\n", args...)
}

// fail answers err; a failure of the server's own is logged too.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, internal := asError(err)
	if internal {
		s.logf("sandbox: S3 %s %s: %v", r.Method, r.URL.Path, err)
	}
	WriteError(w, r, e)
}

// writeXML answers v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		// Only a programming error gets here: every answer is a fixed shape.
		http.Error(w, "the sandbox could not write its answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(out)))
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}

// subresources are the query parameters that name an S3 operation rather
// than qualify one; notImplemented those of operations the server does not
// have.
var (
	subresources = map[string]bool{
		"accelerate": true, "acl": true, "analytics": true, "attributes": true, "cors": true, "delete": true,
		"encryption": true, "intelligent-tiering": true, "inventory": true, "legal-hold": true, "lifecycle": true,
		"location": true, "logging": true, "metadataTable": true, "metrics": true, "notification": true,
		"object-lock": true, "ownershipControls": true, "policy": true, "policyStatus": true,
		"publicAccessBlock": true, "renameObject": true, "replication": true, "requestPayment": true,
		"restore": true, "retention": true, "select": true, "session": true, "tagging": true, "torrent": true,
		"uploadId": true, "uploads": true, "versioning": true, "versions": true, "website": true,
	}
	notImplemented = map[string]string{
		"accelerate": "Transfer acceleration", "analytics": "Storage class analysis", "cors": "Bucket CORS configuration (the sandbox takes one origin: cfsign sandbox --cors-origin)",
		"encryption": "Bucket encryption configuration", "intelligent-tiering": "Intelligent-Tiering", "inventory": "S3 Inventory",
		"legal-hold": "Object Lock legal hold", "lifecycle": "Lifecycle configuration", "logging": "Server access logging",
		"metadataTable": "S3 Metadata", "metrics": "Request metrics", "notification": "Event notifications",
		"object-lock": "Object Lock", "policy": "Bucket policies", "policyStatus": "Bucket policy status",
		"publicAccessBlock": "Block Public Access configuration", "renameObject": "RenameObject", "replication": "Replication",
		"requestPayment": "Requester Pays", "restore": "RestoreObject", "retention": "Object Lock retention",
		"select": "S3 Select", "session": "CreateSession (directory buckets)", "tagging": "Object and bucket tagging",
		"torrent": "BitTorrent", "website": "Static website hosting",
	}
)

// subresource is the one operation-naming parameter of q, "" for none.
func subresource(q map[string][]string) string {
	for _, name := range []string{"uploadId", "uploads", "acl", "attributes", "delete", "location", "versioning", "versions", "ownershipControls"} {
		if _, ok := q[name]; ok {
			return name
		}
	}
	for name := range q {
		if subresources[name] {
			return name
		}
	}
	return ""
}

// ServeHTTP routes path-style requests (/bucket/key) to S3's operations.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID(w)
	w.Header().Set("Server", "AmazonS3")
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	sub := subresource(q)
	if what, ok := notImplemented[sub]; ok {
		WriteError(w, r, errNotImplemented(what))
		return
	}
	if bucket == "" {
		if r.Method == http.MethodGet && sub == "" {
			s.listBuckets(w, r)
			return
		}
		WriteError(w, r, newError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."))
		return
	}
	if key == "" {
		s.serveBucket(w, r, bucket, sub)
		return
	}
	if len(key) > maxKeyLen {
		WriteError(w, r, newError(http.StatusBadRequest, "KeyTooLongError", "Your key is too long").
			with("Size", strconv.Itoa(len(key))).with("MaxSizeAllowed", strconv.Itoa(maxKeyLen)))
		return
	}
	s.serveObject(w, r, bucket, key, sub)
}

func (s *Server) serveBucket(w http.ResponseWriter, r *http.Request, bucket, sub string) {
	switch r.Method + " " + sub {
	case "GET ":
		s.listObjects(w, r, bucket)
	case "GET location":
		s.getLocation(w, r, bucket)
	case "GET versioning":
		s.getVersioning(w, r, bucket)
	case "GET acl":
		s.getACL(w, r, bucket, "", "")
	case "GET uploads":
		s.listUploads(w, r, bucket)
	case "GET versions":
		s.listVersions(w, r, bucket)
	case "GET ownershipControls":
		s.getOwnership(w, r, bucket)
	case "HEAD ":
		s.headBucket(w, r, bucket)
	case "PUT ":
		s.createBucket(w, r, bucket)
	case "PUT acl":
		s.putACL(w, r, bucket, "", "")
	case "PUT versioning":
		s.putVersioning(w, r, bucket)
	case "PUT ownershipControls":
		WriteError(w, r, errNotImplemented("Changing Object Ownership (ACLs stay disabled)"))
	case "DELETE ":
		s.deleteBucket(w, r, bucket)
	case "POST delete":
		s.deleteObjects(w, r, bucket)
	case "POST ":
		s.postObject(w, r, bucket)
	default:
		WriteError(w, r, errNotImplemented(r.Method+" of a bucket with ?"+sub))
	}
}

func (s *Server) serveObject(w http.ResponseWriter, r *http.Request, bucket, key, sub string) {
	version, e := versionParam(r)
	if e != nil {
		WriteError(w, r, e)
		return
	}
	switch r.Method + " " + sub {
	case "GET ":
		s.getObject(w, r, bucket, key, version)
	case "HEAD ":
		s.getObject(w, r, bucket, key, version)
	case "GET acl":
		s.getACL(w, r, bucket, key, version)
	case "GET attributes":
		s.getAttributes(w, r, bucket, key, version)
	case "GET uploadId":
		s.listParts(w, r, bucket, key)
	case "PUT ":
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			s.copyObject(w, r, bucket, key)
			return
		}
		s.putObject(w, r, bucket, key)
	case "PUT uploadId":
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			s.uploadPartCopy(w, r, bucket, key)
			return
		}
		s.uploadPart(w, r, bucket, key)
	case "PUT acl":
		s.putACL(w, r, bucket, key, version)
	case "DELETE ":
		s.deleteObject(w, r, bucket, key, version)
	case "DELETE uploadId":
		s.abortUpload(w, r, bucket, key)
	case "POST uploads":
		s.createUpload(w, r, bucket, key)
	case "POST uploadId":
		s.completeUpload(w, r, bucket, key)
	default:
		WriteError(w, r, errNotImplemented(r.Method+" of an object"+map[bool]string{true: " with ?" + sub, false: ""}[sub != ""]))
	}
}

// object reads the version of key a request asks for ("" the current
// one), with its body unless head. A delete marker, or no such version,
// is answered as S3 answers it, and ok is false.
func (s *Server) object(w http.ResponseWriter, r *http.Request, bucket, key, version string, head bool) (info *objectInfo, body objectBody, ok bool) {
	var err error
	if head {
		info, err = s.st.stat(bucket, key, version)
	} else {
		info, body, err = s.st.open(bucket, key, version)
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	if info.DeleteMarker {
		WriteError(w, r, markerError(r, key, info, version != ""))
		return nil, nil, false
	}
	return info, body, true
}
