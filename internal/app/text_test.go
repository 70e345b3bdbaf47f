package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"photos/2024/img.jpg", "photos/2024/img.jpg"},
		{"tab\there", `tab\there`},
		{"nl\nforged", `nl\nforged`},
		{"cr\rforged", `cr\rforged`},
		{"esc\x1b[2Jclear", `esc\x1b[2Jclear`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\x07`},
		{"bel\a del\x7f nul\x00", `bel\x07 del\x7f nul\x00`},
		{"c1 csi \u009b31m nel \u0085", `c1 csi \u009b31m nel \u0085`},
		{"bidi \u202eexe.txt", `bidi \u202eexe.txt`},
		{"isolates \u2066x\u2069 lrm\u200e", `isolates \u2066x\u2069 lrm\u200e`},
		{"zw\u200bsp bom\ufeff ls\u2028", `zw\u200bsp bom\ufeff ls\u2028`},
		{"bad\xff\xfe utf8 \xe2\x82", `bad\xff\xfe utf8 \xe2\x82`},
		{`back\slash`, `back\\slash`},
		{"fake \\x1b", `fake \\x1b`},
		{"ünïcødé 写真 😀", "ünïcødé 写真 😀"},
		{"tag \U000e0041", `tag \U000e0041`},
		// Emoji sequences print as they are: ZWJ, variation selectors, skin tones, tags.
		{"family 👨\u200d👩\u200d👧.jpg", "family 👨\u200d👩\u200d👧.jpg"},
		{"coder 👩🏽\u200d💻", "coder 👩🏽\u200d💻"},
		{"rainbow 🏳\ufe0f\u200d🌈", "rainbow 🏳\ufe0f\u200d🌈"},
		{"heart ❤\ufe0f keycap 1\ufe0f\u20e3", "heart ❤\ufe0f keycap 1\ufe0f\u20e3"},
		{"thumbs 👍🏿", "thumbs 👍🏿"},
		{"england 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "england 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"},
		// Joiners and tags outside a valid sequence stay escaped.
		{"a\u200db", `a\u200db`},
		{"😀\u200d", `😀\u200d`},
		{"😀\u200dx", `😀\u200dx`},
		{"😀\u200d\u200d😀", `😀\u200d\u200d😀`},
		{"\u200d😀", `\u200d😀`},
		{"😀\u200d\u202e😀", `😀\u200d\u202e😀`},
		{"🏴\U000e0067\x1b", `🏴\U000e0067\x1b`},
		{"flag 🏴\U000e0067", `flag 🏴\U000e0067`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzEscapeKey: whatever the key, the result is valid UTF-8 without any
// control, format or bidi character, and distinct keys stay distinct.
func FuzzEscapeKey(f *testing.F) {
	for _, s := range []string{"a", "\x1b[31m", "\u202e", "\xff", `\x1b`, "\t\n"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea := Escape(a)
		if !utf8.ValidString(ea) {
			t.Fatalf("Escape(%q) = %q is not valid UTF-8", a, ea)
		}
		for _, r := range ea {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("Escape(%q) = %q holds %U", a, ea, r)
			}
		}
		if a != b && ea == Escape(b) {
			t.Fatalf("Escape(%q) == Escape(%q) = %q", a, b, ea)
		}
		if isPlain(a) && ea != a && !strings.Contains(a, `\`) {
			t.Fatalf("plain %q changed to %q", a, ea)
		}
	})
}
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
