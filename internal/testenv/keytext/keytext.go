// Package keytext is test support for private key settings: a key in the
// forms people paste it in and the ways it gets damaged, and a check that
// no part of it reached what a command printed or logged. It imports
// nothing of cfsign, so every package's tests can use it (keys' own too).
package keytext

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Outcome is what cfsign must do with a form.
type Outcome int

// Outcomes.
const (
	// Accept: the form loads as the very key of the PEM it came from.
	Accept Outcome = iota
	// Refuse: the form is refused with an error.
	Refuse
	// Either: the form may load (as some key) or be refused; only what is
	// printed is checked. A changed character can still decode to a key.
	Either
)

// Form is one value a key setting may hold.
type Form struct {
	Name  string
	Value string
	Want  Outcome
}

// Forms returns pemText (a PEM private key with "\n" line ends) in at least
// ten forms people paste keys in, and as many damaged ones.
func Forms(pemText string) []Form {
	pemText = strings.TrimSpace(pemText) + "\n"
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	body := Body(pemText)
	bodyLines := lines[1 : len(lines)-1]
	literal := strings.Join(lines, `\n`)
	js, _ := json.Marshal(pemText)
	changed := []byte(body)
	i := len(changed) / 3
	if changed[i] == 'Q' {
		changed[i] = 'R'
	} else {
		changed[i] = 'Q'
	}
	spaced := func(s string, every int) string {
		var b strings.Builder
		for i, r := range s {
			if i > 0 && i%every == 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return []Form{
		{"PEM", pemText, Accept},
		{"PEM with Windows line ends", strings.ReplaceAll(pemText, "\n", "\r\n"), Accept},
		{`PEM with literal \n`, literal, Accept},
		{`PEM with literal \r\n`, strings.Join(lines, `\r\n`), Accept},
		{`PEM with literal \n, double-quoted`, `"` + literal + `\n"`, Accept},
		{"PEM, single-quoted", "'" + pemText + "'", Accept},
		{"JSON-escaped PEM", string(js), Accept},
		{`JSON-escaped PEM with \/`, strings.ReplaceAll(string(js), "/", `\/`), Accept},
		{"PEM with line breaks turned into spaces", strings.ReplaceAll(strings.TrimSpace(pemText), "\n", " "), Accept},
		{"PEM with spaces inserted", strings.Join(append(append([]string{lines[0]}, spacedLines(bodyLines, spaced)...), lines[len(lines)-1]), "\n"), Accept},
		{"PEM body on one line", body, Accept},
		{"PEM body in lines", strings.Join(bodyLines, "\n"), Accept},
		{`PEM body with literal \n`, strings.Join(bodyLines, `\n`), Accept},
		{"PEM body with spaces inserted", spaced(body, 10), Accept},
		{"base64 of the PEM", base64.StdEncoding.EncodeToString([]byte(pemText)), Accept},
		{"PEM cut in half", pemText[:len(pemText)/2], Refuse},
		{"PEM body cut short", body[:len(body)*2/3] + "x!", Refuse},
		{"PEM body with every A replaced by #", strings.ReplaceAll(body, "A", "#"), Refuse},
		{"PEM body with one character changed", string(changed), Either},
		{"PEM twice", pemText + pemText, Refuse},
		{"PEM body twice", body + body, Refuse},
		{`PEM body with literal \n, twice`, strings.Join(bodyLines, `\n`) + `\n` + strings.Join(bodyLines, `\n`), Refuse},
	}
}

func spacedLines(lines []string, spaced func(string, int) string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = spaced(l, 8)
	}
	return out
}

// Body is the base64 body of a PEM text: its lines between BEGIN and END,
// joined.
func Body(pemText string) string {
	var b strings.Builder
	for _, l := range strings.Split(pemText, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "-----") || strings.Contains(l, ":") {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

// RunLen is the length of the shortest piece of a key that counts as a leak.
const RunLen = 12

// Leak returns a RunLen-character run of the body of pemText, or of a base64
// stretch of value, that occurs in out (with its whitespace and literal \n
// escapes taken out, so a key re-wrapped still counts); "" when none does.
func Leak(out, pemText, value string) string {
	flat := strings.NewReplacer(`\r`, "", `\n`, "", "\r", "", "\n", "", " ", "", "\t", "").Replace(out)
	sources := append([]string{Body(pemText)}, base64Runs(value)...)
	for _, src := range sources {
		for i := 0; i+RunLen <= len(src); i++ {
			w := src[i : i+RunLen]
			if strings.Contains(out, w) || strings.Contains(flat, w) {
				return w
			}
		}
	}
	return ""
}

// base64Runs are the stretches of base64 characters in s at least RunLen
// long.
func base64Runs(s string) []string {
	var runs []string
	start := -1
	for i := 0; i <= len(s); i++ {
		in := i < len(s) && isBase64(s[i])
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			if i-start >= RunLen {
				runs = append(runs, s[start:i])
			}
			start = -1
		}
	}
	return runs
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
