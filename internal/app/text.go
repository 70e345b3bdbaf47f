package app

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"github.com/rivo/uniseg"
)

// Escape renders an object key (or any string from the network) so that it
// can never act as terminal input: control characters (C0, DEL, C1), escape
// sequences, invalid UTF-8, bidi overrides and other invisible format or space
// characters are written as Go-style escapes (\x1b, \t, \u202e). A backslash is
// doubled so an escaped key cannot be forged by a key holding the escape's text.
// Emoji sequences (a zero-width joiner between two emoji, a flag's tag
// characters) are printed as they are: they draw as one picture, not as text.
func Escape(s string) string {
	if isPlain(s) {
		return s
	}
	return escape(s, true)
}

// EscapeText renders a message (an error, a file name in a notice) as one
// line that cannot act on a terminal: as Escape, but a backslash stays as
// it is, so paths and the text of escapes read naturally, and a tab is a
// space.
func EscapeText(s string) string {
	if isPlainText(s) {
		return s
	}
	return escape(s, false)
}

// escape escapes s grapheme cluster by cluster, emoji sequences whole (see
// escapeRunes for key).
func escape(s string, key bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	state := -1
	for rest := s; rest != ""; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if isEmojiSequence(cluster) {
			b.WriteString(cluster)
			continue
		}
		escapeRunes(&b, cluster, key)
	}
	return b.String()
}

// isEmojiSequence reports whether cluster (one grapheme cluster) is an emoji
// sequence holding a character escapeRunes would escape: emoji joined by
// U+200D (ZWJ), each maybe with a variation selector or skin tone, or a
// subdivision flag (U+1F3F4, tag characters, U+E007F). Anything else, such
// as a joiner next to a letter or a lone tag character, is escaped.
func isEmojiSequence(cluster string) bool {
	if !utf8.ValidString(cluster) {
		return false
	}
	rs := []rune(cluster)
	if len(rs) < 2 || !isEmoji(rs[0]) {
		return false
	}
	if rs[0] == 0x1F3F4 && len(rs) > 2 && rs[len(rs)-1] == 0xE007F {
		for _, r := range rs[1 : len(rs)-1] {
			if r < 0xE0020 || r > 0xE007E {
				return false
			}
		}
		return true
	}
	joined := false
	for i, r := range rs {
		switch {
		case r == zwj:
			// A joiner needs an emoji after it and an emoji (perhaps with
			// its selector or skin tone) before it.
			if i+1 >= len(rs) || !isEmoji(rs[i+1]) || rs[i-1] == zwj {
				return false
			}
			joined = true
		case r == 0xFE0F || r == 0xFE0E || (r >= 0x1F3FB && r <= 0x1F3FF):
		case !isEmoji(r):
			return false
		}
	}
	return joined
}

// zwj is the zero-width joiner, U+200D.
const zwj = 0x200D

// isEmoji reports whether r is a pictographic symbol that may take part in
// an emoji ZWJ sequence (👨, 💻, ❤, ♀, 🌈, the hair components).
func isEmoji(r rune) bool {
	return r >= 0x2000 && unicode.Is(unicode.So, r)
}

// escapeRunes writes s with every character that could act on a terminal
// escaped; with key, a backslash is doubled and a tab is \t, else they stay
// (a tab as a space).
func escapeRunes(b *strings.Builder, s string, key bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteString(`\x`)
			writeHex(b, uint32(s[i]), 2)
			i++
			continue
		}
		i += size
		switch {
		case r == '\\' && key:
			b.WriteString(`\\`)
		case r == '\t' && key:
			b.WriteString(`\t`)
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x80:
			b.WriteString(`\x`)
			writeHex(b, uint32(r), 2)
		case r <= 0xFFFF:
			b.WriteString(`\u`)
			writeHex(b, uint32(r), 4)
		default:
			b.WriteString(`\U`)
			writeHex(b, uint32(r), 8)
		}
	}
}

// isPlainText reports whether s is printable ASCII: the common case of a
// message, returned as is without allocating.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isPlain reports whether s is printable ASCII without backslashes: the common
// case, returned as is without allocating.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

func writeHex(b *strings.Builder, v uint32, digits int) {
	h := strconv.FormatUint(uint64(v), 16)
	for n := len(h); n < digits; n++ {
		b.WriteByte('0')
	}
	b.WriteString(h)
}

// Size writes a byte count as people read it: 512 B, 1.5 KiB, 12 MiB.
func Size(n int64) string {
	if n < 0 {
		return "?"
	}
	return humanize.IBytes(uint64(n))
}

// Count is n, digits grouped, and noun, with an "s" unless n is 1: "1 key",
// "3 keys", "1,200 objects".
func Count(n int, noun string) string { return CountOf(n, noun, noun+"s") }

// CountOf is n, digits grouped, and one if n is 1, else many.
func CountOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return humanize.Comma(int64(n)) + " " + many
}
