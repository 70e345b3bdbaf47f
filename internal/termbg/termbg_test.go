package termbg

import (
	"testing"
)

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		v        string
		dark, ok bool
	}{
		{"", true, false},
		{"15;0", true, true},
		{"0;15", false, true},
		{"0;7", false, true},
		{"15;default;0", true, true},
		{"12;8", true, true},
		{"nonsense", true, false},
		{"1;99", true, false},
	} {
		dark, ok := FromEnv(func(string) string { return tc.v })
		if dark != tc.dark || ok != tc.ok {
			t.Errorf("COLORFGBG=%q: dark %v ok %v, want %v %v", tc.v, dark, ok, tc.dark, tc.ok)
		}
	}
}

func TestParseOSC11(t *testing.T) {
	for _, tc := range []struct {
		in       string
		dark, ok bool
	}{
		{"\x1b]11;rgb:0000/0000/0000\x1b\\", true, true},
		{"\x1b]11;rgb:ffff/ffff/ffff\x07", false, true},
		{"\x1b]11;rgb:fd/f6/e3\x1b\\", false, true}, // solarized light, 2 digits
		{"\x1b]11;rgb:2828/2c2c/3434\x1b\\", true, true},
		{"\x1b]11;?\x1b\\", false, false},
		{"", false, false},
		{"\x1b]11;rgb:zz/00/00\x07", false, false},
	} {
		dark, ok := parseOSC11(tc.in)
		if dark != tc.dark || ok != tc.ok {
			t.Errorf("parseOSC11(%q) = %v %v, want %v %v", tc.in, dark, ok, tc.dark, tc.ok)
		}
	}
}

func TestSplit(t *testing.T) {
	light, dark := false, true
	for _, tc := range []struct {
		in, keys string
		rest     *string // nil: the answer ended
		bg       *bool
	}{
		{in: "abc", keys: "abc", rest: ptr("")},
		{in: "\x1b]11;rgb:0000/0000/0000\x07\x1b[3;1R", keys: "", bg: &dark},
		{in: "x\x1b]11;rgb:ffff/ffff/ffff\x1b\\y\x1b[3;1Rz", keys: "xyz", bg: &light},
		{in: "\x1b[24;80R\x1b]11;rgb:0/0/0\x07", keys: "\x1b]11;rgb:0/0/0\x07"}, // after the end, all keys
		{in: "\x1b", keys: "\x1b", rest: ptr("")},                               // Esc is a key at once
		{in: "\x1b]", keys: "", rest: ptr("\x1b]")},                             // maybe an answer's start
		{in: "a\x1b]11;rgb:ff", keys: "a", rest: ptr("\x1b]11;rgb:ff")},
		{in: "\x1b]11;rgb:ffff/ffff/ffff\x1b", keys: "", rest: ptr("\x1b]11;rgb:ffff/ffff/ffff\x1b")},
		{in: "\x1b]12;x\x07", keys: "\x1b]12;x\x07", rest: ptr("")},
		{in: "\x1b[24", keys: "", rest: ptr("\x1b[24")},
		{in: "\x1b[A\x1b[B", keys: "\x1b[A\x1b[B", rest: ptr("")},
		{in: "\x1b[200~paste\x1b[201~", keys: "\x1b[200~paste\x1b[201~", rest: ptr("")},
		{in: "\x1b[<0;10;5M", keys: "\x1b[<0;10;5M", rest: ptr("")},
		{in: "\x1b]11;?\x07\x1b[1;1R", keys: ""}, // an answer without a colour
	} {
		keys, rest, bg := split([]byte(tc.in))
		if string(keys) != tc.keys {
			t.Errorf("split(%q) keys %q, want %q", tc.in, keys, tc.keys)
		}
		if (rest == nil) != (tc.rest == nil) || rest != nil && string(rest) != *tc.rest {
			t.Errorf("split(%q) rest %q (nil %v), want %v", tc.in, rest, rest == nil, tc.rest)
		}
		if (bg == nil) != (tc.bg == nil) || bg != nil && *bg != *tc.bg {
			t.Errorf("split(%q) background %v, want %v", tc.in, bg, tc.bg)
		}
	}
}

func ptr(s string) *string { return &s }
