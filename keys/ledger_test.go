package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLedgerKeepsLatestExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "cfsign", "signed-expiries.json")
	l := NewLedger(path)
	if _, ok, err := l.LatestExpiry("KA"); ok || err != nil {
		t.Fatalf("empty ledger: %v %v", ok, err)
	}
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		id   string
		exp  time.Time
		want time.Time
	}{
		{"KA", t0, t0},
		{"KA", t0.Add(-time.Hour), t0}, // an earlier expiry changes nothing
		{"KA", t0.Add(2 * time.Hour), t0.Add(2 * time.Hour)},
		{"KB", t0.Add(time.Minute), t0.Add(time.Minute)},
	} {
		if err := l.Record(tc.id, tc.exp); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := l.LatestExpiry(tc.id); !ok || err != nil || !got.Equal(tc.want) {
			t.Fatalf("%s after %v: %v %v %v, want %v", tc.id, tc.exp, got, ok, err, tc.want)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ledger file: %v %v", st, err)
	}
	os.WriteFile(path, []byte("not json"), 0o600)
	if _, _, err := l.LatestExpiry("KA"); err == nil || !strings.Contains(err.Error(), "not a cfsign expiry ledger") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("corrupt ledger: %v", err)
	}
}
