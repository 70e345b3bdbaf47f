package ui

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
)

// lsDir and lsObj make listed entries; an object's age is in minutes after btTime.
func lsDir(k string) aws.Entry { return aws.Entry{Key: k, Folder: true} }

func lsObj(k string, size int64, minute int, class string) aws.Entry {
	return aws.Entry{Key: k, Size: size, LastModified: btTime.Add(time.Duration(minute) * time.Minute), StorageClass: class}
}

// lsNames are the keys of the rows, in order.
func lsNames(l *listing) []string {
	out := []string{}
	for _, r := range l.rows {
		out = append(out, l.at(r).key)
	}
	return out
}

// lsLoaded is a listing of one complete page, shown.
func lsLoaded(h int, es ...aws.Entry) *listing {
	l := &listing{}
	l.addPage(aws.Page{Entries: es}, "")
	l.rebuildRows(h)
	return l
}

// lsSample is a folder as S3 lists it: keys in byte order, folders among them.
var lsSample = []aws.Entry{
	lsObj("Clap.MOV", 5, 3, "STANDARD"),
	lsDir("a/"),
	lsObj("b.txt", 9, 1, "GLACIER"),
	lsObj("clip.mp4", 5, 3, "STANDARD"),
	lsObj("e.bin", 1, 7, ""),
	lsDir("z/"),
}

// Inside docs/, the zero-byte "docs/" object (the folder's marker, as n and
// the S3 console make it) is the folder itself: no row, in a page or in a
// server-side search. Anywhere else a key is a row.
func TestListingHidesFolderMarker(t *testing.T) {
	l := &listing{}
	l.addPage(aws.Page{Entries: []aws.Entry{lsObj("docs/", 0, 0, ""), lsObj("docs/a.txt", 1, 0, "")}}, "docs/")
	l.rebuildRows(10)
	if got := lsNames(l); !slices.Equal(got, []string{"docs/a.txt"}) {
		t.Fatalf("rows in docs/: %v", got)
	}
	l = &listing{}
	l.pattern = "d"
	l.setFound([]aws.Entry{lsObj("docs/", 0, 0, ""), lsObj("docs/d.txt", 1, 0, "")}, "docs/", 10)
	if len(l.found) != 1 || l.found[0].key != "docs/d.txt" {
		t.Fatalf("found in docs/: %v", l.found)
	}
	l = &listing{}
	l.addPage(aws.Page{Entries: []aws.Entry{lsObj("docs/", 0, 0, "")}}, "")
	l.rebuildRows(10)
	if got := lsNames(l); !slices.Equal(got, []string{"docs/"}) {
		t.Fatalf("rows at the top: %v", got)
	}
}

func TestListingAddPages(t *testing.T) {
	l := &listing{}
	l.addPage(aws.Page{Entries: lsSample[:3], NextToken: "t1"}, "")
	l.rebuildRows(10)
	if got := lsNames(l); !slices.Equal(got, []string{"a/", "Clap.MOV", "b.txt"}) {
		t.Fatalf("first page rows %v", got)
	}
	if l.token != "t1" || l.complete || !l.morePages() {
		t.Fatalf("after the first page: token %q complete %v more %v", l.token, l.complete, l.morePages())
	}
	l.move(2, 10) // b.txt

	l.addPage(aws.Page{Entries: lsSample[3:]}, "")
	if got := lsNames(l); !slices.Equal(got, []string{"a/", "Clap.MOV", "b.txt"}) {
		t.Fatalf("rows changed before rebuildRows: %v", got)
	}
	l.rebuildRows(10)
	if got := lsNames(l); !slices.Equal(got, []string{"a/", "z/", "Clap.MOV", "b.txt", "clip.mp4", "e.bin"}) {
		t.Fatalf("both pages rows %v", got)
	}
	if l.nFolders != 2 || l.token != "" || !l.complete || l.morePages() || l.lastKey != "z/" {
		t.Fatalf("after the last page: folders %d token %q complete %v more %v lastKey %q",
			l.nFolders, l.token, l.complete, l.morePages(), l.lastKey)
	}
	if l.cursor != 3 || l.selectedKey() != "b.txt" {
		t.Fatalf("cursor %d on %q, want 3 on b.txt (a folder was inserted above it)", l.cursor, l.selectedKey())
	}

	// Storage classes are interned: one index per class, "" is 0.
	classes := map[string]string{}
	for _, k := range []string{"a/", "Clap.MOV", "b.txt", "clip.mp4", "e.bin"} {
		e := l.at(l.rows[l.indexOfKey(k)])
		classes[k] = fmt.Sprintf("%d:%s", e.class, l.className(e.class))
	}
	want := map[string]string{"a/": "0:", "Clap.MOV": "1:STANDARD", "b.txt": "2:GLACIER", "clip.mp4": "1:STANDARD", "e.bin": "0:"}
	for k, w := range want {
		if classes[k] != w {
			t.Errorf("%s class %q, want %q", k, classes[k], w)
		}
	}
}

