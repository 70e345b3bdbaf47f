package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Edit is one change to the config file: Key set to Value, at the top
// level or, when Bucket is set, in that bucket's [buckets.NAME] section;
// with Remove, the key is taken out instead.
type Edit struct {
	Bucket string
	Key    string
	Value  string
	Remove bool
}

// String names the setting an edit changes, for messages.
func (e Edit) String() string {
	if e.Bucket != "" {
		return fmt.Sprintf("%s in [buckets.%s]", e.Key, tomlKey(e.Bucket))
	}
	return e.Key
}

// header starts a config file cfsign creates.
const header = "# cfsign settings: see `cfsign --help` and docs/config.md.\n"

// Apply makes edits to the config file at path and nothing else: every
// other key, section, comment and blank line stays as the user wrote it. A
// missing file is created. The result is read back before it is written
// (atomically, 0600): an edit that cannot be made exactly (a key inside an
// inline table, say) is refused with the file left as it was.
func Apply(path string, edits ...Edit) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = []byte(header), nil
	}
	if err != nil {
		return fmt.Errorf("read config %s: %w", path, err)
	}
	for _, e := range edits {
		if data, err = applyEdit(data, e); err != nil {
			return fmt.Errorf("save %s to %s: %w", e, path, err)
		}
	}
	var got Settings
	if got, err = decode(data, path); err != nil {
		return fmt.Errorf("save config %s: the edited file would not load (%v); it is left as it was", path, err)
	}
	for _, e := range edits {
		if v := valueOf(got, e.Bucket, e.Key); v != e.Value && !(e.Remove && v == "") {
			return fmt.Errorf("save %s to %s: the edit did not take; edit the file by hand", e, path)
		}
	}
	return writeFile(path, data)
}

// valueOf is the value of a string setting in s ("" when unset).
func valueOf(s Settings, bucket, key string) string {
	if bucket != "" {
		b := s.Buckets[bucket]
		switch key {
		case "domain":
			return b.Domain
		case "origin_path":
			return b.OriginPath
		case "key_pair_id":
			return b.KeyPairID
		case "private_key":
			return b.PrivateKey
		}
		return ""
	}
	for _, f := range stringFields(&s) {
		if f.key == key {
			return *f.ptr
		}
	}
	return ""
}

// stringFields are the string settings of s by config key.
func stringFields(s *Settings) []struct {
	key string
	ptr *string
} {
	return []struct {
		key string
		ptr *string
	}{
		{"profile", &s.Profile}, {"region", &s.Region}, {"endpoint_url", &s.EndpointURL}, {"bucket", &s.Bucket},
		{"domain", &s.Domain}, {"origin_path", &s.OriginPath}, {"key_pair_id", &s.KeyPairID},
		{"private_key", &s.PrivateKey}, {"default_expiry", &s.DefaultExpiry}, {"hash", &s.Hash},
	}
}

// layout is where things are in a config file, as found by the parser.
type layout struct {
	keyval      [2]int // the edited key's `key = value` (offsets), when found
	value       [2]int // its value
	found       bool
	inline      bool // the key lives in an inline table: not editable in place
	tableFound  bool // the edited key's table has a [header]
	tableEnd    int  // where to append a line to that table
	topEnd      int  // where to append a line to the top level
	firstHeader int  // offset of the first [table] header, or -1
}

// locate finds the key of e in data.
func locate(data []byte, e Edit) (layout, error) {
	want := []string{e.Key}
	if e.Bucket != "" {
		want = []string{"buckets", e.Bucket, e.Key}
	}
	table := want[:len(want)-1]
	l := layout{firstHeader: -1}
	p := unstable.Parser{}
	p.Reset(data)
	var cur []string // the current table's path
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			cur = keyPath(n.Key())
			start := headerStart(data, n)
			if l.firstHeader < 0 {
				l.firstHeader = start
			}
			if slices.Equal(cur, table) && n.Kind == unstable.Table {
				l.tableFound, l.tableEnd = true, lineEnd(data, start)
			}
		case unstable.KeyValue:
			full := append(slices.Clone(cur), keyPath(n.Key())...)
			end := lineEnd(data, int(n.Raw.Offset+n.Raw.Length))
			if len(cur) == 0 {
				l.topEnd = end
			}
			if slices.Equal(cur, table) {
				l.tableEnd = end
			}
			switch {
			case slices.Equal(full, want):
				l.found = true
				l.keyval = [2]int{int(n.Raw.Offset), int(n.Raw.Offset + n.Raw.Length)}
				v := n.Value().Raw
				l.value = [2]int{int(v.Offset), int(v.Offset + v.Length)}
			case len(full) < len(want) && slices.Equal(full, want[:len(full)]):
				l.inline = true // e.g. buckets = { media = { domain = "..." } }
			}
		}
	}
	if err := p.Error(); err != nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) {
			return l, fmt.Errorf("the file does not parse: %s", pe.Message)
		}
		return l, fmt.Errorf("the file does not parse: %v", err)
	}
	return l, nil
}

