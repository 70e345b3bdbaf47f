package signedurl

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrWhen is wrapped by every ParseWhen error.
var ErrWhen = errors.New("cannot read time")

const whenForms = "use a duration (90s, 15m, 1h, 7d, 2w, 1h30m), an ISO 8601 date or time as the AWS CLI takes it (2026-01-02, 2026-01-02T15:04:05, 2026-01-02 15:04:05+02:00; no zone means UTC), RFC 3339, an HTTP date (Fri, 02 Jan 2026 15:04:05 GMT) or Unix seconds (1767312000)"

// isoTime is ISO 8601 as botocore's parser (the AWS CLI's) reads it: a date
// (extended or basic), optionally a time after T or a space (seconds and a
// fraction optional), optionally a zone (Z, UTC, GMT, +HH, +HHMM, +HH:MM).
// It is compiled on first use, not at every start: most times given are
// durations.
var isoTime = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d{4})-?(\d{2})-?(\d{2})(?:[Tt ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9})\d*)?)?)? *(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$`)
})

// ParseWhen reads a point in time the way people and the AWS CLI write it:
//   - a duration from now: "90s", "15m", "1h", "7d", "2w", and Go durations
//     like "1h30m"; a leading "-" means before now;
//   - Unix seconds, optionally with a fraction;
//   - ISO 8601 dates and times (RFC 3339 among them), with the date alone
//     meaning midnight and no zone meaning UTC, as `aws cloudfront sign`
//     reads --date-less-than;
//   - HTTP dates (RFC 1123, RFC 850, ANSI C) and RFC 822 with a numeric zone.
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
	// Unix seconds with a fraction, as the AWS CLI accepts (up to 12 and 9 digits).
	if sec, frac, ok := strings.Cut(s, "."); ok && len(sec) <= 12 && len(frac) <= 9 && allDigits(sec) && allDigits(frac) {
		n, _ := strconv.ParseInt(sec, 10, 64)
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if n > 253402300799 {
			return bad("Unix seconds out of range")
		}
		return time.Unix(n, ns).UTC(), nil
	}
	// Every ISO 8601 form starts with a four-digit year.
	if len(s) >= 8 && allDigits(s[:4]) {
		if m := isoTime().FindStringSubmatch(s); m != nil {
			t, err := isoParts(m)
			if err != nil {
				return bad(err.Error())
			}
			return t, nil
		}
	}
	if s[0] >= '0' && s[0] <= '9' && len(s) >= 8 && (s[4] == '-' || strings.ContainsAny(s, ":T")) {
		return bad("not an ISO 8601 date or time")
	}
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC, time.RFC822, time.RFC822Z} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	d, err := parseDuration(s)
	if err != nil {
		return bad(err.Error())
	}
	return now.Add(d), nil
}

// isoParts builds the time isoTime matched, checking every field's range.
func isoParts(m []string) (time.Time, error) {
	num := func(s string) int {
		n, _ := strconv.Atoi(s)
		return n
	}
	y, mo, d := num(m[1]), num(m[2]), num(m[3])
	h, mi, sec := num(m[4]), num(m[5]), num(m[6])
	ns := 0
	if m[7] != "" {
		ns = num((m[7] + "000000000")[:9])
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, errors.New("a field is out of range")
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" && z != "z" && z != "UTC" && z != "GMT" {
		digits := strings.ReplaceAll(z[1:], ":", "")
		off := num(digits[:2]) * 3600
		if len(digits) == 4 {
			if num(digits[2:]) > 59 {
				return time.Time{}, errors.New("the zone offset is out of range")
			}
			off += num(digits[2:]) * 60
		}
		if num(digits[:2]) > 23 {
			return time.Time{}, errors.New("the zone offset is out of range")
		}
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone(z, off)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc)
	if t.Day() != d {
		return time.Time{}, errors.New("not a calendar date")
	}
	return t.UTC(), nil
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