func TestListingAddBuckets(t *testing.T) {
	l := &listing{}
	l.addBuckets([]aws.Bucket{{Name: "logs", Created: btTime}, {Name: "media"}})
	l.rebuildRows(10)
	if got := lsNames(l); !slices.Equal(got, []string{"logs", "media"}) || !l.complete || l.morePages() {
		t.Fatalf("buckets %v complete %v", got, l.complete)
	}
	if e := l.current(); e.flags&flagBucket == 0 || !e.folder() || e.mtime != btTime.Unix() {
		t.Fatalf("bucket entry %+v", *e)
	}
	if l.toggleMark() || l.targets() != nil {
		t.Fatal("a bucket was marked or targeted")
	}
}

func TestListingSort(t *testing.T) {
	// Sizes: b.txt 9, Clap.MOV 5, clip.mp4 5, e.bin 1. Minutes: e.bin 7,
	// Clap.MOV 3, clip.mp4 3, b.txt 1. Ties keep the name order.
	cases := []struct {
		mode   sortMode
		want   []string
		cursor int // of clip.mp4, which the cursor stays on
	}{
		{sortSize, []string{"a/", "z/", "b.txt", "Clap.MOV", "clip.mp4", "e.bin"}, 4},
		{sortDate, []string{"a/", "z/", "e.bin", "Clap.MOV", "clip.mp4", "b.txt"}, 4},
		{sortName, []string{"a/", "z/", "Clap.MOV", "b.txt", "clip.mp4", "e.bin"}, 4},
	}
	for _, from := range []sortMode{sortName, sortSize, sortDate} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s_to_%s", from, c.mode), func(t *testing.T) {
				l := lsLoaded(10, lsSample...)
				lsSetSort(t, l, from)
				l.selectKey("clip.mp4", 10)
				lsSetSort(t, l, c.mode)
				if got := lsNames(l); !slices.Equal(got, c.want) {
					t.Fatalf("rows %v, want %v", got, c.want)
				}
				if l.sort != c.mode || l.cursor != c.cursor || l.selectedKey() != "clip.mp4" {
					t.Fatalf("sort %v cursor %d on %q, want %v and %d on clip.mp4", l.sort, l.cursor, l.selectedKey(), c.mode, c.cursor)
				}
				if i := l.indexOfKey("b.txt"); i != slices.Index(c.want, "b.txt") {
					t.Fatalf("indexOfKey(b.txt) = %d after the sort", i)
				}
			})
		}
	}
}

// lsSetSort sorts as the browser does for a small list: by name in place,
// otherwise with sortObjects.
func lsSetSort(t *testing.T, l *listing, s sortMode) {
	t.Helper()
	l.setSort(s, 10)
	if s != sortName && !l.installSorted(len(l.entries), sortObjects(s, l.entries), 10) {
		t.Fatal("installSorted refused a current sort")
	}
}

func TestListingStaleSortRefused(t *testing.T) {
	l := &listing{}
	l.addPage(aws.Page{Entries: lsSample[:3], NextToken: "t1"}, "")
	l.rebuildRows(10)
	l.setSort(sortSize, 10)
	n, objs := len(l.entries), sortObjects(sortSize, l.entries)
	l.addPage(aws.Page{Entries: lsSample[3:]}, "") // arrives while sorting
	ver := l.orderVer
	if l.installSorted(n, objs, 10) || l.orderVer != ver {
		t.Fatal("a sort of fewer entries than loaded was installed")
	}
	if !l.installSorted(len(l.entries), sortObjects(sortSize, l.entries), 10) {
		t.Fatal("the sort again was refused")
	}
	l.rebuildRows(10)
	if got := lsNames(l); !slices.Equal(got, []string{"a/", "z/", "b.txt", "Clap.MOV", "clip.mp4", "e.bin"}) {
		t.Fatalf("rows %v", got)
	}
}

