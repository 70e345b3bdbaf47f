// Package bucketpolicy edits S3 bucket policy documents: it makes the statement
// that lets one CloudFront distribution read a bucket through its origin
// access control, and merges a statement into an existing policy without
// disturbing anything else in it. It does no I/O.
package bucketpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// statement is the statement cfsign adds; field order follows the AWS console.
type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal"`
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition"`
}

// DistributionRead returns the bucket-policy statement that lets the
// distribution with distributionARN, and only it, read the bucket's objects
// through its origin access control.
func DistributionRead(bucket, distributionARN string) (json.RawMessage, error) {
	partition, distID, err := parseDistributionARN(distributionARN)
	if err != nil {
		return nil, err
	}
	if bucket == "" || strings.ContainsAny(bucket, "/*\"") {
		return nil, fmt.Errorf("bucket policy: bad bucket name %q", bucket)
	}
	st := statement{
		Sid:       "AllowCloudFrontRead" + distID,
		Effect:    "Allow",
		Principal: map[string]string{"Service": "cloudfront.amazonaws.com"},
		Action:    "s3:GetObject",
		Resource:  fmt.Sprintf("arn:%s:s3:::%s/*", partition, bucket),
		Condition: map[string]map[string]string{"StringEquals": {"AWS:SourceArn": distributionARN}},
	}
	return json.Marshal(st)
}

// parseDistributionARN reads "arn:PARTITION:cloudfront::ACCOUNT:distribution/ID".
// It also takes moto's form, which lacks the empty region field.
func parseDistributionARN(arn string) (partition, id string, err error) {
	parts := strings.Split(arn, ":")
	last := parts[len(parts)-1]
	if len(parts) < 5 || len(parts) > 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "cloudfront" ||
		!isDistributionResource(last) {
		return "", "", fmt.Errorf("bucket policy: %q is not a CloudFront distribution ARN (arn:aws:cloudfront::ACCOUNT:distribution/ID)", arn)
	}
	return parts[1], strings.TrimPrefix(last, "distribution/"), nil
}

