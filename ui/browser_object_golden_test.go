package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// goldenObjects is a fixed ObjectReader for goldens: what the real one
// reads is tested on the sandbox and moto; a golden needs the same bytes
// and dates every run.
type goldenObjects struct {
	l        *btLister // the objects' metadata
	bodies   map[string][]byte
	versions map[string][]aws.Version
}

func (g goldenObjects) HeadVersion(ctx context.Context, bucket, key, _ string) (aws.ObjectInfo, error) {
	return g.l.Head(ctx, bucket, key)
}

func (g goldenObjects) ReadHead(_ context.Context, _, key, _ string, n int64) (aws.Head, error) {
	b := g.bodies[key]
	return aws.Head{Data: b[:min(int64(len(b)), n)], Total: int64(len(b))}, nil
}

func (g goldenObjects) Versions(_ context.Context, _, key string) ([]aws.Version, bool, error) {
	if vs, ok := g.versions[key]; ok {
		return vs, false, nil
	}
	return []aws.Version{{ID: "null", Latest: true}}, false, nil
}

func TestObjectViewGoldens(t *testing.T) {
	keys := []string{"site/config.json", "site/logo.png", "site/report.pdf"}
	l := newBTLister(1000, keys...)
	objs := goldenObjects{
		l: l,
		bodies: map[string][]byte{
			"site/config.json": []byte("{\n  \"domain\": \"cdn.example.com\",\n  \"ttl\": 300,\n  \"paths\": [\"/a\", \"/b\"]\n}\n"),
			"site/logo.png":    []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"),
		},
		versions: map[string][]aws.Version{"site/report.pdf": {
			{ID: "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY", Size: 52000, LastModified: btTime.Add(2 * time.Hour), Latest: true},
			{ID: "QUpfdndhfd8438MNFDN93jdnJFkdmqnh", LastModified: btTime.Add(time.Hour), DeleteMarker: true},
			{ID: "Gd2fpx0nHgV7vO.IZV6tRyZCi8Q1KmLw", Size: 48000, LastModified: btTime},
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		name := func(s string) string { return fmt.Sprintf("object_%s_%dx%d", s, w, h) }
		deps := btDeps(l)
		deps.Settings = app.Literal(config.Settings{Bucket: "media", Region: "us-east-1", Domain: "d111111abcdef8.cloudfront.net", OriginPath: "/site"})
		deps.Objects, deps.Downloader, deps.Workdir = objs, fakeDownloader{}, "/home/ana/downloads"
		a := newBTApp(t, deps, w, h)
		a.press("enter", "enter") // site/, config.json
		btGolden(t, name("info"), a.m.View())
		a.press("tab")
		btGolden(t, name("preview"), a.m.View())
		a.press("esc", "down", "enter", "tab")
		btGolden(t, name("hexdump"), a.m.View())
		a.press("esc", "down", "enter", "tab", "tab", "down", "down")
		btGolden(t, name("versions"), a.m.View())
		a.press("esc", "a")
		btGolden(t, name("marked"), a.m.View())
		a.press("D")
		btGolden(t, name("download"), a.m.View())
		v := a.m.cur.(*downloadView)
		v.phase = dlChecking // as after enter
		a.send(dlPlannedMsg{files: app.PlanDownloads("media", v.keys, nil, "/home/ana/downloads"), exists: map[int]bool{1: true, 2: true}})
		btGolden(t, name("download_question"), a.m.View())
		v.phase, v.ask = dlRunning, nil
		v.now = func() time.Time { return btTime.Add(2 * time.Second) }
		v.items[0].state, v.items[0].outcome, v.items[0].total, v.items[0].sent = itemDone, app.Downloaded, 70, 70
		v.items[1].state, v.items[1].total, v.items[1].sent, v.items[1].started = itemRunning, 4000, 1500, btTime
		btGolden(t, name("download_progress"), a.m.View())
		v.phase = dlEnded
		a.press("esc", "x", "B")
		a.send(bucketsListedMsg{buckets: []aws.Bucket{{Name: "media", Created: btTime}, {Name: "media-archive", Created: btTime.Add(24 * time.Hour)}, {Name: "sandbox", Created: btTime}}})
		btGolden(t, name("buckets"), a.m.View())
		a.press("arch")
		btGolden(t, name("buckets_filter"), a.m.View())
		btCheckFrame(t, a.m.View(), w, h)
	}
}

// fakeDownloader enables D for goldens; the download itself is tested on
// the sandbox.
type fakeDownloader struct{}

func (fakeDownloader) Download(context.Context, aws.DownloadRequest, func(aws.Progress)) error {
	return nil
}

// goldenDeps is the app on goldenObjects, in bucket media.
func goldenDeps() Deps {
	l := newBTLister(1000, "site/config.json", "site/logo.png", "site/report.pdf")
	deps := btDeps(l)
	deps.Settings = app.Literal(config.Settings{Bucket: "media", Region: "us-east-1", Domain: "d111111abcdef8.cloudfront.net", OriginPath: "/site"})
	deps.Objects, deps.Downloader, deps.Workdir = goldenObjects{l: l, bodies: map[string][]byte{
		"site/config.json": []byte(`{"domain": "cdn.example.com", "ttl": 300}`),
	}, versions: map[string][]aws.Version{"site/report.pdf": {
		{ID: "v2", Size: 5, LastModified: btTime, Latest: true}, {ID: "v1", Size: 4, LastModified: btTime.Add(-time.Hour)},
	}}}, fakeDownloader{}, "/home/ana/downloads"
	return deps
}

// The preview is coloured by token, and plain under NO_COLOR (bold and
// reverse video stay, as everywhere).
func TestPreviewColourAndNoColor(t *testing.T) {
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	lipgloss.SetColorProfile(termenv.ANSI256)
	a := newBTApp(t, goldenDeps(), 100, 30)
	a.press("enter", "enter", "tab")
	if _, colour := sgrParams(a.m.View()); !colour {
		t.Fatalf("the preview has no colour: %q", a.m.View())
	}
	t.Setenv("NO_COLOR", "1")
	useNoColorProfile(func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] })
	a = newBTApp(t, goldenDeps(), 100, 30)
	a.press("enter", "enter", "tab")
	if params, colour := sgrParams(a.m.View()); colour || !params[7] && !params[1] {
		t.Fatalf("NO_COLOR: %v %q", params, a.m.View())
	}
	a.press("tab", "esc", "D")
	if _, colour := sgrParams(a.m.View()); colour {
		t.Fatalf("NO_COLOR download view: %q", a.m.View())
	}
}

