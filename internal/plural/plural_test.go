package plural

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "0 keys"},
		{1, "1 key"},
		{2, "2 keys"},
		{1200, "1,200 keys"},
	} {
		if got := Count(tc.n, "key"); got != tc.want {
			t.Errorf("Count(%d, key) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := CountOf(1, "match", "matches"); got != "1 match" {
		t.Errorf("CountOf(1) = %q", got)
	}
	if got := CountOf(3, "match", "matches"); got != "3 matches" {
		t.Errorf("CountOf(3) = %q", got)
	}
}
