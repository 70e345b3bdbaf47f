package sandbox

// The sandbox's log, sandbox.log in its data directory: one line per
// refusal of its servers (the edge says which check failed) and per event
// of its life (a handover, a full disk), from whichever process runs it.

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
)

// logLimit is the size past which sandbox.log is renamed sandbox.log.1 (the
// one before is dropped) when a sandbox starts.
const logLimit = 1 << 20

// openLog opens the sandbox's log for appending: what its servers refused
// and why, whichever process runs it, so `cfsign` and the app can show it.
func openLog(path string) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && st.Size() > logLimit {
		os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the sandbox's log: %w", err)
	}
	return f, nil
}

// plural is one or many, by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// logTime is the time stamp of a log line.
func logTime() string { return time.Now().UTC().Format(time.RFC3339) }

// logTail is how much of the log its readers look at: the newest lines.
const logTail = 256 << 10

// Tail returns the last n lines of the sandbox log at path (fewer when it
// holds fewer); none when there is no log yet.
func Tail(path string, n int) ([]string, error) {
	text, err := readTail(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil, nil
	}
	return lines[max(0, len(lines)-n):], nil
}

// readTail reads the last logTail bytes of path, from a line start.
func readTail(path string) (string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the sandbox's log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read the sandbox's log: %w", err)
	}
	from := max(0, st.Size()-logTail)
	b, err := io.ReadAll(io.NewSectionReader(f, from, st.Size()-from))
	if err != nil {
		return "", fmt.Errorf("read the sandbox's log: %w", err)
	}
	text := string(b)
	if from > 0 {
		if _, rest, ok := strings.Cut(text, "\n"); ok {
			text = rest
		}
	}
	return text, nil
}

// RefusalFor finds, in the sandbox log at path, why the edge refused the
// request it answered with id: "check NAME failed: DETAIL". ok is false when
// the log has no refusal with that ID.
func RefusalFor(path, id string) (reason string, ok bool) {
	if id == "" {
		return "", false
	}
	text, err := readTail(path)
	if err != nil {
		return "", false
	}
	suffix := " (" + signedurl.RequestIDHeader + " " + id + ")"
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		if !strings.HasSuffix(line, suffix) {
			continue
		}
		line = strings.TrimSuffix(line, suffix)
		if i := strings.Index(line, ": check "); i >= 0 {
			return line[i+2:], true
		}
	}
	return "", false
}
