package ui

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

var sgrRe = regexp.MustCompile("\x1b\\[([0-9;]*)m")

// sgrParams lists the SGR parameters a frame uses, and whether any sets a colour.
func sgrParams(frame string) (params map[int]bool, colour bool) {
	params = map[int]bool{}
	for _, m := range sgrRe.FindAllStringSubmatch(frame, -1) {
		for _, p := range strings.Split(m[1], ";") {
			n, err := strconv.Atoi(p)
			if err != nil {
				continue
			}
			params[n] = true
			if (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) {
				colour = true
			}
		}
	}
	return params, colour
}

// NO_COLOR removes colour only: the frames the app draws under it carry no
// colour, and keep reverse video for the selection, the text cursor and the
// focused field, and bold.
func TestNoColorKeepsAttributes(t *testing.T) {
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	useNoColorProfile(func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	})
	t.Setenv("NO_COLOR", "1")
	a := newBTApp(t, btDeps(newBTLister(1000, btKeysSample...)), 100, 30)
	check := func(what string, wantReverse bool) {
		t.Helper()
		frame := a.m.View()
		params, colour := sgrParams(frame)
		if colour {
			t.Errorf("%s: a colour under NO_COLOR: %q", what, frame)
		}
		if wantReverse && !params[7] {
			t.Errorf("%s: no reverse video (the cursor or selection is invisible)", what)
		}
	}
	check("browser", true)
	a.press("/")
	check("filter with its cursor", true)
	a.press("esc", "u")
	check("upload view", true)
}
