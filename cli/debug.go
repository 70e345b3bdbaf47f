package cli

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/cfsign/cfsign/config"
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

// Secrets proper: PEM blocks of any kind (private keys above all) and AWS
// secret keys and session tokens in key = value, key: value or JSON form.
var (
	redactPEM          = redaction{re: regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)`), repl: "[REDACTED $1]"}
	redactSecretKey    = redaction{re: regexp.MustCompile(`(?i)("?(?:aws_)?secret_?access_?key"?\s*[:=]\s*"?)[^"\s,}]+`), repl: "${1}REDACTED"}
	redactSessionToken = redaction{re: regexp.MustCompile(`(?i)("?(?:aws_)?session_?token"?\s*[:=]\s*"?)[^"\s,}]+`), repl: "${1}REDACTED"}
	// Key text that is not PEM: base64-encoded PEM or a PEM body without
	// its BEGIN/END lines, as CI secret stores hold keys. keys.Classify
	// decides, the one judge of what may be key material.
	redactKeyBlob = redaction{re: regexp.MustCompile(`[A-Za-z0-9+/_=-]{64,}`), fn: func(m string) string {
		if keys.IsEncodedKey(m) {
			return "[REDACTED key text]"
		}
		return m
	}}
	// The user:password of any URL (an endpoint given with credentials).
	redactUserinfo = redaction{re: regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s"']*@`), repl: "${1}REDACTED@"}
)

// redactions remove secrets from debug log lines. Signed URLs are bearer
// tokens, so their signatures and policies go too; what is left (the URL,
// key pair ID, expiry) is enough for support.
var redactions = []redaction{
	redactPEM,
	redactKeyBlob,
	redactUserinfo,
	// CloudFront URL and cookie parameters, SigV4 query and header signatures.
	{re: regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9-])(?:CloudFront-)?(?:X-Amz-)?Signature=)[^&\s"';,]+`), repl: "${1}REDACTED"},
	{re: regexp.MustCompile(`(?i)((?:^|[^A-Za-z0-9-])(?:CloudFront-)?Policy=)[^&\s"';,]+`), repl: "${1}REDACTED"},
	{re: regexp.MustCompile(`(?i)(X-Amz-Security-Token=)[^&\s"';,]+`), repl: "${1}REDACTED"},
	{re: regexp.MustCompile(`(?i)(X-Amz-Security-Token:\s*)\S+`), repl: "${1}REDACTED"},
	// The access key ID part of a SigV4 credential scope (query or header).
	{re: regexp.MustCompile(`(?i)((?:X-Amz-)?Credential=)[A-Z0-9]+((?:%2F|/))`), repl: "${1}REDACTED${2}"},
	redactSecretKey,
	redactSessionToken,
	// Access key IDs: keep the kind (AKIA long-term, ASIA temporary).
	{re: regexp.MustCompile(`\b((?:AKIA|ASIA|AROA|AIDA)[A-Z0-9])[A-Z0-9]{15}\b`), repl: "${1}REDACTED"},
	// A bare 40-character secret access key.
	{re: regexp.MustCompile(`(^|[^A-Za-z0-9/+=])[A-Za-z0-9/+]{40}($|[^A-Za-z0-9/+=])`), repl: "${1}REDACTED${2}"},
}

// redact removes signatures, policies, credentials and PEM blocks from s.
func redact(s string) string {
	for _, r := range redactions {
		s = r.apply(s)
	}
	return s
}

// redactWriter redacts each Write (a log.Logger writes one entry per call).
type redactWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *redactWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := io.WriteString(w.w, redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// openDebug opens the debug log when --debug or CFSIGN_DEBUG asks for one:
// the CFSIGN_DEBUG file, else stderr for commands.
func (r *runner) openDebug() error {
	if path := r.env.Getenv(config.EnvDebug); path != "" {
		return r.openDebugFile(path)
	}
	if r.global.debug {
		r.setDebug(r.env.Stderr, nil)
	}
	return nil
}

func (r *runner) openDebugFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("debug log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("debug log %s: %w (set %s to a writable file)", path, err, config.EnvDebug)
	}
	r.setDebug(f, f)
	return nil
}

func (r *runner) setDebug(w io.Writer, c io.Closer) {
	r.debug = &redactWriter{w: w}
	r.debugC = c
	r.logger = log.New(r.debug, "cfsign debug: ", log.LstdFlags|log.Lmicroseconds)
	// Libraries that log through the standard logger (the transfer manager
	// does) write to the debug log, never over the terminal.
	log.SetOutput(r.debug)
}

func (r *runner) closeDebug() {
	if r.debugC != nil {
		r.debugC.Close()
		r.debugC = nil
	}
}

// debugf writes one line to the debug log, if any.
func (r *runner) debugf(format string, args ...any) {
	if r.logger != nil {
		r.logger.Printf(format, args...)
	}
}

// secretRedactions are the redactions applied to everything cfsign prints
// on stderr: private key material and AWS secrets, never wanted in a
// terminal's scrollback or a CI log (a key pasted where a path belongs
// would otherwise come back in the error). Signatures stay: a signed URL on
// stdout is the point of the tool.
var secretRedactions = []redaction{redactPEM, redactKeyBlob, redactUserinfo, redactSecretKey, redactSessionToken}

// clean makes a message safe for stderr: secrets redacted (the patterns
// above and the literal values of AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN), then control characters escaped by sanitize.
func (r *runner) clean(s string) string {
	for _, rd := range secretRedactions {
		s = rd.apply(s)
	}
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		for _, v := range []string{r.env.Getenv(name), os.Getenv(name)} {
			if len(v) >= 8 {
				s = strings.ReplaceAll(s, v, "REDACTED")
			}
		}
	}
	return sanitize(s)
}
