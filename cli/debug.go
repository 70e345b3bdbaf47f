package cli

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// The redactions are compiled on first use, not at start-up: most runs
// never log or print an error, and a signed URL is wanted in milliseconds.
var redactionSets = sync.OnceValue(compileRedactions)

// redactionSet holds the two lists redact and clean apply.
type redactionSet struct {
	// debug removes secrets from debug log lines. Signed URLs are bearer
	// tokens, so their signatures and policies go too; what is left (the
	// URL, key pair ID, expiry) is enough for support.
	debug []redaction
	// stderr is applied to everything cfsign prints on stderr: private
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

// redact removes signatures, policies, credentials and PEM blocks from s.
func redact(s string) string {
	for _, r := range redactionSets().debug {
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
	r.logger.Printf("%s", version())
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

// clean makes a message safe for stderr: secrets redacted (the stderr
// redactions and the literal values of AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN), then control characters escaped by sanitize.
func (r *runner) clean(s string) string {
	for _, rd := range redactionSets().stderr {
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
