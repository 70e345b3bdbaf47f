package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cfsign/cfsign/aws"
	"github.com/sahilm/fuzzy"
)

// entryFlags describe an entry; a bit set keeps entry small.
type entryFlags uint8

const (
	flagFolder entryFlags = 1 << iota
	flagBucket
	flagMarked
)

// entry is one loaded row. It is kept compact (40 bytes plus the key's bytes)
// because a folder may hold millions of objects.
type entry struct {
	key   string // full key (folders end in "/"), or a bucket's name
	size  int64
	mtime int64 // Unix seconds; 0 when unknown
	class uint8 // index into listing.classes
	flags entryFlags
}

func (e *entry) folder() bool { return e.flags&(flagFolder|flagBucket) != 0 }

// sortMode orders objects; folders always come first, by name.
type sortMode uint8

const (
	sortName sortMode = iota
	sortSize          // largest first
	sortDate          // newest first
)

func (s sortMode) String() string {
	return [...]string{"name", "size", "date"}[s]
}

const filterChunk = 1 << 15 // entries fuzzy-matched between cancellation checks

// listing is what the browser knows of one location: the loaded entries and
// their paging, the display order for the sort mode, the filter's rows, the
// marks and the cursor. It is plain state that does no I/O: the browser view
// lists, sorts and matches in commands and installs the results here.
//
// Methods that may change the rows or move the cursor take h, the number of
// rows on screen, and scroll to keep the cursor in view. Moving and marking
// are O(1); installing a page, an order or a result, and finding a key, are
// linear, so the view does them only when one arrives.
type listing struct {
	entries []entry
	classes []string // storage classes, interned; 0 is ""
	// order is the display order as indexes into entries: folders first, then
	// objects in sort order. It is copy-on-write except for appends, so a
	// command may keep reading an older order[:n].
	order    []int32
	orderVer int // bumped on every change of order, so stale matches are dropped
	nFolders int
	sort     sortMode

	lastKey  string // the greatest key loaded
	token    string // where the next page starts; "" when none is known
	complete bool   // every page is loaded

	rows           []int32 // what is shown: order, or the filter's matches (negative: found[-r-1])
	cursor, offset int

	pattern      string  // the filter in force
	shownPattern string  // the filter the rows shown were computed for
	results      []int32 // the loaded entries matching pattern; nil until they are known
	found        []entry // server-side prefix matches not yet loaded
	foundRefs    []int32
	cut          int      // the folder's prefix length: an entry's name is key[cut:]
	narrow       struct { // the last complete filter result, to narrow from
		pattern  string
		orderVer int
		refs     []int32
	}

	marked     int   // entries and found entries with flagMarked
	markedSize int64 // their total size
}

// reset forgets everything but the sort mode. orderVer keeps counting, so a
// match computed before the reset is never installed after it.
func (l *listing) reset() {
	*l = listing{sort: l.sort, orderVer: l.orderVer + 1}
}

// addPage appends a page of the listing of folder prefix and remembers where
// the next one starts. The rows shown change only at the next rebuildRows.
func (l *listing) addPage(p aws.Page, prefix string) {
	l.add(withoutMarker(p.Entries, prefix), 0)
	l.token = p.NextToken
	l.complete = l.token == ""
}

// addBuckets loads the bucket list, which comes in one piece.
func (l *listing) addBuckets(bs []aws.Bucket) {
	es := make([]aws.Entry, len(bs))
	for i, bk := range bs {
		es[i] = aws.Entry{Key: bk.Name, LastModified: bk.Created}
	}
	l.add(es, flagBucket)
	l.complete = true
}

