package highlight

import (
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	// Nothing is parsed before the first use: cfsign's start pays nothing.
	if n := parsed.Load(); n != 0 {
		println("highlight: parsed", n, "lexer definitions at init")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestTokensByFileName(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, text string
		lexer             string
		want              Token
	}{
		{"data/config.json", "", `{"domain": "d111.cloudfront.net", "n": 42}`, "JSON", Token{String, `"d111.cloudfront.net"`}},
		{"site/index.html", "text/html", "<p class=\"x\">hi</p><style>p{color:red}</style>", "HTML", Token{Tag, "p"}},
		{"deploy.sh", "", "# comment\necho hi\n", "Bash", Token{Comment, "# comment"}},
		{"noext", "application/json", `{"a": 1}`, "JSON", Token{Number, "1"}},
		{"a.diff", "", "+added\n-removed\n", "Diff", Token{Inserted, "+added\n"}},
	} {
		if got := Lexer(tc.name, tc.ctype); got != tc.lexer {
			t.Errorf("Lexer(%q, %q) = %q, want %q", tc.name, tc.ctype, got, tc.lexer)
		}
		toks, ok := Tokens(tc.name, tc.ctype, tc.text)
		if !ok {
			t.Errorf("%s: no lexer", tc.name)
			continue
		}
		var all strings.Builder
		found := false
		for _, tk := range toks {
			all.WriteString(tk.Text)
			found = found || tk == tc.want
		}
		if all.String() != tc.text {
			t.Errorf("%s: tokens join to %q, not the text", tc.name, all.String())
		}
		if !found {
			t.Errorf("%s: no token %+v in %+v", tc.name, tc.want, toks)
		}
	}
	if toks, ok := Tokens("photo.jpg", "image/jpeg", "xyz"); ok || len(toks) != 1 || toks[0] != (Token{Plain, "xyz"}) {
		t.Errorf("an unknown type: %+v, %v", toks, ok)
	}
	if parsed.Load() < 30 {
		t.Errorf("only %d definitions parsed", parsed.Load())
	}
}
