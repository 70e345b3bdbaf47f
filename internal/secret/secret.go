// Package secret takes what must never be shown out of text: private key
// material, AWS secrets and the signatures that make a URL a bearer token.
// The CLI (its stderr and debug log) and the app (its status line and
// panels) both apply it; errors are built never to hold secrets, and this is
// the second line of defence.
package secret

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/cfsign/cfsign/keys"
)

// redaction replaces what re matches with repl, or, when fn is set, with
// fn of the match.
type redaction struct {
	re   *regexp.Regexp
	repl string
	fn   func(string) string
}

func (rd redaction) apply(s string) string {
	if rd.fn != nil {
		return rd.re.ReplaceAllStringFunc(s, rd.fn)
	}
	return rd.re.ReplaceAllString(s, rd.repl)
}

// The redactions are compiled on first use, not at start-up: most runs
// never log or print an error, and a signed URL is wanted in milliseconds.
var redactionSets = sync.OnceValue(compileRedactions)

// redactionSet holds the two lists RedactLog and RedactMessage apply.
type redactionSet struct {
	// debug removes secrets from debug log lines. Signed URLs are bearer
	// tokens, so their signatures and policies go too; what is left (the
	// URL, key pair ID, expiry) is enough for support.
	debug []redaction
	// stderr is applied to everything cfsign tells the user (stderr, the
	// app's status line and panels): private
	// key material, AWS secrets and signed URLs' signatures, never wanted
	// in a terminal's scrollback or a CI log. Errors are built not to hold
	// any of them; this is the second line of defence. stdout is left
	// alone: a signed URL there is the point of the tool.
	stderr []redaction
}

func compileRedactions() redactionSet {
	// Secrets proper: PEM blocks of any kind (private keys above all) and AWS
	// secret keys and session tokens in key = value, key: value or JSON form.
	redactPEM := redaction{re: regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)`), repl: "[REDACTED $1]"}
	redactSecretKey := redaction{re: regexp.MustCompile(`(?i)("?(?:aws_)?secret_?access_?key"?\s*[:=]\s*"?)[^"\s,}]+`), repl: "${1}REDACTED"}
	redactSessionToken := redaction{re: regexp.MustCompile(`(?i)("?(?:aws_)?session_?token"?\s*[:=]\s*"?)[^"\s,}]+`), repl: "${1}REDACTED"}
	// Key text that is not PEM: a PEM body without its BEGIN/END lines,
	// base64 of PEM, lines joined by literal \n escapes. Errors never hold
	// key text (keys names where a value came from instead); this is the
	// second line of defence, so it errs towards redacting, but leaves a
	// word that names an existing file alone, as keys shows those.
	keyBlobWord := regexp.MustCompile(`(?i)((?:upload-id|multipart upload|upload ID|UploadId)[=: ]+)?([^\s"'()<>]*[A-Za-z0-9+/=]{24,}[^\s"'()<>]*)`)
	base64Run := regexp.MustCompile(`[A-Za-z0-9+/=]{24,}`)
	redactKeyBlob := redaction{re: keyBlobWord, fn: func(m string) string {
		sub := keyBlobWord.FindStringSubmatch(m)
		label, word := sub[1], sub[2]
		if label != "" {
			return m // an upload ID, which S3 makes random-looking and the user needs
		}
		runs := base64Run.FindAllString(m, -1)
		if !slices.ContainsFunc(runs, keys.LooksLikeKeyRun) {
			return m // the cheap test first: most long words are not key text
		}
		if _, ok := keys.SettingFile(strings.TrimRight(word, ":,;.")); ok {
			return m
		}
		return base64Run.ReplaceAllStringFunc(m, func(run string) string {
			if keys.LooksLikeKeyRun(run) {
				return "[REDACTED key text]"
			}
			return run
		})
	}}
	// CloudFront URL and cookie parameters, SigV4 query and header
	// signatures, session tokens in a query: what makes a URL a bearer token.
	redactSignature := redaction{re: regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9-])(?:CloudFront-)?(?:X-Amz-)?Signature=)[^&\s"';,]+`), repl: "${1}REDACTED"}
	redactPolicy := redaction{re: regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9-])(?:CloudFront-)?Policy=)[^&\s"';,]+`), repl: "${1}REDACTED"}
	redactTokenParam := redaction{re: regexp.MustCompile(`(?i)(X-Amz-Security-Token=)[^&\s"';,]+`), repl: "${1}REDACTED"}
	// The user:password of any URL (an endpoint given with credentials).
	redactUserinfo := redaction{re: regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s"']*@`), repl: "${1}REDACTED@"}

	return redactionSet{
		debug: []redaction{
			redactPEM,
			redactUserinfo,
			redactSignature,
			redactPolicy,
			redactTokenParam,
			{re: regexp.MustCompile(`(?i)(X-Amz-Security-Token:\s*)\S+`), repl: "${1}REDACTED"},
			// The access key ID part of a SigV4 credential scope (query or header).
			{re: regexp.MustCompile(`(?i)((?:X-Amz-)?Credential=)[A-Z0-9]+((?:%2F|/))`), repl: "${1}REDACTED${2}"},
			redactKeyBlob,
			redactSecretKey,
			redactSessionToken,
			// Access key IDs: keep the kind (AKIA long-term, ASIA temporary).
			{re: regexp.MustCompile(`\b((?:AKIA|ASIA|AROA|AIDA)[A-Z0-9])[A-Z0-9]{15}\b`), repl: "${1}REDACTED"},
			// A bare 40-character secret access key.
			{re: regexp.MustCompile(`(^|[^A-Za-z0-9/+=])[A-Za-z0-9/+]{40}($|[^A-Za-z0-9/+=])`), repl: "${1}REDACTED${2}"},
		},
		stderr: []redaction{redactPEM, redactUserinfo, redactSignature, redactPolicy, redactTokenParam, redactKeyBlob, redactSecretKey, redactSessionToken},
	}
}

// RedactLog removes signatures, policies, credentials and PEM blocks from
// a debug log line.
func RedactLog(s string) string {
	for _, r := range redactionSets().debug {
		s = r.apply(s)
	}
	return s
}

// RedactMessage removes key material, AWS secrets and signed URLs'
// signatures from a message for the user: an error on stderr, a status line
// or panel in the app.
func RedactMessage(s string) string {
	if !mayHold(s) {
		return s // the common case, cheaply: the app redacts what it draws
	}
	for _, r := range redactionSets().stderr {
		s = r.apply(s)
	}
	return s
}

// mayHold reports whether s holds anything a message redaction matches:
// a PEM block, a URL's user:password, a signature, policy or token
// parameter, a secret key or session token field, or a run of 24 or more
// base64 characters (key text). It errs towards true.
func mayHold(s string) bool {
	lower := strings.ToLower(s)
	for _, mark := range []string{"-----begin", "signature=", "policy=", "security-token=", "secret", "session"} {
		if strings.Contains(lower, mark) {
			return true
		}
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		return true
	}
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
			if run++; run >= 24 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
