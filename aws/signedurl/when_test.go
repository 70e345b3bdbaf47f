package signedurl

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"90s", now.Add(90 * time.Second)},
		{"15m", now.Add(15 * time.Minute)},
		{"1h", now.Add(time.Hour)},
		{"7d", now.Add(7 * 24 * time.Hour)},
		{"2w", now.Add(14 * 24 * time.Hour)},
		{"1h30m", now.Add(90 * time.Minute)},
		{"1d12h", now.Add(36 * time.Hour)},
		{"1.5h", now.Add(90 * time.Minute)},
		{"500ms", now.Add(500 * time.Millisecond)},
		{"+1h", now.Add(time.Hour)},
		{"-1h", now.Add(-time.Hour)},
		{" 1h ", now.Add(time.Hour)},
		{"2027-01-02", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2027-01-02T15:04:05Z", time.Date(2027, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"2027-01-02T15:04:05+02:00", time.Date(2027, 1, 2, 13, 4, 5, 0, time.UTC)},
		{"2027-01-02T15:04:05.5Z", time.Date(2027, 1, 2, 15, 4, 5, 5e8, time.UTC)},
		{"1893456000", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0", time.Unix(0, 0)},
	}
	for _, tt := range tests {
		got, err := ParseWhen(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "h", "1x", "1 h", "tomorrow", "1h-", "2027-13-01", "2027-02-30",
		"2027-01-02 15:04:05", "2027-01-02T15:04:05", "99999999999999999999", "999999999999", "-", "1.2.3h",
		"9999999999999w", "1e3s", "--1h"} {
		got, err := ParseWhen(bad, now)
		if !errors.Is(err, ErrWhen) {
			t.Errorf("ParseWhen(%q) = %v, %v; want ErrWhen", bad, got, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, "RFC 3339") || !strings.Contains(msg, "7d") || !strings.Contains(msg, "Unix seconds") {
			t.Errorf("ParseWhen(%q) error should list the accepted forms on one line: %q", bad, msg)
		}
	}
}