// add appends entries: folders go after the folders already loaded (a copy,
// so commands reading the old order are undisturbed), objects at the end. S3
// lists keys in order, so by name the result stays sorted.
func (l *listing) add(es []aws.Entry, extra entryFlags) {
	var folders, objects []int32
	for _, e := range es {
		en := l.toEntry(e)
		en.flags |= extra
		ref := int32(len(l.entries))
		l.entries = append(l.entries, en)
		if en.folder() {
			folders = append(folders, ref)
		} else {
			objects = append(objects, ref)
		}
		if e.Key > l.lastKey {
			l.lastKey = e.Key
		}
	}
	if len(folders) > 0 {
		order := make([]int32, 0, len(l.order)+len(folders)+len(objects))
		order = append(order, l.order[:l.nFolders]...)
		order = append(order, folders...)
		order = append(order, l.order[l.nFolders:]...)
		l.order = order
		l.nFolders += len(folders)
	}
	l.order = append(l.order, objects...)
	l.orderVer++
	// Found entries now loaded are shown from the loaded ones.
	if len(l.found) > 0 {
		l.foundRefs = slices.DeleteFunc(slices.Clone(l.foundRefs), func(r int32) bool {
			return l.found[-r-1].key <= l.lastKey
		})
	}
}

func (l *listing) toEntry(e aws.Entry) entry {
	out := entry{key: e.Key, size: e.Size, class: l.classIndex(e.StorageClass)}
	if !e.LastModified.IsZero() {
		out.mtime = e.LastModified.Unix()
	}
	if e.Folder {
		out.flags |= flagFolder
	}
	return out
}

// classIndex interns a storage class; past 255 classes, new ones show as "".
func (l *listing) classIndex(c string) uint8 {
	if l.classes == nil {
		l.classes = []string{""}
	}
	for i, s := range l.classes {
		if s == c {
			return uint8(i)
		}
	}
	if len(l.classes) >= 255 {
		return 0
	}
	l.classes = append(l.classes, c)
	return uint8(len(l.classes) - 1)
}

func (l *listing) className(i uint8) string {
	if int(i) < len(l.classes) {
		return l.classes[i]
	}
	return ""
}

// morePages reports whether a further page can be asked for.
func (l *listing) morePages() bool { return !l.complete && l.token != "" }

// rebuildRows recomputes what is shown after the order or the filter changed.
func (l *listing) rebuildRows(h int) {
	keep := l.currentRef()
	switch {
	case l.pattern == "":
		l.rows = l.order
	case l.results == nil && l.foundRefs == nil:
		return // the first result is on its way: keep showing what was there
	default:
		l.rows = mergeRanked(l.pattern, l.results, l.foundRefs, l.name)
	}
	if l.pattern != l.shownPattern {
		// A new filter: start at its first match.
		l.shownPattern = l.pattern
		l.cursor, l.offset = 0, 0
		if l.pattern == "" && keep != nil {
			// Back from a filter: stay on the entry it found.
			l.cursor = max(slices.Index(l.rows, *keep), 0)
		}
	} else if keep != nil && (l.cursor >= len(l.rows) || l.rows[l.cursor] != *keep) {
		// Same filter, more rows: stay on the same entry (once per result).
		if i := slices.Index(l.rows, *keep); i >= 0 {
			l.cursor = i
		}
	}
	l.clamp(h)
}

// setSort changes the sort mode. By name the order is rebuilt here, in
// linear time; by size or date the caller computes it with sortObjects, in a
// command when the list is big, and installs it with installSorted.
func (l *listing) setSort(s sortMode, h int) {
	l.sort = s
	if s != sortName {
		return
	}
	order := make([]int32, 0, len(l.order))
	for i := range l.entries {
		if l.entries[i].folder() {
			order = append(order, int32(i))
		}
	}
	for i := range l.entries {
		if !l.entries[i].folder() {
			order = append(order, int32(i))
		}
	}
	l.installOrder(order, h)
}

