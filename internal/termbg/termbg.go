// Package termbg decides whether the terminal's background is dark without
// asking the terminal, before any other package can ask it.
//
// Bubble Tea v1's package init calls lipgloss.HasDarkBackground, which sends
// the terminal an OSC 11 query and waits up to termenv.OSCTimeout (5 s) for
// the answer: in a terminal that never answers (script(1), some IDE and
// serial consoles) every cfsign command, --help included, stalled 5 s before
// it did anything. This package's init settles the answer first, from
// COLORFGBG, or dark, so no subcommand ever queries the terminal; the app
// may then ask the terminal itself with a short wait, taking a late answer
// out of its keys (Detect, Input).
//
// First is a promise of the Go spec, not of this package: inits run in
// dependency order, then by import path, and bubbletea does not import this
// package, so it runs first only while its import path sorts before
// github.com/charmbracelet/bubbletea. TestNoTerminalQueryBeforeMain (in the
// main package) runs cfsign in a terminal that never answers and checks the
// order the runtime reports, so a rename that breaks the promise fails the
// tests, not the users.
package termbg

import (
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
)

func init() {
	dark, _ := FromEnv(os.Getenv)
	lipgloss.SetHasDarkBackground(dark)
}

// FromEnv reads COLORFGBG ("fg;bg", as rxvt, Konsole and others set it): ok is
// false when it says nothing, and the guess is then dark, what most terminals
// use.
func FromEnv(getenv func(string) string) (dark, ok bool) {
	v := getenv("COLORFGBG")
	i := strings.LastIndexByte(v, ';')
	if i < 0 {
		return true, false
	}
	bg, err := strconv.Atoi(v[i+1:])
	if err != nil || bg < 0 || bg > 15 {
		return true, false
	}
	// The 16 ANSI colours: 7 (white) and 9-15 (the bright ones) are light.
	return !(bg == 7 || bg >= 9), true
}

// Detect asks the terminal for its background colour (the query on out,
// the answer on in) and sets lipgloss's background from the answer. It
// waits at most wait for it, so a terminal that never answers delays
// nothing by more. It does nothing when in or out is not a terminal, or
// when COLORFGBG already said; a terminal that does not answer keeps the
// guess. Only the app calls it, before its first frame.
//
// When the answer is not all there within wait, Detect returns the
// terminal's input for the app to read instead (an Input): the rest of the
// answer is taken out of the keys there, and its colour handed to late
// (which must not block) when it comes. It also returns an Input to pass on
// keys typed during the wait. Otherwise it returns nil: the app reads in.
func Detect(in, out *os.File, wait time.Duration, late func(dark bool)) io.Reader {
	if _, ok := FromEnv(os.Getenv); ok || !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return nil
	}
	got, asked := ask(in, out, wait)
	if !asked {
		return nil
	}
	keys, rest, bg := split(got)
	if bg != nil {
		lipgloss.SetHasDarkBackground(*bg)
	}
	if rest == nil && len(keys) == 0 {
		return nil
	}
	input := &Input{f: in, late: late, finished: rest == nil}
	if rest != nil {
		input.held = rest
	}
	input.keys = keys
	if len(keys) > 0 {
		return input // read on demand: the descriptor cannot tell of these
	}
	return fileInput{input}
}

// parseOSC11 reads "ESC ] 11 ; rgb:RRRR/GGGG/BBBB" (1 to 4 hex digits a
// channel, as xterm answers) and reports whether the colour is dark.
func parseOSC11(s string) (dark, ok bool) {
	i := strings.Index(s, "rgb:")
	if i < 0 {
		return false, false
	}
	rest := s[i+4:]
	if j := strings.IndexAny(rest, "\x07\x1b"); j >= 0 {
		rest = rest[:j]
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return false, false
	}
	var ch [3]float64
	for k, p := range parts {
		if p == "" || len(p) > 4 {
			return false, false
		}
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return false, false
		}
		ch[k] = float64(v) / float64(uint64(1)<<(4*len(p))-1)
	}
	// Relative luminance, as termenv judges it (HSL lightness below 0.5).
	l := (max(ch[0], ch[1], ch[2]) + min(ch[0], ch[1], ch[2])) / 2
	return l < 0.5, true
}