func TestListingFilter(t *testing.T) {
	all := []string{"a/", "z/", "Clap.MOV", "b.txt", "clip.mp4", "e.bin"}
	cases := []struct {
		pattern  string
		want     []string
		selected string // after the filter is cleared again
	}{
		{"cl", []string{"Clap.MOV", "clip.mp4"}, "Clap.MOV"},
		{"CL", []string{"Clap.MOV", "clip.mp4"}, "Clap.MOV"},
		{"ip4", []string{"clip.mp4"}, "clip.mp4"},
		{"bn", []string{"e.bin"}, "e.bin"},
		{"/", []string{"a/", "z/"}, "a/"},
		{"xyz", []string{}, "a/"}, // nothing was under the cursor: back at the top
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			l := lsLoaded(4, lsSample...)
			l.move(5, 4) // e.bin
			l.setPattern(c.pattern, 3)
			if got := lsNames(l); !slices.Equal(got, all) || l.selectedKey() != "e.bin" {
				t.Fatalf("rows changed before the result: %v on %q", got, l.selectedKey())
			}
			refs, err := matchRefs(context.Background(), l.pattern, l.entries, l.candidates(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !l.setResults(c.pattern, l.orderVer, refs, 3) {
				t.Fatal("a current result was refused")
			}
			if got := lsNames(l); !slices.Equal(got, c.want) {
				t.Fatalf("rows %v, want %v", got, c.want)
			}
			if l.cursor != 0 || l.offset != 0 {
				t.Fatalf("cursor %d offset %d, want a new filter to start at its first match", l.cursor, l.offset)
			}
			l.clearFilter(4)
			if got := lsNames(l); !slices.Equal(got, all) || l.pattern != "" || l.selectedKey() != c.selected {
				t.Fatalf("cleared: rows %v pattern %q on %q, want all rows on %q", got, l.pattern, l.selectedKey(), c.selected)
			}
		})
	}
}

func TestListingFilterNarrowsAndDropsStale(t *testing.T) {
	l := lsLoaded(10, lsSample...)
	l.setPattern("c", 10)
	refs, _ := matchRefs(context.Background(), "c", l.entries, l.candidates(), 0)
	l.setResults("c", l.orderVer, refs, 10)
	if got := lsNames(l); !slices.Equal(got, []string{"Clap.MOV", "clip.mp4"}) {
		t.Fatalf("c: %v", got)
	}
	l.setPattern("cl", 10)
	if got := l.candidates(); !slices.Equal(got, refs) {
		t.Fatalf("a grown pattern searches %v, want the last result %v", got, refs)
	}
	l.setPattern("b", 10)
	if got := l.candidates(); !slices.Equal(got, l.order) {
		t.Fatalf("a new pattern searches %v, want everything %v", got, l.order)
	}
	// A result computed against an order that changed since is refused.
	ver := l.orderVer
	l.addPage(aws.Page{Entries: []aws.Entry{lsObj("zz.bin", 1, 0, "")}}, "")
	if l.setResults("b", ver, []int32{2}, 10) {
		t.Fatal("a result for an older order was installed")
	}
	if got := lsNames(l); !slices.Equal(got, []string{"Clap.MOV", "clip.mp4"}) {
		t.Fatalf("rows %v after a refused result", got)
	}
	// A new order forgets the result to narrow from.
	l.setPattern("bi", 10)
	refs, _ = matchRefs(context.Background(), "bi", l.entries, l.candidates(), 0)
	l.setResults("bi", l.orderVer, refs, 10)
	l.setSort(sortName, 10)
	l.setPattern("bin", 10)
	if got := l.candidates(); !slices.Equal(got, l.order) {
		t.Fatalf("after a re-sort a grown pattern searches %v, want everything", got)
	}
}