// sortObjects returns the indexes of the objects in ents, largest first for
// sortSize and newest first otherwise; ties keep the loaded (name) order. It
// only reads ents, so a command may run it on the slice it was given.
func sortObjects(mode sortMode, ents []entry) []int32 {
	objs := make([]int32, 0, len(ents))
	for i := range ents {
		if !ents[i].folder() {
			objs = append(objs, int32(i))
		}
	}
	slices.SortStableFunc(objs, func(x, y int32) int {
		a, b := &ents[x], &ents[y]
		if mode == sortSize {
			return cmp.Compare(b.size, a.size)
		}
		return cmp.Compare(b.mtime, a.mtime)
	})
	return objs
}

// installSorted installs objects, sorted from the first n entries, after the
// folders. It refuses (false) when entries were added since: sort again.
func (l *listing) installSorted(n int, objects []int32, h int) bool {
	if n != len(l.entries) {
		return false
	}
	order := make([]int32, 0, l.nFolders+len(objects))
	order = append(append(order, l.order[:l.nFolders]...), objects...)
	l.installOrder(order, h)
	return true
}

// installOrder swaps in a new order, keeping the cursor on the same entry.
func (l *listing) installOrder(order []int32, h int) {
	keep := l.currentRef()
	l.order = order
	l.orderVer++
	l.narrow.refs = nil
	l.rebuildRows(h)
	if keep != nil && l.pattern == "" {
		if i := slices.Index(l.rows, *keep); i >= 0 {
			l.cursor = i
			l.clamp(h)
		}
	}
}

// setPattern puts a new filter in force and forgets the server-side matches
// of the last one. The rows shown stay until setResults, except that an empty
// pattern shows everything at once; h is the height once p is in force.
func (l *listing) setPattern(p string, h int) {
	l.pattern = p
	l.dropFound()
	if p == "" {
		l.results = nil
		l.rebuildRows(h)
	}
}

// clearFilter removes the filter and what it found; h is the height without it.
func (l *listing) clearFilter(h int) {
	l.narrow.refs = nil
	l.setPattern("", h)
}

// candidates are what a match for the pattern must search: the last complete
// result when the pattern only grew since, else every loaded entry in order.
func (l *listing) candidates() []int32 {
	if n := l.narrow; n.refs != nil && n.orderVer == l.orderVer &&
		n.pattern != "" && strings.HasPrefix(l.pattern, n.pattern) {
		return n.refs
	}
	return l.order
}

// setResults installs the matches of pattern among the loaded entries,
// computed against order version ver. It refuses (false) a result for an
// order that has changed since.
func (l *listing) setResults(pattern string, ver int, refs []int32, h int) bool {
	if ver != l.orderVer {
		return false
	}
	l.results = refs
	l.narrow.pattern, l.narrow.orderVer, l.narrow.refs = pattern, ver, refs
	l.rebuildRows(h)
	return true
}

// setFound installs what a server-side search under prefix found: the entries
// past the loaded ones, shown after the loaded matches when they match the
// pattern too.
func (l *listing) setFound(es []aws.Entry, prefix string, h int) {
	l.dropFound()
	var found []entry
	for _, e := range es {
		if e.Key > l.lastKey && strings.HasPrefix(e.Key, prefix) && !isMarker(e, prefix) {
			found = append(found, l.toEntry(e))
		}
	}
	l.found, l.cut = found, len(prefix)
	names := make([]string, len(found))
	for i := range found {
		names[i] = found[i].key[len(prefix):]
	}
	for _, m := range fuzzy.FindNoSort(l.pattern, names) {
		l.foundRefs = append(l.foundRefs, int32(-m.Index-1))
	}
	rankRefs(l.pattern, l.foundRefs, l.name)
	l.rebuildRows(h)
}

// name is what the filter matches for a row: an entry's key, or a found
// entry's (r < 0), without the folder's prefix.
func (l *listing) name(r int32) string {
	if r < 0 {
		return l.found[-r-1].key[l.cut:]
	}
	return l.entries[r].key[l.cut:]
}

