package bucketpolicy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const bpTestARN = "arn:aws:cloudfront::123456789012:distribution/E1A2B3C4D5E6F7"

// bpTestStatements decodes a policy's statements or fails the test.
func bpTestStatements(t *testing.T, policy string) []map[string]any {
	t.Helper()
	list, err := Statements(policy)
	if err != nil {
		t.Fatalf("%v\n%s", err, policy)
	}
	return list
}

func TestStatement(t *testing.T) {
	raw, err := DistributionRead("media", bpTestARN)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"AllowCloudFrontReadE1A2B3C4D5E6F7","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*","Condition":{"StringEquals":{"AWS:SourceArn":"` + bpTestARN + `"}}}`
	if string(raw) != want {
		t.Errorf("statement\n got %s\nwant %s", raw, want)
	}
	cn, err := DistributionRead("media", "arn:aws-cn:cloudfront::123456789012:distribution/E9")
	if err != nil || !strings.Contains(string(cn), `"arn:aws-cn:s3:::media/*"`) {
		t.Errorf("China partition: %s %v", cn, err)
	}
	for _, bad := range []struct{ bucket, arn string }{
		{"media", "E1A2B3C4D5E6F7"},
		{"media", "arn:aws:s3:::media"},
		{"media", "arn:aws:cloudfront::123456789012:distribution/"},
		{"media", "arn:aws:cloudfront::123456789012:distribution/E1/x"},
		{"", bpTestARN},
		{"me*dia", bpTestARN},
	} {
		if _, err := DistributionRead(bad.bucket, bad.arn); err == nil {
			t.Errorf("DistributionRead(%q, %q) succeeded", bad.bucket, bad.arn)
		}
	}
}

func TestMerge(t *testing.T) {
	stmt, err := DistributionRead("media", bpTestARN)
	if err != nil {
		t.Fatal(err)
	}
	other := `{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::media","arn:aws:s3:::media/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	tests := []struct {
		name    string
		policy  string
		changed bool
		count   int      // statements after the merge
		keep    []string // raw statements that must survive byte for byte (compacted)
		sid     string   // Sid of the added statement
		fields  []string // top-level keys in order
		wantErr string
	}{
		{name: "no policy", policy: "", changed: true, count: 1, sid: "AllowCloudFrontReadE1A2B3C4D5E6F7", fields: []string{"Version", "Statement"}},
		{name: "blank policy", policy: " \n", changed: true, count: 1, fields: []string{"Version", "Statement"}},
		{
			name:    "keeps other statements and fields",
			policy:  `{"Version":"2008-10-17","Id":"PolicyForCloudFrontPrivateContent","Statement":[` + other + `]}`,
			changed: true, count: 2, keep: []string{other}, fields: []string{"Version", "Id", "Statement"},
		},
		{
			name:    "keeps characters JSON could escape",
			policy:  `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*","Condition":{"StringNotLike":{"aws:Referer":["https://a.example/?x=1&y=<2>","é"]}}}]}`,
			changed: true, count: 2, keep: []string{`"https://a.example/?x=1&y=<2>","é"`}, fields: []string{"Statement"},
		},
		{
			name:    "lone statement object",
			policy:  `{"Version":"2012-10-17","Statement":` + other + `}`,
			changed: true, count: 2, keep: []string{other},
		},
		{
			name:    "already there",
			policy:  `{"Version":"2012-10-17","Statement":[` + other + `,` + string(stmt) + `]}`,
			changed: false,
		},
		{
			name: "equivalent statement written differently",
			policy: `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFrontServicePrincipal","Effect":"Allow",` +
				`"Principal":{"Service":["cloudfront.amazonaws.com"]},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::media/*",` +
				`"Condition":{"StringEquals":{"aws:sourcearn":"` + bpTestARN + `"}}}]}`,
			changed: false,
		},
		{
			name: "another distribution's statement",
			policy: `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFrontReadE1A2B3C4D5E6F7","Effect":"Allow",` +
				`"Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*",` +
				`"Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/EOTHER"}}}]}`,
			changed: true, count: 2, sid: "AllowCloudFrontReadE1A2B3C4D5E6F72",
		},
		{
			name:    "no Statement yet",
			policy:  `{"Version":"2012-10-17"}`,
			changed: true, count: 1, fields: []string{"Version", "Statement"},
		},
		{name: "not JSON", policy: `{"Version":`, wantErr: "read bucket policy"},
		{name: "a list", policy: `[]`, wantErr: "not a JSON object"},
		{name: "bad Statement", policy: `{"Statement":"x"}`, wantErr: "neither a list nor an object"},
		{name: "trailing text", policy: `{"Statement":[]} x`, wantErr: "text after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			merged, changed, err := Merge(tc.policy, stmt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v\n%s", changed, tc.changed, merged)
			}
			if !changed {
				if merged != tc.policy {
					t.Errorf("unchanged policy was rewritten:\n%s", merged)
				}
				return
			}
			list := bpTestStatements(t, merged)
			if len(list) != tc.count {
				t.Fatalf("%d statements, want %d:\n%s", len(list), tc.count, merged)
			}
			for _, k := range tc.keep {
				if !strings.Contains(merged, k) {
					t.Errorf("statement %s lost or rewritten:\n%s", k, merged)
				}
			}
			added := list[len(list)-1]
			if tc.sid != "" && added["Sid"] != tc.sid {
				t.Errorf("added Sid %v, want %s", added["Sid"], tc.sid)
			}
			var want map[string]any
			json.Unmarshal(stmt, &want)
			delete(want, "Sid")
			delete(added, "Sid")
			if !reflect.DeepEqual(added, want) {
				t.Errorf("added statement %v, want %v", added, want)
			}
			if tc.fields != nil {
				doc, err := topFields(merged)
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, f := range doc {
					keys = append(keys, f.Key)
				}
				if !reflect.DeepEqual(keys, tc.fields) {
					t.Errorf("fields %q, want %q", keys, tc.fields)
				}
			}
			// Merging again is a no-op.
			again, changed, err := Merge(merged, stmt)
			if err != nil || changed || again != merged {
				t.Errorf("second merge changed=%v err=%v", changed, err)
			}
		})
	}
}
