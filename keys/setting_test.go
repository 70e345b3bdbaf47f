package keys

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Classify is the one judge of whether a key setting may be key material:
// paths stay paths (and may be shown), everything else is named by its
// source only.
func TestClassifySetting(t *testing.T) {
	key, err := Generate(ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := PrivatePEM(key)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pemBytes)
	b64 := base64.StdEncoding.EncodeToString([]byte(pemText))
	var body []string
	for _, l := range strings.Split(strings.TrimSpace(pemText), "\n") {
		if !strings.HasPrefix(l, "-----") {
			body = append(body, l)
		}
	}
	tests := []struct {
		value string
		want  ValueKind
	}{
		{"/home/me/.config/cfsign/keys/private_key.pem", KindPath},
		{"file://private_key.pem", KindPath},
		{"keys/" + strings.Repeat("k", 300) + ".pem", KindPath}, // long, but a path
		{strings.Repeat("k", 300), KindSecret},                  // base64 characters only: never echoed
		{"my key (copy).pem", KindPath},
		{pemText, KindPEM},
		{b64, KindBase64PEM},
		{strings.Join(body, "\n"), KindBase64DER},
		{strings.Join(body, ""), KindBase64DER},
		{base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 100))), KindSecret},
		{"line one\nline two", KindSecret},
	}
	for _, tc := range tests {
		if got := Classify(tc.value); got != tc.want {
			t.Errorf("Classify(%.40q) = %d, want %d", tc.value, got, tc.want)
		}
	}
}