// isDistributionResource reports whether s is "distribution/" and an ID of
// letters and digits.
func isDistributionResource(s string) bool {
	id, ok := strings.CutPrefix(s, "distribution/")
	if !ok || id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Merge adds stmt to the bucket policy document policy ("" when the
// bucket has none) and returns the new document. Every existing statement and
// top-level field is kept as it was; when an equivalent statement (equal apart
// from Sid, the order of lists and one-element lists written as strings) is
// already there, the policy comes back unchanged with changed=false. A Sid
// that another statement already uses gets a numeric suffix.
func Merge(policy string, stmt json.RawMessage) (merged string, changed bool, err error) {
	var add map[string]any
	if err := json.Unmarshal(stmt, &add); err != nil {
		return "", false, fmt.Errorf("bucket policy statement: %w", err)
	}
	if strings.TrimSpace(policy) == "" {
		doc := []topField{
			{"Version", json.RawMessage(`"2012-10-17"`)},
			{"Statement", nil},
		}
		body, err := withStatements(doc, 1, []json.RawMessage{stmt})
		if err != nil {
			return "", false, err
		}
		return body, true, nil
	}
	doc, err := topFields(policy)
	if err != nil {
		return "", false, err
	}
	si := -1
	for i, f := range doc {
		if f.Key == "Statement" {
			si = i
		}
	}
	var existing []json.RawMessage
	if si < 0 {
		doc = append(doc, topField{Key: "Statement"})
		si = len(doc) - 1
	} else {
		raw := bytes.TrimSpace(doc[si].Value)
		switch {
		case len(raw) > 0 && raw[0] == '[':
			if err := json.Unmarshal(raw, &existing); err != nil {
				return "", false, fmt.Errorf("read bucket policy: Statement: %w", err)
			}
		case len(raw) > 0 && raw[0] == '{':
			existing = []json.RawMessage{raw} // a single statement may stand alone
		default:
			return "", false, errors.New("read bucket policy: Statement is neither a list nor an object")
		}
	}
	want := normalize(add, "")
	sids := map[string]bool{}
	for _, raw := range existing {
		var st map[string]any
		if err := json.Unmarshal(raw, &st); err != nil {
			return "", false, fmt.Errorf("read bucket policy: statement: %w", err)
		}
		if reflect.DeepEqual(normalize(st, ""), want) {
			return policy, false, nil
		}
		if sid, ok := st["Sid"].(string); ok {
			sids[sid] = true
		}
	}
	if sid, ok := add["Sid"].(string); ok && sids[sid] {
		n := 2
		for sids[fmt.Sprintf("%s%d", sid, n)] {
			n++
		}
		add["Sid"] = fmt.Sprintf("%s%d", sid, n)
		if stmt, err = marshalStatement(add); err != nil {
			return "", false, err
		}
	}
	body, err := withStatements(doc, si, append(existing, stmt))
	if err != nil {
		return "", false, err
	}
	return body, true, nil
}

// marshalStatement re-encodes a statement with the usual keys first.
func marshalStatement(st map[string]any) (json.RawMessage, error) {
	order := []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	var fields []topField
	done := map[string]bool{}
	for _, k := range order {
		if v, ok := st[k]; ok {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			fields = append(fields, topField{k, b})
			done[k] = true
		}
	}
	var rest []string
	for k := range st {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		b, err := json.Marshal(st[k])
		if err != nil {
			return nil, err
		}
		fields = append(fields, topField{k, b})
	}
	return encodeFields(fields)
}

// topField is one top-level member of a JSON object, kept in document order.
type topField struct {
	Key   string
	Value json.RawMessage
}

// topFields reads the top-level members of a JSON object in order.
func topFields(doc string) ([]topField, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("read bucket policy: not a JSON object")
	}
	var out []topField
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read bucket policy: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("read bucket policy: %s: %w", key, err)
		}
		out = append(out, topField{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("read bucket policy: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("read bucket policy: text after the JSON object")
	}
	return out, nil
}

// withStatements sets doc[i] to the statement list and encodes doc. The
// statements are only compacted, never re-escaped, so existing ones survive
// as written.
func withStatements(doc []topField, i int, stmts []json.RawMessage) (string, error) {
	var list bytes.Buffer
	list.WriteByte('[')
	for j, st := range stmts {
		if j > 0 {
			list.WriteByte(',')
		}
		if err := json.Compact(&list, st); err != nil {
			return "", fmt.Errorf("bucket policy statement: %w", err)
		}
	}
	list.WriteByte(']')
	doc[i].Value = list.Bytes()
	b, err := encodeFields(doc)
	return string(b), err
}

func encodeFields(fields []topField) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		buf.Write(k)
		buf.WriteByte(':')
		if err := json.Compact(&buf, f.Value); err != nil {
			return nil, fmt.Errorf("bucket policy %s: %w", f.Key, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// normalize makes equivalent statements compare equal: no Sid, one-element
// lists as their element, lists of strings sorted, condition keys (which IAM
// compares case-insensitively) in lower case.
func normalize(v any, parent string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if parent == "" && k == "Sid" {
				continue
			}
			nk := k
			if parent == "Condition/op" {
				nk = strings.ToLower(k)
			}
			child := k
			switch parent {
			case "Condition":
				child = "Condition/op"
			case "":
			default:
				child = parent + "/" + k
			}
			out[nk] = normalize(e, child)
		}
		return out
	case []any:
		if len(x) == 1 {
			return normalize(x[0], parent)
		}
		out := make([]any, len(x))
		strs := true
		for i, e := range x {
			out[i] = normalize(e, parent)
			if _, ok := out[i].(string); !ok {
				strs = false
			}
		}
		if strs {
			sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
		}
		return out
	}
	return v
}

// Statements decodes the statements of a policy document, which must hold a
// list of them (as Merge writes it).
func Statements(policy string) ([]map[string]any, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, fmt.Errorf("bucket policy is not JSON: %w", err)
	}
	var list []map[string]any
	if err := json.Unmarshal(doc["Statement"], &list); err != nil {
		return nil, fmt.Errorf("bucket policy's Statement is not a list: %w", err)
	}
	return list, nil
}
