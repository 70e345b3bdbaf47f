package ui

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// errNoBrowser means this machine has no way to open a URL in a browser.
var errNoBrowser = errors.New("no browser found")

// urlOpener opens URLs in a graphical browser. Fields are injectable for tests.
type urlOpener struct {
	goos     string
	getenv   func(string) string
	lookPath func(string) (string, error)
	start    func(name string, args ...string) error // starts and does not wait
}

// defaultOpener uses $BROWSER, xdg-open, open or rundll32 on this machine.
func defaultOpener() urlOpener {
	return urlOpener{goos: runtime.GOOS, getenv: os.Getenv, lookPath: exec.LookPath, start: startDetached}
}

// startDetached starts a program with no terminal I/O (it must not draw over
// the app) and reaps it in the background.
func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // the browser's exit status is of no interest
	return nil
}

// command picks the program and arguments that open u, or errNoBrowser.
func (o urlOpener) command(u string) (string, []string, error) {
	if b := strings.TrimSpace(o.getenv("BROWSER")); b != "" {
		// $BROWSER is a colon-separated list of commands; %s marks the URL.
		for _, c := range strings.Split(b, ":") {
			f := strings.Fields(c)
			if len(f) == 0 {
				continue
			}
			if _, err := o.lookPath(f[0]); err != nil {
				continue
			}
			args, placed := make([]string, 0, len(f)), false
			for _, a := range f[1:] {
				if strings.Contains(a, "%s") {
					a, placed = strings.ReplaceAll(a, "%s", u), true
				}
				args = append(args, a)
			}
			if !placed {
				args = append(args, u)
			}
			return f[0], args, nil
		}
	}
	switch o.goos {
	case "darwin":
		return "open", []string{u}, nil
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler", u}, nil
	}
	// Elsewhere a graphical session is needed: xdg-open without one would
	// start a text browser on top of the app, or fail slowly.
	if o.getenv("DISPLAY") == "" && o.getenv("WAYLAND_DISPLAY") == "" {
		return "", nil, errNoBrowser
	}
	for _, name := range []string{"xdg-open", "x-www-browser"} {
		if _, err := o.lookPath(name); err == nil {
			return name, []string{u}, nil
		}
	}
	return "", nil, errNoBrowser
}

// open opens u, which must be an http(s) URL.
func (o urlOpener) open(u string) error {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return fmt.Errorf("not a web URL: %.40q", u)
	}
	name, args, err := o.command(u)
	if err != nil {
		return err
	}
	if err := o.start(name, args...); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

// urlOpenedMsg is the answer of openURLCmd; noBrowser says this machine
// cannot open URLs, so o stops being offered.
type urlOpenedMsg struct {
	status    statusMsg
	noBrowser bool
}

// openURLCmd opens u in a command; the view puts its answer on the status line.
func openURLCmd(o urlOpener, u string) tea.Cmd {
	return func() tea.Msg {
		if err := o.open(u); err != nil {
			if errors.Is(err, errNoBrowser) {
				return urlOpenedMsg{status: statusMsg{text: "No browser found: copy the URL with c instead", err: true}, noBrowser: true}
			}
			return urlOpenedMsg{status: statusMsg{text: "Open in browser: " + err.Error(), err: true}}
		}
		return urlOpenedMsg{status: statusMsg{text: "Opened the URL in your browser"}}
	}
}

// browserCheckCmd finds out, off the Update loop, whether a browser can
// open URLs here.
func browserCheckCmd(o urlOpener) tea.Cmd {
	return func() tea.Msg {
		_, _, err := o.command("https://example.com/")
		return urlOpenedMsg{noBrowser: errors.Is(err, errNoBrowser)}
	}
}
