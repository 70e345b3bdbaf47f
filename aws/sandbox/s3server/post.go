package s3server

// Browser form uploads (POST Object): the form carries the key, the
// object's headers, a base64 policy and its signature; the file comes last.
// The signature is checked by Options.VerifyPost (the sandbox holds the
// secret), the policy here: it must not have expired, every condition must
// hold, and every field of the form must be covered by a condition.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// PostForm is a form upload's fields, by lower-case name (the file aside).
type PostForm map[string]string

// maxFormFields bounds the fields before the file, which S3 limits to 20 KB.
const maxFormFields = 20 << 10

func errPolicy(format string, args ...any) *Error {
	return newError(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: "+format, args...)
}

func errBadPolicy(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: "+format, args...)
}

// postObject answers a form upload.
func (s *Server) postObject(w http.ResponseWriter, r *http.Request, bucket string) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		WriteError(w, r, newError(http.StatusPreconditionFailed, "PreconditionFailed",
			"Bucket POST must be of the enclosure-type multipart/form-data").with("Condition", "Bucket POST must be of the enclosure-type multipart/form-data"))
		return
	}
	if !s.bucketOr404(w, r, bucket) {
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	form := PostForm{}
	used := 0
	var file *multipart.Part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			WriteError(w, r, newError(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."))
			return
		}
		name := strings.ToLower(p.FormName())
		if name == "file" {
			file = p
			break // S3 ignores the fields after the file
		}
		v, err := io.ReadAll(io.LimitReader(p, int64(maxFormFields-used+1)))
		used += len(v)
		if err != nil || used > maxFormFields {
			WriteError(w, r, newError(http.StatusBadRequest, "MaxPostPreDataLengthExceededError",
				"Your POST request fields preceding the upload file were too large."))
			return
		}
		form[name] = string(v)
	}
	if file == nil {
		WriteError(w, r, errInvalidArgument("file", "", "POST requires exactly one file upload per request."))
		return
	}
	key, ok := form["key"]
	if !ok || key == "" {
		WriteError(w, r, errInvalidArgument("key", "", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."))
		return
	}
	key = strings.ReplaceAll(key, "${filename}", file.FileName())
	form["key"] = key
	if s.post == nil {
		WriteError(w, r, newError(http.StatusForbidden, "AccessDenied", "Access Denied"))
		return
	}
	if e := s.post(form); e != nil {
		WriteError(w, r, e)
		return
	}
	minSize, maxSize, e := checkPolicy(form, bucket, time.Now())
	if e != nil {
		WriteError(w, r, e)
		return
	}
	if len(key) > maxKeyLen {
		WriteError(w, r, newError(http.StatusBadRequest, "KeyTooLongError", "Your key is too long"))
		return
	}
	hdr := http.Header{}
	for name, v := range form {
		switch {
		case strings.HasPrefix(name, "x-amz-meta-"):
			hdr.Set(name, v)
		case name == "content-type", name == "cache-control", name == "content-disposition", name == "content-encoding", name == "expires":
			hdr.Set(name, v)
		}
	}
	if e := checkCannedACL(form["acl"]); e != nil {
		WriteError(w, r, e)
		return
	}
	meta, e := objectMeta(&http.Request{Header: hdr})
	if e != nil {
		WriteError(w, r, e)
		return
	}
	// The file's size is known once it is read: it waits in a temporary
	// file, then goes into the store like a PUT's body.
	tmp, err := os.CreateTemp("", "cfsign-sandbox-post-")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	limit := maxSize
	if limit < 0 {
		limit = maxPartSize
	}
	size, err := io.Copy(tmp, io.LimitReader(file, limit+1))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if size > limit {
		WriteError(w, r, errTooLarge(size))
		return
	}
	if size < minSize {
		WriteError(w, r, newError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size").
			with("ProposedSize", itoa64(size)).with("MinSizeAllowed", itoa64(minSize)))
		return
	}
	info, err := s.st.put(bucket, key, &objectInfo{Meta: meta}, io.NewSectionReader(tmp, 0, size), size, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("ETag", info.ETag)
	setWrittenVersion(h, info)
	location := "http://" + r.Host + "/" + bucket + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
	h.Set("Location", location)
	if redirect := firstOf(form["success_action_redirect"], form["redirect"]); redirect != "" {
		if u, err := url.Parse(redirect); err == nil && u.Scheme != "" {
			q := u.Query()
			q.Set("bucket", bucket)
			q.Set("key", key)
			q.Set("etag", info.ETag)
			u.RawQuery = q.Encode()
			h.Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	}
	switch form["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		writeXML(w, http.StatusCreated, struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string
			Bucket   string
			Key      string
			ETag     string
		}{Location: location, Bucket: bucket, Key: key, ETag: info.ETag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// exemptFields need no condition in a policy.
func exemptField(name string) bool {
	switch name {
	case "policy", "signature", "x-amz-signature", "awsaccesskeyid", "file", "bucket":
		return true
	}
	return strings.HasPrefix(name, "x-ignore-")
}

// checkPolicy checks the form's policy against the form: its expiration,
// its conditions (field names without regard to case), and that it covers
// every field. It returns the content-length-range (maxSize -1 for none).
func checkPolicy(form PostForm, bucket string, now time.Time) (minSize, maxSize int64, e *Error) {
	maxSize = -1
	raw, err := base64.StdEncoding.DecodeString(form["policy"])
	if err != nil {
		return 0, 0, errBadPolicy("the policy is not valid base64")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return 0, 0, errBadPolicy("the policy is not a JSON object: %v", err)
	}
	exp, ok := doc["expiration"].(string)
	if !ok {
		return 0, 0, errBadPolicy("Policy missing expiration.")
	}
	t, err := time.Parse(time.RFC3339Nano, exp)
	if err != nil || !strings.HasSuffix(exp, "Z") {
		return 0, 0, errBadPolicy("Invalid 'expiration' value: '%s'", exp)
	}
	if now.After(t) {
		return 0, 0, errPolicy("Policy expired.")
	}
	conds, ok := doc["conditions"].([]any)
	if !ok {
		return 0, 0, errBadPolicy("Policy missing conditions.")
	}
	covered := map[string]bool{}
	value := func(field string) (string, bool) {
		if field == "bucket" {
			return bucket, true
		}
		v, ok := form[field]
		return v, ok
	}
	for _, c := range conds {
		switch c := c.(type) {
		case map[string]any:
			if len(c) != 1 {
				return 0, 0, errBadPolicy("a condition object must name exactly one field: %v", c)
			}
			for name, want := range c {
				ws, ok := want.(string)
				if !ok {
					return 0, 0, errBadPolicy("the value of condition %q must be a string", name)
				}
				field := strings.ToLower(name)
				covered[field] = true
				if got, _ := value(field); got != ws {
					return 0, 0, errPolicy("Policy Condition failed: [\"eq\", \"$%s\", \"%s\"]", name, ws)
				}
			}
		case []any:
			if len(c) == 0 {
				return 0, 0, errBadPolicy("an empty condition")
			}
			op, _ := c[0].(string)
			switch strings.ToLower(op) {
			case "content-length-range":
				if len(c) != 3 {
					return 0, 0, errBadPolicy("content-length-range takes a minimum and a maximum")
				}
				lo, lerr := policyInt(c[1])
				hi, herr := policyInt(c[2])
				if lerr != nil || herr != nil || lo < 0 || hi < lo {
					return 0, 0, errBadPolicy("invalid content-length-range: %v", c)
				}
				minSize, maxSize = lo, hi
			case "eq", "starts-with":
				if len(c) != 3 {
					return 0, 0, errBadPolicy("%s takes a field and a value", op)
				}
				name, _ := c[1].(string)
				want, ok := c[2].(string)
				if !strings.HasPrefix(name, "$") || !ok {
					return 0, 0, errBadPolicy("invalid condition: %v", c)
				}
				field := strings.ToLower(name[1:])
				covered[field] = true
				got, _ := value(field)
				held := got == want
				if strings.EqualFold(op, "starts-with") {
					held = strings.HasPrefix(got, want)
					if field == "content-type" {
						for _, v := range strings.Split(got, ",") {
							held = held && strings.HasPrefix(strings.TrimSpace(v), want)
						}
					}
				}
				if !held {
					return 0, 0, errPolicy("Policy Condition failed: [\"%s\", \"%s\", \"%s\"]", op, name, want)
				}
			default:
				return 0, 0, errBadPolicy("unknown condition operator %q", op)
			}
		default:
			return 0, 0, errBadPolicy("a condition must be an object or an array")
		}
	}
	for name := range form {
		if !exemptField(name) && !covered[name] {
			return 0, 0, errPolicy("Extra input fields: %s", name)
		}
	}
	return minSize, maxSize, nil
}

func policyInt(v any) (int64, error) {
	switch v := v.(type) {
	case json.Number:
		return v.Int64()
	case string:
		return strconv.ParseInt(v, 10, 64)
	}
	return 0, errors.New(fmt.Sprint(v))
}