// mergeRanked merges two lists ranked by rankRefs into one ranked list. The
// found list is a page at most, the loaded one can be a million names: each
// found ref is placed by binary search, so few names are ranked again.
func mergeRanked(pattern string, loaded, found []int32, name func(int32) string) []int32 {
	if len(found) == 0 {
		return loaded
	}
	lower := strings.ToLower(pattern)
	type key struct {
		rank int
		name string
	}
	keyOf := func(r int32) key { n := name(r); return key{matchRank(lower, n), n} }
	less := func(a, b key) bool { return a.rank < b.rank || a.rank == b.rank && a.name < b.name }
	out := make([]int32, 0, len(loaded)+len(found))
	rest := loaded
	for _, f := range found {
		k := keyOf(f)
		i, _ := slices.BinarySearchFunc(rest, k, func(r int32, k key) int {
			if less(keyOf(r), k) {
				return -1
			}
			return 1
		})
		out = append(append(out, rest[:i]...), f)
		rest = rest[i:]
	}
	return append(out, rest...)
}

// isMarker reports whether e is the folder's own marker: the zero-byte
// "docs/" object that n and the S3 console make for an empty folder. Inside
// docs/ it is the folder itself, not a row in it, and the console hides it
// too.
func isMarker(e aws.Entry, prefix string) bool {
	return prefix != "" && !e.Folder && e.Key == prefix
}

// withoutMarker is es without prefix's marker object.
func withoutMarker(es []aws.Entry, prefix string) []aws.Entry {
	return slices.DeleteFunc(es, func(e aws.Entry) bool { return isMarker(e, prefix) })
}

// dropFound forgets the server-side matches of the last filter, with their marks.
func (l *listing) dropFound() {
	for i := range l.found {
		l.setMark(&l.found[i], false)
	}
	l.found, l.foundRefs = nil, nil
}

// matchRefs returns the cands whose names (keys without their first cut
// bytes) pattern fuzzy-matches, best match first (see rankRefs), in chunks so
// a newer filter can cancel it through ctx. sahilm/fuzzy accepts a name when
// the pattern is a case-insensitive subsequence of it; for an ASCII pattern
// that test is done here directly (sahilm also scores every match, about 1-2
// µs a name, 2 s for a million), for any other pattern sahilm decides.
func matchRefs(ctx context.Context, pattern string, ents []entry, cands []int32, cut int) ([]int32, error) {
	refs, err := matchAll(ctx, pattern, ents, cands, cut)
	if err != nil {
		return nil, err
	}
	rankRefs(pattern, refs, func(r int32) string { return ents[r].key[cut:] })
	return refs, nil
}

// How well a name matches a filter, best first.
const (
	matchWhole     = iota // the whole name (a folder's without its "/")
	matchPrefix           // the name starts with it
	matchWordStart        // it starts a word: after a separator, or a lower-to-upper case change
	matchSubstring        // it is in the name
	matchFuzzy            // its characters are in the name, in order
)

