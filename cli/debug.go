package cli

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/secret"
)

// redactWriter redacts each Write (a log.Logger writes one entry per call).
type redactWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *redactWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := io.WriteString(w.w, secret.RedactLog(string(p))); err != nil {
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
	s = secret.RedactMessage(s)
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		for _, v := range []string{r.env.Getenv(name), os.Getenv(name)} {
			if len(v) >= 8 {
				s = strings.ReplaceAll(s, v, "REDACTED")
			}
		}
	}
	return sanitize(s)
}