func TestListingFound(t *testing.T) {
	l := &listing{}
	l.addPage(aws.Page{Entries: []aws.Entry{lsObj("p/a1", 1, 0, ""), lsObj("p/a2", 1, 0, "")}, NextToken: "t"}, "")
	l.rebuildRows(10)
	l.setPattern("b", 10)
	refs, _ := matchRefs(context.Background(), "b", l.entries, l.candidates(), len("p/"))
	l.setResults("b", l.orderVer, refs, 10)
	if got := lsNames(l); len(got) != 0 {
		t.Fatalf("loaded matches %v, want none", got)
	}
	// The server finds keys past the loaded ones; only those that match show,
	// and keys not past the loaded ones or outside the prefix are ignored.
	l.setFound([]aws.Entry{lsObj("p/a0b", 1, 0, ""), lsObj("p/b1", 1, 0, ""), lsObj("p/b2", 1, 0, "GLACIER"), lsObj("p/c", 1, 0, ""), lsObj("q/b", 1, 0, "")}, "p/", 10)
	if got := lsNames(l); !slices.Equal(got, []string{"p/b1", "p/b2"}) {
		t.Fatalf("found rows %v", got)
	}
	l.move(1, 10)
	if !l.toggleMark() || l.marked != 1 || !slices.Equal(l.targets(), []string{"p/b2"}) {
		t.Fatalf("marking a found entry: marked %d targets %v", l.marked, l.targets())
	}
	if e := l.current(); l.className(e.class) != "GLACIER" {
		t.Fatalf("found entry class %q", l.className(e.class))
	}
	// Once p/b1 is loaded it no longer shows as found.
	l.addPage(aws.Page{Entries: []aws.Entry{lsObj("p/b1", 1, 0, "")}, NextToken: "t2"}, "")
	refs, _ = matchRefs(context.Background(), "b", l.entries, l.candidates(), len("p/"))
	l.setResults("b", l.orderVer, refs, 10)
	if got := lsNames(l); !slices.Equal(got, []string{"p/b1", "p/b2"}) || l.rows[0] < 0 || l.rows[1] >= 0 {
		t.Fatalf("rows %v (refs %v), want p/b1 loaded and p/b2 found", got, l.rows)
	}
	// A new filter forgets what was found, with its marks.
	l.setPattern("a", 10)
	if l.found != nil || l.marked != 0 || l.targets() != nil {
		t.Fatalf("after a new filter: found %d marked %d", len(l.found), l.marked)
	}
}

func TestListingMarks(t *testing.T) {
	// Rows: a/ z/ Clap.MOV b.txt clip.mp4 e.bin
	cases := []struct {
		name     string
		toggle   []int // rows to toggle, in order
		at       int   // where the cursor ends
		toggled  []bool
		marked   int
		targets  []string
		markRows []string
	}{
		{"folder", []int{0}, 0, []bool{false}, 0, nil, nil},
		{"none: the object under the cursor", nil, 3, nil, 0, []string{"b.txt"}, nil},
		{"none on a folder", nil, 1, nil, 0, nil, nil},
		{"marks in loaded order", []int{4, 2}, 1, []bool{true, true}, 2, []string{"Clap.MOV", "clip.mp4"}, []string{"Clap.MOV", "clip.mp4"}},
		{"toggled twice is clear", []int{3, 3}, 5, []bool{true, true}, 0, []string{"e.bin"}, nil},
		{"clear one of two", []int{2, 5, 2}, 0, []bool{true, true, true}, 1, []string{"e.bin"}, []string{"e.bin"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := lsLoaded(10, lsSample...)
			var toggled []bool
			for _, i := range c.toggle {
				l.move(i-l.cursor, 10)
				toggled = append(toggled, l.toggleMark())
			}
			l.move(c.at-l.cursor, 10)
			var marks []string
			for _, r := range l.rows {
				if e := l.at(r); e.flags&flagMarked != 0 {
					marks = append(marks, e.key)
				}
			}
			if !slices.Equal(toggled, c.toggled) || l.marked != c.marked ||
				!slices.Equal(l.targets(), c.targets) || !slices.Equal(marks, c.markRows) {
				t.Fatalf("toggled %v marked %d targets %v marks %v, want %v %d %v %v",
					toggled, l.marked, l.targets(), marks, c.toggled, c.marked, c.targets, c.markRows)
			}
		})
	}
}

