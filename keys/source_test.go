package keys

import (
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Source
		wantErr string
	}{
		{"/home/me/private_key.pem", Source{Kind: SourceLocal, Ref: "/home/me/private_key.pem"}, ""},
		{"kms:alias/cfsign", Source{Kind: SourceKMS, Ref: "alias/cfsign"}, ""},
		{"kms:arn:aws:kms:us-east-1:111122223333:key/1234abcd", Source{Kind: SourceKMS, Ref: "arn:aws:kms:us-east-1:111122223333:key/1234abcd"}, ""},
		{"secretsmanager:prod/cdn", Source{Kind: SourceSecretsManager, Ref: "prod/cdn"}, ""},
		{"secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:cdn-AbC#private_key", Source{Kind: SourceSecretsManager, Ref: "arn:aws:secretsmanager:us-east-1:1:secret:cdn-AbC", Field: "private_key"}, ""},
		{"ssm:/cfsign/private_key", Source{Kind: SourceSSM, Ref: "/cfsign/private_key"}, ""},
		{"kms:", Source{}, "kms: needs a KMS key ID"},
		{"secretsmanager:x#", Source{}, "nothing after #"},
	} {
		got, err := ParseSource(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if got.Remote() && got.Setting() != tc.in {
			t.Errorf("%q: Setting() = %q", tc.in, got.Setting())
		}
	}
}
