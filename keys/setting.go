package keys

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// A private key setting (--private-key, CFSIGN_PRIVATE_KEY, private_key in
// config.toml, the setup screen's field, a secret's value) names a key file
// or holds the key itself, in any of the forms people paste: PEM with real
// line breaks, with literal \n or \r\n escapes, or with its line breaks
// turned into spaces; quoted or JSON-escaped; a PEM body without its
// BEGIN/END lines; or base64 of any of these.
//
// What may be shown of a setting follows one rule: its value is shown only
// when it names a file that exists, because then it can only be a path.
// Anything else may be a key, whole or damaged, so messages name where the
// value came from instead and never quote any part of it.

// SettingFile returns the file a setting names when that file exists
// (file:// and a leading ~/ are accepted); ok is false for anything else,
// which is then never shown.
func SettingFile(value string) (path string, ok bool) {
	p := strings.TrimSpace(value)
	if p == "" || strings.ContainsAny(p, "\n\r\x00") {
		return "", false
	}
	p = strings.TrimPrefix(p, "file://")
	p = ExpandHome(p)
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// ExpandHome turns a leading ~ (alone or before a /) into the home
// directory, as a shell would: config.toml and the setup screen hold
// paths like ~/.config/cfsign/keys/private_key.pem.
func ExpandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	return filepath.Join(home, p[1:])
}

// DescribeSetting names a key setting for messages and logs: the file it
// names when that exists, else where the value came from.
func DescribeSetting(value, from string) string {
	if p, ok := SettingFile(value); ok {
		return p
	}
	return "key text from " + from
}

// LoadPrivateSetting loads the private key a setting names: a file that
// exists, else key text in one of the forms above. from says where the value
// came from ("--private-key", "CFSIGN_PRIVATE_KEY", "private_key in FILE");
// errors about anything but an existing file name it instead of the value.
// warning is LoadPrivate's file-mode warning, for files only.
func LoadPrivateSetting(value, from string) (signer crypto.Signer, warning string, err error) {
	if path, ok := SettingFile(value); ok {
		return LoadPrivate(path)
	}
	signer, err = ParsePrivateText(value, from)
	return signer, "", err
}

// ParsePrivateText parses a private key held as text outside a file (a
// secret's value), in the forms LoadPrivateSetting reads. It never takes the
// text for a path and never shows it; errors name from (the secret) instead.
func ParsePrivateText(text, from string) (crypto.Signer, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("load private key from %s: %w", from, errorf(ErrNotKey, "it is empty"))
	}
	signer, err := parseKeyText(text)
	if err != nil {
		return nil, fmt.Errorf("load private key from %s: %w", from, err)
	}
	return signer, nil
}

// notKeyText is the refusal of a value that is neither an existing file nor
// key text; it cannot say more without quoting the value.
var notKeyText = errorf(ErrNotKey, "neither an existing key file nor key text "+
	"(PEM, base64 of PEM, or a PEM body without its BEGIN/END lines); "+
	"the value is not shown, as it may hold a key")

// noSuchFile is the refusal of a value shaped like a path that names no
// file; the path is still not shown, since a mistyped value could be a key.
var noSuchFile = errorf(ErrNotKey, "no such file (cfsign shows a key setting only when it names a file that exists)")

// parseKeyText parses key text in any of the accepted forms. Its errors
// describe the text's shape, never its content.
func parseKeyText(value string) (crypto.Signer, error) {
	text := unwrapKeyText(value)
	if strings.Contains(text, "-----BEGIN") {
		return parsePrivate(pemText(text), textSource)
	}
	raw, ok := decodeBase64(text)
	switch {
	case ok && bytes.Contains(raw, []byte("-----BEGIN")):
		// Base64 of PEM text, itself in any of the forms above.
		return parsePrivate(pemText(unwrapKeyText(string(raw))), textSource)
	case ok && isDERSequence(raw):
		// A PEM body without its BEGIN/END lines: the DER itself.
		return parsePrivate(pem.EncodeToMemory(&pem.Block{Type: derBlockType(raw), Bytes: raw}), textSource)
	case pathShaped(value):
		return nil, noSuchFile
	case ok:
		return nil, errorf(ErrNotKey, "not a key: neither PEM nor base64 of a PEM or DER key (cut short, or damaged?)")
	}
	return nil, notKeyText
}

// pathShaped reports whether a value that is no key reads as a mistyped
// path rather than damaged key text: one line without spaces at the ends,
// at most 4,096 bytes, holding a / or . and no stretch that looks random.
func pathShaped(value string) bool {
	v := strings.TrimSpace(value)
	if v == "" || len(v) > 4096 || strings.ContainsAny(v, "\n\r") || !strings.ContainsAny(v, "/.") {
		return false
	}
	for _, run := range base64Runs().FindAllString(v, -1) {
		if LooksLikeKeyRun(run) {
			return false
		}
	}
	return true
}

// base64Runs finds the stretches of base64 worth a closer look. Like
// pemBlockRe, it is compiled when first needed, not at every start.
var base64Runs = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z0-9+/=]{24,}`) })

// unwrapKeyText takes off what wraps key text in .env files, CI variables
// and JSON: surrounding whitespace and quotes, JSON string escapes, and
// literal \n, \r\n and \r escapes standing for line breaks.
func unwrapKeyText(s string) string {
	s = strings.TrimSpace(s)
	for range 3 {
		if len(s) < 2 {
			break
		}
		q := s[0]
		if (q != '"' && q != '\'') || s[len(s)-1] != q {
			break
		}
		var js string
		if q == '"' && json.Unmarshal([]byte(s), &js) == nil {
			s = strings.TrimSpace(js)
			continue
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if strings.Contains(s, `\`) {
		s = strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\r`, "\n", `\/`, "/", `\t`, "\t").Replace(s)
	}
	return s
}