// rankRefs orders refs best match first (matchWhole … matchFuzzy), names in
// byte order within a rank. Ranks are computed once per name, and a bucket
// already in name order (the common case: S3 lists by name) is not sorted.
func rankRefs(pattern string, refs []int32, name func(int32) string) {
	if len(refs) < 2 {
		return
	}
	lower := strings.ToLower(pattern)
	// A stable counting sort by rank, then name order inside each rank.
	ranks := make([]uint8, len(refs))
	var start [matchFuzzy + 2]int
	for i, r := range refs {
		k := matchRank(lower, name(r))
		ranks[i] = uint8(k)
		start[k+1]++
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	sorted := make([]int32, len(refs))
	next := start
	for i, r := range refs {
		sorted[next[ranks[i]]] = r
		next[ranks[i]]++
	}
	byName := func(a, b int32) int { return strings.Compare(name(a), name(b)) }
	for k := 0; k <= matchFuzzy; k++ {
		if b := sorted[start[k]:start[k+1]]; !slices.IsSortedFunc(b, byName) {
			slices.SortFunc(b, byName)
		}
	}
	copy(refs, sorted)
}

// matchRank is how name matches lower, a lower-cased pattern it is known to
// fuzzy-match. An ASCII pattern is compared byte by byte, folding ASCII case
// only (the bytes of other characters never equal an ASCII byte), without
// allocating; any other pattern compares lower-cased copies.
func matchRank(lower, name string) int {
	ln := name
	index := indexFoldASCII
	if !isASCII(lower) {
		ln = strings.ToLower(name)
		index = func(s, sub string, from int) int {
			if i := strings.Index(s[from:], sub); i >= 0 {
				return from + i
			}
			return -1
		}
	}
	i := index(ln, lower, 0)
	switch {
	case i < 0:
		return matchFuzzy
	case i == 0 && (len(ln) == len(lower) || len(ln) == len(lower)+1 && ln[len(ln)-1] == '/'):
		return matchWhole
	case i == 0:
		return matchPrefix
	}
	for ; i >= 0; i = index(ln, lower, i+1) {
		if wordStart(name, ln, i) {
			return matchWordStart
		}
	}
	return matchSubstring
}

// indexFoldASCII finds lower (lower-case ASCII) in s at or after from,
// ignoring ASCII case, or -1.
func indexFoldASCII(s, lower string, from int) int {
	if len(lower) == 0 {
		return from
	}
	first := lower[0]
	for i := from; i+len(lower) <= len(s); i++ {
		if foldASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < len(lower) && foldASCII(s[i+j]) == lower[j] {
			j++
		}
		if j == len(lower) {
			return i
		}
	}
	return -1
}

func foldASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// wordStart reports whether byte i of ln (name, or name lower-cased) begins
// a word: it follows a character that is not a letter or digit, or it is an
// upper-case letter after a lower-case one (camelCase).
func wordStart(name, ln string, i int) bool {
	prev, _ := utf8.DecodeLastRuneInString(ln[:i])
	if !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
		return true
	}
	if len(ln) != len(name) {
		return false
	}
	p, _ := utf8.DecodeLastRuneInString(name[:i])
	c, _ := utf8.DecodeRuneInString(name[i:])
	return unicode.IsLower(p) && unicode.IsUpper(c)
}

// matchAll returns the cands that match, in cands' order.
func matchAll(ctx context.Context, pattern string, ents []entry, cands []int32, cut int) ([]int32, error) {
	refs := make([]int32, 0, 64)
	lower := strings.ToLower(pattern)
	ascii := isASCII(lower)
	var names []string
	var idx []int32
	for start := 0; start < len(cands); start += filterChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		names, idx = names[:0], idx[:0]
		for _, r := range cands[start:min(start+filterChunk, len(cands))] {
			name := ents[r].key[cut:]
			switch {
			case !mayMatch(lower, name):
			case ascii:
				refs = append(refs, r)
			default:
				names = append(names, name)
				idx = append(idx, r)
			}
		}
		for _, m := range fuzzy.FindNoSort(pattern, names) {
			refs = append(refs, idx[m.Index])
		}
	}
	return refs, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mayMatch reports whether lower (a lower-cased pattern) can be a fuzzy match
// of s: false only when an ASCII pattern is not a case-insensitive
// subsequence of s's bytes.
func mayMatch(lower, s string) bool {
	j := 0
	for i := 0; i < len(s) && j < len(lower); i++ {
		p := lower[j]
		if p >= 0x80 {
			return true // leave Unicode folding to fuzzy
		}
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == p {
			j++
		}
	}
	return j == len(lower)
}

// at is the entry a row refers to, or nil.
func (l *listing) at(ref int32) *entry {
	if ref < 0 {
		i := int(-ref - 1)
		if i >= len(l.found) {
			return nil
		}
		return &l.found[i]
	}
	if int(ref) >= len(l.entries) {
		return nil
	}
	return &l.entries[ref]
}