func TestListingCursor(t *testing.T) {
	cases := []struct {
		name                 string
		n, h                 int
		cursor, offset, move int
		wantCursor, wantOff  int
	}{
		{"down on screen", 10, 4, 0, 0, 1, 1, 0},
		{"down off the bottom scrolls", 10, 4, 3, 0, 1, 4, 1},
		{"up on screen", 10, 4, 4, 2, -1, 3, 2},
		{"up off the top scrolls", 10, 4, 2, 2, -1, 1, 1},
		{"up at the top stays", 10, 4, 0, 0, -1, 0, 0},
		{"down at the bottom stays", 10, 4, 9, 6, 1, 9, 6},
		{"page down stops at the end", 10, 4, 8, 5, 4, 9, 6},
		{"page up stops at the start", 10, 4, 2, 1, -4, 0, 0},
		{"top", 10, 4, 9, 6, -10, 0, 0},
		{"bottom", 10, 4, 0, 0, 10, 9, 6},
		{"fewer rows than the screen", 3, 10, 0, 0, 5, 2, 0},
		{"empty", 0, 4, 0, 0, 1, 0, 0},
		{"height one", 10, 1, 4, 4, 1, 5, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := make([]aws.Entry, c.n)
			for i := range es {
				es[i] = lsObj(fmt.Sprintf("k%02d", i), 1, 0, "")
			}
			l := lsLoaded(c.h, es...)
			l.cursor, l.offset = c.cursor, c.offset
			l.move(c.move, c.h)
			if l.cursor != c.wantCursor || l.offset != c.wantOff {
				t.Fatalf("cursor %d offset %d, want %d %d", l.cursor, l.offset, c.wantCursor, c.wantOff)
			}
		})
	}
}

func TestListingScrollOnResize(t *testing.T) {
	es := make([]aws.Entry, 10)
	for i := range es {
		es[i] = lsObj(fmt.Sprintf("k%02d", i), 1, 0, "")
	}
	l := lsLoaded(4, es...)
	l.move(9, 4) // the last row: offset 6
	for _, c := range []struct{ h, off int }{{8, 2}, {20, 0}, {2, 8}, {1, 9}} {
		l.scrollToCursor(c.h)
		if l.cursor != 9 || l.offset != c.off {
			t.Fatalf("height %d: cursor %d offset %d, want 9 %d", c.h, l.cursor, l.offset, c.off)
		}
	}
}

func TestListingSelectKey(t *testing.T) {
	es := make([]aws.Entry, 100)
	for i := range es {
		es[i] = lsObj(fmt.Sprintf("k%03d", i), 1, 0, "")
	}
	cases := []struct {
		key            string
		ok             bool
		cursor, offset int
	}{
		{"k050", true, 50, 45}, // in the middle of the screen
		{"k003", true, 3, 0},
		{"k099", true, 99, 90}, // no half-empty screen at the end
		{"k100", false, 7, 0},  // not loaded: the cursor stays
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			l := lsLoaded(10, es...)
			l.move(7, 10)
			if ok := l.selectKey(c.key, 10); ok != c.ok || l.cursor != c.cursor || l.offset != c.offset {
				t.Fatalf("selectKey = %v cursor %d offset %d, want %v %d %d", ok, l.cursor, l.offset, c.ok, c.cursor, c.offset)
			}
		})
	}
}

func TestListingReset(t *testing.T) {
	l := lsLoaded(10, lsSample...)
	lsSetSort(t, l, sortDate)
	l.move(3, 10)
	l.toggleMark()
	l.setPattern("c", 10)
	ver := l.orderVer
	l.reset()
	if l.sort != sortDate || l.orderVer <= ver {
		t.Fatalf("reset lost the sort (%v) or reused an order version (%d, was %d)", l.sort, l.orderVer, ver)
	}
	if l.entries != nil || l.rows != nil || l.pattern != "" || l.marked != 0 || l.cursor != 0 || l.complete || l.lastKey != "" {
		t.Fatalf("reset kept state: %+v", *l)
	}
}