// applyEdit makes one edit to data.
func applyEdit(data []byte, e Edit) ([]byte, error) {
	l, err := locate(data, e)
	if err != nil {
		return nil, err
	}
	if l.inline {
		return nil, errors.New("it is set inside an inline table, which cfsign does not rewrite; edit the file by hand")
	}
	line := tomlKey(e.Key) + " = " + tomlString(e.Value)
	switch {
	case e.Remove && !l.found:
		return data, nil
	case e.Remove:
		start, end := lineStart(data, l.keyval[0]), lineEnd(data, l.keyval[1])
		return splice(data, start, end, ""), nil
	case l.found && l.value[1] > l.value[0]:
		return splice(data, l.value[0], l.value[1], tomlString(e.Value)), nil
	case l.found:
		return splice(data, l.keyval[0], l.keyval[1], line), nil
	case e.Bucket != "" && !l.tableFound:
		// A new section at the end of the file.
		var b bytes.Buffer
		b.Write(data)
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteString("\n")
		}
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n\n")) {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[buckets.%s]\n%s\n", tomlKey(e.Bucket), line)
		return b.Bytes(), nil
	case e.Bucket != "":
		return insertLine(data, l.tableEnd, line), nil
	case l.topEnd > 0:
		return insertLine(data, l.topEnd, line), nil
	case l.firstHeader >= 0:
		// No top-level key yet: before the first section, and before the
		// comment lines that introduce it.
		at := l.firstHeader
		for at > 0 {
			prev := lineStart(data, at-1)
			if !bytes.HasPrefix(bytes.TrimSpace(data[prev:at]), []byte("#")) {
				break
			}
			at = prev
		}
		return splice(data, at, at, line+"\n"), nil
	}
	return insertLine(data, len(data), line), nil
}

// insertLine puts line on a line of its own at offset at, which is the
// end of a line (just past its newline) or the end of data.
func insertLine(data []byte, at int, line string) []byte {
	if at > 0 && data[at-1] != '\n' {
		line = "\n" + line
	} else {
		line += "\n"
	}
	return splice(data, at, at, line)
}

func splice(data []byte, start, end int, s string) []byte {
	out := make([]byte, 0, len(data)-(end-start)+len(s))
	out = append(out, data[:start]...)
	out = append(out, s...)
	return append(out, data[end:]...)
}

// lineStart is the offset of the start of the line holding offset i.
func lineStart(data []byte, i int) int {
	return bytes.LastIndexByte(data[:i], '\n') + 1
}

// lineEnd is the offset just past the newline ending the line that holds
// offset i (the end of data on the last line).
func lineEnd(data []byte, i int) int {
	if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(data)
}

// headerStart is the offset of a table header's opening bracket.
func headerStart(data []byte, n *unstable.Node) int {
	it := n.Key()
	it.Next()
	return bytes.LastIndexByte(data[:it.Node().Raw.Offset], '[')
}

func keyPath(it unstable.Iterator) []string {
	var path []string
	for it.Next() {
		path = append(path, string(it.Node().Data))
	}
	return path
}

// tomlKey writes a key bare when TOML allows it, else quoted.
func tomlKey(k string) string {
	for _, c := range []byte(k) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return tomlString(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u` + fmt.Sprintf("%04X", r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeFile replaces path with data atomically, mode 0600 (directory 0700):
// a crash or a full disk leaves the old file in place, never a half-written
// one.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	f, err := os.CreateTemp(dir, ".config-*.tmp")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	for _, step := range []func() error{
		func() error { return f.Chmod(0o600) },
		func() error { _, err := f.Write(data); return err },
		f.Sync,
		f.Close,
		func() error { return os.Rename(tmp, path) },
	} {
		if err := step(); err != nil {
			return fmt.Errorf("save config %s: %w", path, err)
		}
	}
	ok = true
	return nil
}