// current is the entry under the cursor, or nil.
func (l *listing) current() *entry {
	if l.cursor < 0 || l.cursor >= len(l.rows) {
		return nil
	}
	return l.at(l.rows[l.cursor])
}

func (l *listing) currentRef() *int32 {
	if l.cursor < 0 || l.cursor >= len(l.rows) {
		return nil
	}
	r := l.rows[l.cursor]
	return &r
}

// selectedKey is the key under the cursor, or "".
func (l *listing) selectedKey() string {
	if e := l.current(); e != nil {
		return e.key
	}
	return ""
}

// indexOfKey finds a key among the rows: O(n), only after a page arrives.
func (l *listing) indexOfKey(k string) int {
	for i, r := range l.rows {
		if e := l.at(r); e != nil && e.key == k {
			return i
		}
	}
	return -1
}

// selectKey puts the cursor on key k, near the middle of the screen, when it
// is among the rows.
func (l *listing) selectKey(k string, h int) bool {
	i := l.indexOfKey(k)
	if i < 0 {
		return false
	}
	l.cursor = i
	l.offset = max(0, i-h/2)
	l.clamp(h)
	return true
}

// toggleMark marks or unmarks the object under the cursor; folders and
// buckets cannot be marked.
func (l *listing) toggleMark() bool {
	e := l.current()
	if e == nil || e.folder() {
		return false
	}
	l.setMark(e, e.flags&flagMarked == 0)
	return true
}

// setMark marks or unmarks one object, keeping the count and size.
func (l *listing) setMark(e *entry, on bool) {
	if e.folder() || (e.flags&flagMarked != 0) == on {
		return
	}
	e.flags ^= flagMarked
	if on {
		l.marked++
		l.markedSize += max(e.size, 0)
	} else {
		l.marked--
		l.markedSize -= max(e.size, 0)
	}
}

// markOp is what markRows does to each object shown.
type markOp int

const (
	markAll markOp = iota
	markInvert
)

// markRows marks every object among the rows shown (with a filter, its
// matches), or inverts their marks; folders are never marked. Linear in
// the rows, once per key press.
func (l *listing) markRows(op markOp) {
	for _, r := range l.rows {
		if e := l.at(r); e != nil {
			l.setMark(e, op == markAll || e.flags&flagMarked == 0)
		}
	}
}

// clearMarks unmarks everything, shown or not.
func (l *listing) clearMarks() {
	for i := range l.entries {
		l.setMark(&l.entries[i], false)
	}
	for i := range l.found {
		l.setMark(&l.found[i], false)
	}
}

// targets are the marked objects, or else the object under the cursor.
func (l *listing) targets() []string {
	if l.marked > 0 {
		keys := make([]string, 0, l.marked)
		for i := range l.entries {
			if l.entries[i].flags&flagMarked != 0 {
				keys = append(keys, l.entries[i].key)
			}
		}
		for i := range l.found {
			if l.found[i].flags&flagMarked != 0 {
				keys = append(keys, l.found[i].key)
			}
		}
		return keys
	}
	if e := l.current(); e != nil && !e.folder() {
		return []string{e.key}
	}
	return nil
}

// move moves the cursor by d rows, stopping at the ends.
func (l *listing) move(d, h int) {
	l.cursor += d
	l.clamp(h)
}

// clamp keeps the cursor on a row and the row on screen.
func (l *listing) clamp(h int) {
	l.cursor = min(l.cursor, len(l.rows)-1)
	l.cursor = max(l.cursor, 0)
	l.scrollToCursor(h)
}

// scrollToCursor moves the first row shown so the cursor is among the h rows
// shown, and no screen is left part empty when more rows are above.
func (l *listing) scrollToCursor(h int) {
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+h {
		l.offset = l.cursor - h + 1
	}
	l.offset = max(0, min(l.offset, len(l.rows)-h))
}
