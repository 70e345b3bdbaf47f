package signedurl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrWhen is wrapped by every ParseWhen error.
var ErrWhen = errors.New("cannot read time")

const whenForms = "use a duration (90s, 15m, 1h, 7d, 2w, 1h30m), RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02, UTC midnight) or Unix seconds (1767312000)"

// ParseWhen reads a point in time: a duration from now ("90s", "15m", "1h",
// "7d", "2w", and Go durations like "1h30m"; a leading "-" means before now),
// RFC 3339, "YYYY-MM-DD" (UTC midnight) or Unix seconds (all digits).
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (time.Time, error) {
		if why != "" {
			why = " (" + why + ")"
		}
		return time.Time{}, fmt.Errorf("%w %q%s: %s", ErrWhen, s, why, whenForms)
	}
	if s == "" {
		return bad("empty")
	}
	if allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 253402300799 { // 9999-12-31T23:59:59Z
			return bad("Unix seconds out of range")
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if len(s) == len("2006-01-02") && s[4] == '-' && s[7] == '-' {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return bad("not a calendar date")
		}
		return t, nil
	}
	if strings.ContainsAny(s, "T:") && len(s) >= len("2006-01-02T15:04:05Z") {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return bad("not RFC 3339")
		}
		return t, nil
	}
	d, err := parseDuration(s)
	if err != nil {
		return bad(err.Error())
	}
	return now.Add(d), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var durationUnits = map[string]float64{
	"ns": float64(time.Nanosecond), "us": float64(time.Microsecond), "µs": float64(time.Microsecond),
	"ms": float64(time.Millisecond), "s": float64(time.Second), "m": float64(time.Minute),
	"h": float64(time.Hour), "d": float64(24 * time.Hour), "w": float64(7 * 24 * time.Hour),
}

// parseDuration is time.ParseDuration plus the units d (24h) and w (7d).
func parseDuration(s string) (time.Duration, error) {
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, errors.New("no duration")
	}
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, errors.New("a number must come before each unit")
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", s[:i])
		}
		s = s[i:]
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		if j == 0 {
			return 0, errors.New("missing unit: use s, m, h, d or w")
		}
		unit, ok := durationUnits[s[:j]]
		if !ok {
			return 0, fmt.Errorf("unknown unit %q: use s, m, h, d or w", s[:j])
		}
		s = s[j:]
		total += n * unit
	}
	if total >= math.MaxInt64 {
		return 0, errors.New("duration too long")
	}
	if neg {
		total = -total
	}
	return time.Duration(total), nil
}
