// The details' preview: the first bytes of an object, read with a ranged
// GET, drawn as highlighted text or as a hex dump. Rendering happens in the
// command that read them, never in Update or View.
package ui

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/highlight"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// ObjectReader reads an object's details with its checksum, its first
// bytes, and its versions.
// *aws.Client satisfies it.
type ObjectReader interface {
	HeadVersion(ctx context.Context, bucket, key, versionID string) (aws.ObjectInfo, error)
	ReadHead(ctx context.Context, bucket, key, versionID string, n int64) (aws.Head, error)
	Versions(ctx context.Context, bucket, key string) ([]aws.Version, bool, error)
}

// Preview limits: a ranged GET of at most previewBytes, never the whole of
// a large object; a binary object shows its first hexBytes as a dump.
const (
	previewBytes = 256 << 10
	previewLines = 5000
	previewWidth = 1000 // cells kept of a line (minified files are one long line)
	hexBytes     = 4096
	tabWidth     = 4
)

// preview is what the preview tab draws: its lines, rendered and escaped,
// and a note on what they are.
type preview struct {
	lines []string
	note  string // "JSON · first 256 KiB of 1.2 MiB", "binary · hex dump of the first 4 KiB"
	// hex holds the bytes of a binary object's dump, drawn as wide as the
	// window allows.
	hex []byte
}

// brPreviewMsg carries the preview of key (request req of generation gen).
type brPreviewMsg struct {
	gen, req int
	key      string
	preview  preview
	err      error
}

// previewCmd reads the first bytes of key and renders them at width.
func previewCmd(ctx context.Context, r ObjectReader, st *Styles, gen, req int, bucket, key, contentType string) tea.Cmd {
	return func() tea.Msg {
		h, err := r.ReadHead(ctx, bucket, key, "", previewBytes)
		if err != nil {
			return brPreviewMsg{gen: gen, req: req, key: key, err: err}
		}
		return brPreviewMsg{gen: gen, req: req, key: key, preview: renderPreview(st, key, contentType, h)}
	}
}

// renderPreview draws the first bytes of an object: text highlighted by its
// file type (plain when no lexer knows it), anything else as a hex dump.
// Every line is escaped as the rest of the app's text is.
func renderPreview(st *Styles, key, contentType string, h aws.Head) preview {
	of := ""
	if h.Total > int64(len(h.Data)) {
		of = fmt.Sprintf("first %s of %s", app.Size(int64(len(h.Data))), app.Size(h.Total))
	}
	if len(h.Data) == 0 {
		return preview{note: "empty object"}
	}
	text, ok := asText(h.Data, h.Total > int64(len(h.Data)))
	if !ok {
		n := min(len(h.Data), hexBytes)
		note := "binary · hex dump of the first " + app.Size(int64(n))
		if n == len(h.Data) && h.Total == int64(n) {
			note = "binary · hex dump"
		}
		return preview{hex: h.Data[:n], note: note}
	}
	toks, known := highlight.Tokens(key, contentType, text)
	kind := "text"
	if l := highlight.Lexer(key, contentType); known && l != "plaintext" {
		kind = l
	}
	note := kind
	if of != "" {
		note += " · " + of
	}
	return preview{lines: renderTokens(st, toks), note: note}
}

// asText returns data as text when it reads as text: valid UTF-8 (a rune
// cut at the end of a partial read aside), no NUL byte, and few control
// characters other than line breaks and tabs.
func asText(data []byte, partial bool) (string, bool) {
	if partial {
		// The range may end inside a rune.
		for i := 0; i < utf8.UTFMax && len(data) > 0 && !utf8.Valid(data); i++ {
			data = data[:len(data)-1]
		}
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return "", false
	}
	ctl := 0
	for _, c := range data {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			ctl++
		}
	}
	if ctl*10 > len(data) {
		return "", false
	}
	return string(data), true
}

// renderTokens draws tokens as lines, each token in its kind's style and
// escaped (a control character in a file is shown, never sent to the
// terminal); tabs become spaces.
func renderTokens(st *Styles, toks []highlight.Token) []string {
	var lines []string
	var cur strings.Builder
	col := 0
	for _, t := range toks {
		style := st.syntax(t.Kind)
		parts := strings.Split(t.Text, "\n")
		for i, part := range parts {
			if i > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
				col = 0
				if len(lines) >= previewLines {
					return lines
				}
			}
			part = strings.TrimSuffix(part, "\r")
			if part == "" {
				continue
			}
			// Expand tabs to the next stop, then escape what is left.
			var b strings.Builder
			for _, r := range part {
				if col >= previewWidth {
					break // beyond any window: not kept
				}
				if r == '\t' {
					n := tabWidth - col%tabWidth
					b.WriteString(strings.Repeat(" ", n))
					col += n
					continue
				}
				b.WriteRune(r)
				col++
			}
			cur.WriteString(style.Render(app.EscapeText(b.String())))
		}
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// hexDump draws data as offset, bytes in hex and the printable ASCII of
// them, 16 bytes a line (as hexdump -C and encoding/hex.Dump do) where
// width allows, else 8.
func hexDump(st *Styles, data []byte, width int) []string {
	per := 16
	if width < 78 {
		per = 8
	}
	var lines []string
	for off := 0; off < len(data); off += per {
		chunk := data[off:min(off+per, len(data))]
		hx := hex.EncodeToString(chunk)
		var pairs []string
		for i := 0; i < len(hx); i += 2 {
			pairs = append(pairs, hx[i:i+2])
		}
		ascii := []byte(string(chunk))
		for i, c := range ascii {
			if c < 0x20 || c > 0x7e {
				ascii[i] = '.'
			}
		}
		lines = append(lines, st.Muted.Render(fmt.Sprintf("%08x", off))+"  "+fmt.Sprintf("%-*s", per*3-1, strings.Join(pairs, " "))+"  "+st.Muted.Render("|"+string(ascii)+"|"))
	}
	return lines
}

// syntax is the style of a token kind.
func (s *Styles) syntax(k highlight.Kind) lipgloss.Style {
	switch k {
	case highlight.Keyword:
		return s.SynKeyword
	case highlight.Name:
		return s.SynName
	case highlight.String:
		return s.SynString
	case highlight.Number:
		return s.SynNumber
	case highlight.Comment:
		return s.SynComment
	case highlight.Tag:
		return s.SynTag
	case highlight.Inserted:
		return s.OK
	case highlight.Deleted:
		return s.Error
	}
	return s.Row
}