// From 60 columns every new view fits and says what matters.
func TestObjectViewsAt60Columns(t *testing.T) {
	for _, h := range []int{16, 24} {
		a := newBTApp(t, goldenDeps(), 60, h)
		check := func(what string, wants ...string) {
			t.Helper()
			btCheckFrame(t, a.m.View(), 60, h)
			for _, w := range wants {
				if !strings.Contains(a.frame(), w) {
					t.Errorf("%s at 60x%d lacks %q:\n%s", what, h, w, a.frame())
				}
			}
		}
		a.press("enter", "enter")
		check("info", "Key ", "Content type")
		a.press("G") // the end of the info: the CloudFront URL and metadata
		check("info scrolled", "owner: ana")
		a.press("tab")
		check("preview", `"ttl": 300`)
		a.press("esc", "down", "enter", "tab", "tab")
		check("no versions", "keeps no versions")
		a.press("esc", "down", "enter", "tab", "tab")
		check("versions", "current", "v1")
		a.press("esc", "a", "D")
		check("download", "Download 3 objects", "To ")
		v := a.m.cur.(*downloadView)
		v.phase = dlChecking
		a.send(dlPlannedMsg{files: app.PlanDownloads("media", v.keys, nil, "/home/ana/downloads"), exists: map[int]bool{0: true}})
		check("question", "config.json exists.", "r replaces it")
		a.press("esc", "esc", "B")
		a.send(bucketsListedMsg{buckets: []aws.Bucket{{Name: "media", Created: btTime}}})
		check("buckets", "media (open)")
		// A click on the bucket's row chooses it; a double click opens it.
		a.send(tea.MouseMsg{X: 5, Y: 4, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
		a.send(tea.MouseMsg{X: 5, Y: 4, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
		if _, ok := a.m.cur.(*browserView); !ok {
			t.Errorf("a double click on a bucket did not open it:\n%s", a.frame())
		}
	}
}

// A minified file is one long line: the preview keeps what any window can
// show of it, and drawing stays cheap.
func TestPreviewCutsLongLines(t *testing.T) {
	line := strings.Repeat(`{"k":"v"},`, 20000) // 200,000 characters
	p := renderPreview(newStyles(false), "app.min.json", "", aws.Head{Data: []byte(line), Total: int64(len(line))})
	if len(p.lines) != 1 || ansi.StringWidth(p.lines[0]) != previewWidth {
		t.Fatalf("%d lines, the first %d cells wide", len(p.lines), ansi.StringWidth(p.lines[0]))
	}
}
