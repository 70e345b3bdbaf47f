package signedurl

import (
	"errors"
	"fmt"
	"os/exec"
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
		{"1893456000.25", time.Date(2030, 1, 1, 0, 0, 0, 25e7, time.UTC)},
		{"253402300799.123456789", time.Unix(253402300799, 123456789).UTC()},
		{"1.5", time.Unix(1, 5e8).UTC()},
		{"0", time.Unix(0, 0)},
		{"2027-01-02 15:04:05", time.Date(2027, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"2027-01-02T15:04:05", time.Date(2027, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"2030-01-01T12:00:00", time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseWhen(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "h", "1x", "1 h", "tomorrow", "1h-", "2027-13-01", "2027-02-30",
		"2027-01-02T25:00:00", "2027-01-02T15:04:05+25:00", "2027-1-2", "99999999999999999999", "999999999999", "-", "1.2.3h",
		"9999999999999w", "1e3s", "--1h",
		"1893456000.", ".5", "1893456000.1234567891", "1000000000000.5", "253402300800.5", "1893456000.5.5", "1893456000,5"} {
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

// The AWS CLI's own parser (botocore's parse_to_aware_datetime, which reads
// `aws cloudfront sign --date-less-than`) is the reference: every form it
// documents gives the same instant here.
func TestParseWhenMatchesAWSCLI(t *testing.T) {
	py := needTool(t, "python3")
	inputs := []string{
		"2030-01-01", "2030-01-01T12:00:00", "2030-01-01 12:00:00", "2030-01-01T12:00:00Z",
		"2030-01-01T12:00:00+02:00", "2030-01-01T12:00:00-0530", "2030-01-01T12:00", "20300101T120000Z",
		"2030-01-01T12:00:00.250Z", "1893456000", "1893456000.5", "Tue, 01 Jan 2030 12:00:00 GMT",
		"2030-06-15T08:30:00+01", "2030-01-01T00:00:00z", "2030-12-31 23:59:59 UTC",
	}
	script := `
import sys
from botocore.utils import parse_to_aware_datetime
for v in sys.argv[1:]:
    print("%.3f" % parse_to_aware_datetime(v).timestamp())
`
	out, err := exec.Command(py, append([]string{"-c", script}, inputs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("botocore: %v\n%s", err, out)
	}
	want := strings.Fields(string(out))
	if len(want) != len(inputs) {
		t.Fatalf("botocore printed %d values for %d inputs:\n%s", len(want), len(inputs), out)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for i, in := range inputs {
		got, err := ParseWhen(in, now)
		if err != nil {
			t.Errorf("ParseWhen(%q): %v; the AWS CLI reads it as %s", in, err, want[i])
			continue
		}
		if g := fmt.Sprintf("%.3f", float64(got.UnixMilli())/1000); g != want[i] {
			t.Errorf("ParseWhen(%q) = %s (%s); the AWS CLI reads %s", in, g, got, want[i])
		}
	}
}
