package cli

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cfsign/cfsign/internal/app"
)

// displayKey returns an object key fit for a terminal: unchanged when every
// rune is printable, else Go-quoted ("a\x1b[2Jb"), so a key never sets the
// window title, clears the screen or forges rows. Off a terminal keys are
// printed raw, for scripts.
func (r *runner) displayKey(key string) string {
	if !r.env.StdoutTTY {
		return key
	}
	return escapeKey(key)
}

// escapeKey quotes key when it holds control characters, invalid UTF-8 or
// other characters that could act on a terminal (bidi overrides
// included), escaped as everywhere in cfsign (app.Escape): "a\x1b[2Jb".
func escapeKey(key string) string {
	e := app.Escape(key)
	if e == key {
		return key
	}
	return `"` + strings.ReplaceAll(e, `"`, `\"`) + `"`
}

// sanitize makes a message safe to print as one line: control characters and
// invalid UTF-8 become \x escapes, so data in an error cannot drive the terminal.
func sanitize(s string) string { return app.EscapeText(s) }

// parseSize reads a byte size: a number with an optional unit, B, KB/MB/GB
// (powers of 1000), KiB/MiB/GiB or K/M/G (powers of 1024).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 {
		return 0, fmt.Errorf("bad size %q: use a number of bytes or one like 8MiB, 16MB, 1GiB", s)
	}
	n := v * mult
	if n > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(n), nil
}

// progressBar draws a one-line bar on a terminal: bytes, rate, ETA and total.
// It is safe for concurrent use and redraws at most ten times a second.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	total int64
	done  int64            // bytes of finished items
	cur   map[string]int64 // bytes sent of the items in flight, by label
	label string
	start time.Time
	last  time.Time
	now   func() time.Time
	drawn bool
}

func newProgressBar(w io.Writer, total int64, now func() time.Time) *progressBar {
	t := now()
	return &progressBar{w: w, total: total, start: t, now: now, cur: map[string]int64{}}
}

// update sets the bytes sent of the item label.
func (p *progressBar) update(label string, sent int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.cur[label] = label, sent
	if t := p.now(); t.Sub(p.last) >= 100*time.Millisecond {
		p.last = t
		p.draw()
	}
}

// finishItem adds a finished item's size to the total done.
func (p *progressBar) finishItem(label string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += size
	delete(p.cur, label)
	p.draw()
}

// end clears the bar's line.
func (p *progressBar) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// above writes line (with its newline) to w, which may be the same
// terminal: the bar's line is cleared first and the bar drawn again below,
// so the two never share a line.
func (p *progressBar) above(w io.Writer, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	redraw := p.drawn
	p.clear()
	fmt.Fprintln(w, line)
	if redraw {
		p.draw()
	}
}

func (p *progressBar) draw() {
	sent := p.done
	for _, n := range p.cur {
		sent += n
	}
	el := p.now().Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(sent) / el
	}
	frac := 0.0
	if p.total > 0 {
		frac = math.Min(1, float64(sent)/float64(p.total))
	}
	const width = 24
	fill := int(frac * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	eta := "--:--"
	if rate > 0 && p.total >= sent {
		eta = fmtDuration(time.Duration(float64(p.total-sent) / rate * float64(time.Second)))
	}
	label := escapeKey(p.label)
	if len(label) > 30 {
		label = "…" + label[len(label)-29:]
		if !utf8.ValidString(label) {
			label = escapeKey(label)
		}
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%s] %3.0f%% %s/%s %s/s ETA %s %s",
		bar, frac*100, app.Size(sent), app.Size(p.total), app.Size(int64(rate)), eta, label)
	p.drawn = true
}

func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// ask puts question on stderr and reads the answer from stdin: true for
// y or yes. Only a command on a terminal asks (see Env.StdinTTY).
func (r *runner) ask(question string) (bool, error) {
	fmt.Fprint(r.env.Stderr, question)
	line, err := bufio.NewReader(r.env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(r.env.Stderr)
		return false, nil // end of input: no
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
