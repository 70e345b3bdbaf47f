package ui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// escapeKey renders an object key (or any string from the network) so that it
// can never act as terminal input: control characters (C0, DEL, C1), escape
// sequences, invalid UTF-8, bidi overrides and other invisible format or space
// characters are written as Go-style escapes (\x1b, \t, \u202e). A backslash is
// doubled so an escaped key cannot be forged by a key holding the escape's text.
func escapeKey(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteString(`\x`)
			writeHex(&b, uint32(s[i]), 2)
			i++
			continue
		}
		i += size
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x80:
			b.WriteString(`\x`)
			writeHex(&b, uint32(r), 2)
		case r <= 0xFFFF:
			b.WriteString(`\u`)
			writeHex(&b, uint32(r), 4)
		default:
			b.WriteString(`\U`)
			writeHex(&b, uint32(r), 8)
		}
	}
	return b.String()
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
