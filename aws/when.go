package aws

import "time"

// ParseWhen reads a point in time: a duration from now ("90s", "15m", "1h",
// "7d", "2w"), RFC 3339, "YYYY-MM-DD" (UTC midnight) or Unix seconds.
func ParseWhen(s string, now time.Time) (time.Time, error) { return time.Time{}, errTODO }
