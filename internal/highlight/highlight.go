// Package highlight splits text into tokens by the syntax its file name
// says, with chroma's lexers, for the app's preview to colour.
//
// Its lexers are a chosen set of chroma's own definitions (lexers/*.xml,
// copied from chroma v2.27.0; MIT, see lexers/COPYING), parsed on first
// use. chroma's lexers package parses all of its ~280 definitions in its
// package initializer, which would cost every start of cfsign about 5 ms
// before main, whether a preview is ever drawn or not. A file type outside
// the set shows as plain text.
package highlight

import (
	"embed"
	"io/fs"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alecthomas/chroma/v2"
)

//go:embed lexers/*.xml
var defs embed.FS

// parsed counts the definitions parsed, so a test can see that none is
// parsed before the first use.
var parsed atomic.Int32

// registry is the set, built once on first use: a definition may hand a
// part of the text to another by name (HTML to CSS and JavaScript), so
// they are all registered together.
var registry = sync.OnceValue(func() *chroma.LexerRegistry {
	reg := chroma.NewLexerRegistry()
	paths, _ := fs.Glob(defs, "lexers/*.xml")
	for _, p := range paths {
		l, err := chroma.NewXMLLexer(defs, p)
		if err != nil {
			continue // a definition chroma cannot read: that type shows plain
		}
		parsed.Add(1)
		reg.Register(l)
	}
	return reg
})

// Kind is what a token is, as the preview colours it.
type Kind uint8

// The kinds.
const (
	Plain Kind = iota
	Keyword
	Name // functions, classes, attributes, built-ins
	String
	Number
	Comment
	Tag // markup tags and keys
	Inserted
	Deleted
)

// Token is a run of text of one kind; it may hold line breaks.
type Token struct {
	Kind Kind
	Text string
}

// Lexer names the lexer for a file name (or, failing that, a content
// type), "" when none of the set knows it.
func Lexer(filename, contentType string) string {
	if l := lexerFor(filename, contentType); l != nil {
		return l.Config().Name
	}
	return ""
}

func lexerFor(filename, contentType string) chroma.Lexer {
	reg := registry()
	if l := reg.Match(path.Base(filename)); l != nil {
		return l
	}
	if ct, _, _ := strings.Cut(contentType, ";"); ct != "" {
		if l := reg.MatchMimeType(strings.TrimSpace(ct)); l != nil {
			return l
		}
	}
	return nil
}

// Tokens splits text by the syntax filename (or contentType) names; ok is
// false when no lexer of the set knows it, and then the text is one Plain
// token.
func Tokens(filename, contentType, text string) (toks []Token, ok bool) {
	l := lexerFor(filename, contentType)
	if l == nil {
		return []Token{{Plain, text}}, false
	}
	it, err := chroma.Coalesce(l).Tokenise(nil, text)
	if err != nil {
		return []Token{{Plain, text}}, false
	}
	for t := it(); t != chroma.EOF; t = it() {
		k := kindOf(t.Type)
		if n := len(toks); n > 0 && toks[n-1].Kind == k {
			toks[n-1].Text += t.Value
			continue
		}
		toks = append(toks, Token{k, t.Value})
	}
	return toks, true
}

func kindOf(t chroma.TokenType) Kind {
	switch {
	case t == chroma.NameTag:
		return Tag
	case t == chroma.GenericInserted:
		return Inserted
	case t == chroma.GenericDeleted:
		return Deleted
	case t == chroma.GenericHeading, t == chroma.GenericSubheading:
		return Keyword
	case t.InCategory(chroma.Keyword):
		return Keyword
	case t.InCategory(chroma.Comment):
		return Comment
	case t.InSubCategory(chroma.LiteralString):
		return String
	case t.InSubCategory(chroma.LiteralNumber):
		return Number
	case t == chroma.NameFunction, t == chroma.NameClass, t == chroma.NameBuiltin, t == chroma.NameAttribute,
		t == chroma.NameDecorator, t == chroma.NameException, t == chroma.NameNamespace:
		return Name
	}
	return Plain
}
