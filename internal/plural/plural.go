// Package plural writes a count with its noun in the right number, for
// messages people read: "1 key", "3 keys", "1,200 objects".
package plural

import "github.com/dustin/go-humanize"

// Count is n, digits grouped, and noun, with an "s" unless n is 1.
func Count(n int, noun string) string { return CountOf(n, noun, noun+"s") }

// CountOf is n, digits grouped, and one if n is 1, else many.
func CountOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return humanize.Comma(int64(n)) + " " + many
}