// pemBlockRe finds a PEM block whatever its line breaks became: a text
// field turns them into spaces, a copy from a web page may drop them.
var pemBlockRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----`)
})

// pemText is text that pem.Decode reads: the text itself when it decodes,
// else its PEM blocks rebuilt with the body's whitespace removed and the
// BEGIN and END lines on lines of their own.
func pemText(text string) []byte {
	if b, _ := pem.Decode([]byte(text)); b != nil {
		return []byte(text)
	}
	var out bytes.Buffer
	for _, m := range pemBlockRe().FindAllStringSubmatch(text, maxBlocks) {
		body := strings.Join(strings.Fields(m[2]), "")
		fmt.Fprintf(&out, "-----BEGIN %s-----\n", m[1])
		for len(body) > 64 {
			out.WriteString(body[:64] + "\n")
			body = body[64:]
		}
		fmt.Fprintf(&out, "%s\n-----END %s-----\n", body, m[3])
	}
	if out.Len() == 0 {
		return []byte(text)
	}
	return out.Bytes()
}

// isDERSequence reports whether b is one ASN.1 SEQUENCE whose length is
// exactly what follows its header, as every DER key is.
func isDERSequence(b []byte) bool {
	if len(b) < 2 || b[0] != 0x30 {
		return false
	}
	n, hdr := int(b[1]), 2
	if n >= 0x80 {
		size := n & 0x7f
		if size == 0 || size > 3 || len(b) < 2+size {
			return false
		}
		n = 0
		for _, c := range b[2 : 2+size] {
			n = n<<8 | int(c)
		}
		hdr += size
	}
	return hdr+n == len(b)
}

// decodeBase64 decodes s when it is base64 (standard or URL alphabet, padded
// or not, whitespace anywhere); ok is false when s is not made of base64
// characters, or is empty. Characters that are base64 but do not decode
// give ok with nil bytes.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+/-_=", r)) {
			return nil, false
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, true
}

// derBlockType names the PEM block of a bare DER private key, so the parser
// reports on it as it would on the PEM file: the version INTEGER and what
// follows it tell PKCS#1 (INTEGER n), PKCS#8 (SEQUENCE algorithm) and SEC1
// (OCTET STRING) apart.
func derBlockType(der []byte) string {
	_, rest, ok := derHeader(der)
	if !ok {
		return "PRIVATE KEY"
	}
	// rest starts at the version INTEGER.
	if len(rest) < 3 || rest[0] != 0x02 {
		return "PRIVATE KEY"
	}
	vlen := int(rest[1])
	if vlen >= 0x80 || len(rest) < 2+vlen+1 {
		return "PRIVATE KEY"
	}
	switch rest[2+vlen] {
	case 0x02:
		return "RSA PRIVATE KEY"
	case 0x04:
		return "EC PRIVATE KEY"
	}
	return "PRIVATE KEY"
}

// derHeader skips a DER SEQUENCE header.
func derHeader(b []byte) (tag byte, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, false
	}
	n, hdr := int(b[1]), 2
	if n >= 0x80 {
		hdr += n & 0x7f
	}
	if len(b) < hdr {
		return 0, nil, false
	}
	return b[0], b[hdr:], true
}

// MayBeKeyText reports whether a value typed or pasted where a key file
// belongs could be key text, so a screen hides it: anything but one line of
// at most 120 characters shaped like a path (no stretch of 16 or more
// letters, digits, + or = that a /, ., _, -, ~ or space does not break).
func MayBeKeyText(value string) bool {
	if len(value) > 120 || strings.ContainsAny(value, "\n\r") || strings.Contains(value, `\n`) || strings.Contains(value, "-----") {
		return true
	}
	run := 0
	for _, r := range value {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '=' {
			run++
			if run >= 16 {
				return true
			}
			continue
		}
		run = 0
	}
	return false
}

// LooksLikeKeyRun reports whether run, a stretch of 24 or more base64
// characters found in text about to be logged or printed, could be part of
// a key. Base64 of random bytes mixes upper case, lower case and digits in
// short runs; words, CamelCase names and paths have longer lower-case runs
// and their digits in one or two groups. A run counts when it mixes all
// three, its lower-case runs average under 2.5 letters and its digits come
// in two groups or more (97% of 64-character key lines, no test name of
// this repository with a random suffix).
func LooksLikeKeyRun(run string) bool {
	if len(run) < 24 {
		return false
	}
	const upper, lower, digit = 1, 2, 4
	class := func(c byte) int {
		switch {
		case c >= 'A' && c <= 'Z':
			return upper
		case c >= 'a' && c <= 'z':
			return lower
		case c >= '0' && c <= '9':
			return digit
		}
		return 0
	}
	seen, lowerRuns, lowerLen, digitRuns, prev := 0, 0, 0, 0, -1
	for i := 0; i < len(run); i++ {
		c := class(run[i])
		seen |= c
		if c != prev {
			switch c {
			case lower:
				lowerRuns++
			case digit:
				digitRuns++
			}
		}
		if c == lower {
			lowerLen++
		}
		prev = c
	}
	return seen == upper|lower|digit && lowerLen*10 < lowerRuns*25 && digitRuns >= 2
}