func TestMatchRefs(t *testing.T) {
	ents := []entry{{key: "photos/a.jpg"}, {key: "photos/Holiday.PNG"}, {key: "photos/ümlaut.jpg"}}
	cands := []int32{0, 1, 2}
	cases := []struct {
		pattern string
		cut     int
		want    []int32
	}{
		{"ph", 0, []int32{1, 0, 2}},       // all prefixes: in name (byte) order, as S3 lists
		{"ph", len("photos/"), []int32{}}, // the folder's own prefix is not matched
		{"hpng", len("photos/"), []int32{1}},
		{"ü", len("photos/"), []int32{2}},
		{"jpg", len("photos/"), []int32{0, 2}},
	}
	for _, c := range cases {
		got, err := matchRefs(context.Background(), c.pattern, ents, cands, c.cut)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q cut %d: %v %v, want %v", c.pattern, c.cut, got, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := matchRefs(ctx, "ph", ents, cands, 0); err == nil || got != nil {
		t.Fatalf("a cancelled match returned %v, %v", got, err)
	}
}

func TestMatchRefsRanksByMatch(t *testing.T) {
	names := []string{
		"a-f05.txt", "f00005.txt", "f00015.txt", "f05", "f05.txt", "f050.txt", "f05/",
		"myF05.txt", "xf05.txt", "zF05-b.txt", "F05", "b/", "F0.5",
	}
	ents := make([]entry, len(names))
	cands := make([]int32, len(names))
	for i, n := range names {
		ents[i] = entry{key: "p/" + n}
		cands[i] = int32(i)
	}
	refs, err := matchRefs(context.Background(), "f05", ents, cands, len("p/"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, names[r])
	}
	want := []string{
		"F05", "f05", "f05/", // whole name (a folder's without its "/"), then name order
		"f05.txt", "f050.txt", // prefix
		"a-f05.txt", "myF05.txt", "zF05-b.txt", // word start: after a separator, or camelCase
		"xf05.txt",                         // substring
		"F0.5", "f00005.txt", "f00015.txt", // fuzzy
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ranked\n%q\nwant\n%q", got, want)
	}
}

// TestListingFilterRanksFound: server-side matches are ranked with the
// loaded ones, as one list: a found whole-name match comes before a loaded
// substring match.
func TestListingFilterRanksFound(t *testing.T) {
	l := &listing{}
	l.addPage(aws.Page{Entries: []aws.Entry{lsObj("p/a", 1, 0, ""), lsObj("p/a-b1", 1, 0, ""), lsObj("p/ab1", 1, 0, "")}, NextToken: "t"}, "p/")
	l.setPattern("b1", 10)
	refs, _ := matchRefs(context.Background(), "b1", l.entries, l.candidates(), len("p/"))
	l.setResults("b1", l.orderVer, refs, 10)
	if got := lsNames(l); !slices.Equal(got, []string{"p/a-b1", "p/ab1"}) {
		t.Fatalf("loaded rows %v", got)
	}
	l.setFound([]aws.Entry{lsObj("p/b01", 1, 0, ""), lsObj("p/b1", 1, 0, ""), lsObj("p/b1x", 1, 0, "")}, "p/", 10)
	if got, want := lsNames(l), []string{"p/b1", "p/b1x", "p/a-b1", "p/ab1", "p/b01"}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

// TestBrowserFilterRanked: typing /f05 in the browser lists names starting
// with f05 before names that only hold its letters in order, at every key
// (the narrowed searches too).
func TestBrowserFilterRanked(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, "f00005.txt", "f00015.txt", "f05.txt", "f050.txt", "x-f05.txt", "xf05.txt"), "media")
	bb.press("/", "f0")
	if got := bb.names(); !slices.Equal(got, []string{"f00005.txt", "f00015.txt", "f05.txt", "f050.txt", "x-f05.txt", "xf05.txt"}) {
		t.Fatalf("/f0 rows %v", got)
	}
	bb.press("5")
	want := []string{"f05.txt", "f050.txt", "x-f05.txt", "xf05.txt", "f00005.txt", "f00015.txt"}
	if got := bb.names(); !slices.Equal(got, want) {
		t.Fatalf("/f05 rows %v, want %v", got, want)
	}
	if bb.selected() != "f05.txt" {
		t.Fatalf("cursor on %q, want the best match", bb.selected())
	}
}
