package ui

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

var btSizes = []int{10_000, 100_000, 1_000_000}

// BenchmarkBrowserKey measures one keystroke (Update + View) at 120x40 with n
// loaded entries. The filter case types and erases a character; its fuzzy
// match runs in a command off the Update loop and is measured separately by
// BenchmarkBrowserFilterCmd.
func BenchmarkBrowserKey(b *testing.B) {
	for _, n := range btSizes {
		br := btLoaded(n, 1000)
		br.SetSize(120, 38)
		keys := map[string][]tea.KeyMsg{
			"down":     btKeys("down"),
			"pagedown": btKeys("pgdown"),
			"filter":   {btKeys("i")[0], btKeys("backspace")[0]},
		}
		for _, name := range []string{"down", "pagedown", "filter"} {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				br.list.cursor, br.list.offset = 0, 0
				if name == "filter" {
					br.Update(btKeys("/")[0])
					br.Update(btKeys("img")[0])
				}
				seq := keys[name]
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if br.list.cursor >= len(br.list.rows)-br.listHeight() {
						br.list.cursor = 0
					}
					br.Update(seq[i%len(seq)])
					_ = br.View()
				}
				b.StopTimer()
				if name == "filter" {
					br.Update(btKeys("esc")[0])
				}
			})
		}
	}
}

// BenchmarkBrowserFilterCmd measures the fuzzy match command itself: the time
// from a keystroke until its matches can show, spent off the Update loop.
func BenchmarkBrowserFilterCmd(b *testing.B) {
	for _, n := range btSizes {
		br := btLoaded(n, 1000)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				br.list.narrow.refs = nil
				br.list.pattern = "img-09"
				if msg := br.fuzzyCmd()(); msg == nil {
					b.Fatal("filter cancelled")
				}
			}
		})
	}
}

// BenchmarkBytesPerEntry reports the heap held per loaded entry (entry, key
// string and display order) after loading 1,000,000 objects page by page.
func BenchmarkBytesPerEntry(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		br := btLoaded(n, 1000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(br)
		b.ReportMetric(per, "B/entry")
		if per > 300 {
			b.Errorf("%.0f bytes per entry, want at most 300", per)
		}
	}
}

// TestBrowserFilterCancels: a newer filter stops an older one between chunks.
func TestBrowserFilterCancels(t *testing.T) {
	br := btLoaded(3*filterChunk, 1000)
	br.list.pattern = "img"
	cmd := br.fuzzyCmd()
	br.cancelFilter()
	if msg := cmd(); msg != nil {
		t.Fatalf("a cancelled filter still answered: %T", msg)
	}
	_ = context.Background
}
