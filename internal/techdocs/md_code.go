package techdocs

import (
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// Code blocks render as pymdownx.highlight does with Pygments and
// pygments_lang_class (techdocs-core's setting):
//
//	<div class="language-python highlight"><pre><span></span><code><span class="kn">import</span> ...
//	</code></pre></div>
//
// chroma's token classes are Pygments' short names, so the theme's Pygments
// CSS applies unchanged. pymdownx.superfences' mermaid fence is passed through
// for the client-side renderer as <pre class="mermaid"><code>…</code></pre>.

// maxHighlightBytes: larger blocks are emitted unhighlighted, which bounds the
// time a hostile page can spend in chroma's backtracking regexps.
const maxHighlightBytes = 64 << 10

type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFenced)
	reg.Register(ast.KindCodeBlock, renderIndentedCode)
}

func renderIndentedCode(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		writeHighlighted(w, blockText(node, src), fenceInfo{})
	}
	return ast.WalkSkipChildren, nil
}

func renderFenced(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var info fenceInfo
	if n.Info != nil {
		info = parseFenceInfo(string(n.Info.Segment.Value(src)))
	}
	code := blockText(node, src)
	if info.Lang == "mermaid" {
		_, _ = w.WriteString(`<pre class="mermaid"><code>`)
		_, _ = w.WriteString(escText(strings.TrimSuffix(code, "\n")))
		_, _ = w.WriteString("</code></pre>\n")
		return ast.WalkSkipChildren, nil
	}
	writeHighlighted(w, code, info)
	return ast.WalkSkipChildren, nil
}

func blockText(node ast.Node, src []byte) string {
	var b strings.Builder
	lines := node.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// fenceInfo is a fence's info string: "python title=\"a.py\"" or the
// superfences attribute form "{ .python .extra #id title=\"a.py\" }".
type fenceInfo struct {
	Lang    string
	Classes []string
	ID      string
	Title   string
}

func parseFenceInfo(s string) fenceInfo {
	s = strings.TrimSpace(s)
	var fi fenceInfo
	braced := strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")
	if braced {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	for i, tok := range splitQuoted(s) {
		switch {
		case strings.HasPrefix(tok, "."):
			if fi.Lang == "" {
				fi.Lang = tok[1:]
			} else {
				fi.Classes = append(fi.Classes, tok[1:])
			}
		case strings.HasPrefix(tok, "#"):
			fi.ID = tok[1:]
		case strings.Contains(tok, "="):
			k, v, _ := strings.Cut(tok, "=")
			if k == "title" {
				fi.Title = strings.Trim(v, `"'`)
			}
		case i == 0 && !braced:
			fi.Lang = tok
		}
	}
	fi.Lang = cleanLang(fi.Lang)
	return fi
}

// splitQuoted splits on spaces outside double or single quotes.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
			cur.WriteRune(r)
		case r == ' ' || r == '\t':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// cleanLang keeps a language name that can only be a lexer name, so that it
// is safe in a class attribute and in chroma's filename matching.
func cleanLang(s string) string {
	if len(s) > 40 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-_#.", r)) {
			return ""
		}
	}
	return strings.ToLower(s)
}

// lexerCache remembers lookups, misses included: chroma answers an unknown
// name by glob-matching it against every lexer's file patterns.
var lexerCache sync.Map // string → chroma.Lexer (nil for none)

func lexerFor(lang string) chroma.Lexer {
	if v, ok := lexerCache.Load(lang); ok {
		l, _ := v.(chroma.Lexer)
		return l
	}
	l := lookupLexer(lang)
	lexerCache.Store(lang, l)
	return l
}

func writeHighlighted(w util.BufWriter, code string, info fenceInfo) {
	var lexer chroma.Lexer
	lang := "text"
	if info.Lang != "" && info.Lang != "text" {
		if lexer = lexerFor(info.Lang); lexer != nil {
			lang = info.Lang
		}
	}
	_, _ = w.WriteString(`<div`)
	if info.ID != "" {
		_, _ = w.WriteString(` id="` + escAttr(info.ID) + `"`)
	}
	_, _ = w.WriteString(` class="language-` + escAttr(lang))
	for _, c := range info.Classes {
		_, _ = w.WriteString(" " + escAttr(c))
	}
	_, _ = w.WriteString(` highlight">`)
	if info.Title != "" {
		_, _ = w.WriteString(`<span class="filename">` + escText(info.Title) + `</span>`)
	}
	_, _ = w.WriteString("<pre><span></span><code>")
	if lexer == nil || len(code) > maxHighlightBytes || !writeTokens(w, lexer, code) {
		_, _ = w.WriteString(escText(code))
	}
	_, _ = w.WriteString("</code></pre></div>\n")
}

// writeTokens writes chroma's tokens as Pygments does: a span per run of
// one token class. It returns false (having written nothing) if the lexer
// fails, panics (chroma reports a broken rule that way) or runs away, so
// the caller can fall back to plain text.
func writeTokens(w util.BufWriter, lexer chroma.Lexer, code string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	// Not chroma.Coalesce: it merges a runaway lexer's endless empty tokens
	// without ever returning, where this loop can count them.
	it, err := tokens(lexer, code)
	if err != nil {
		return false
	}
	// A few lexers have a rule that matches empty text without changing
	// state (JSONata's last rule is [a-zA-Z0-9_]*): chroma then emits empty
	// tokens forever. Real output has at most a few tokens per character.
	budget := 16*len(code) + 1000
	var b strings.Builder
	var run chroma.Token
	flush := func() {
		if run.Value == "" {
			return
		}
		if cls := tokenClass(run.Type); cls == "" {
			b.WriteString(escText(run.Value))
		} else {
			// Pygments closes spans before a newline only when the token
			// ends with one; keeping the run whole matches it.
			b.WriteString(`<span class="` + cls + `">` + escText(run.Value) + `</span>`)
		}
	}
	for tok := it(); tok != chroma.EOF; tok = it() {
		if budget--; budget < 0 {
			return false
		}
		if tok.Value == "" {
			continue
		}
		// Runs split at 8 KiB, as chroma's coalescer splits them.
		if tok.Type == run.Type && len(run.Value) < 8192 {
			run.Value += tok.Value
			continue
		}
		flush()
		run = tok
	}
	flush()
	_, _ = w.WriteString(b.String())
	return true
}

func tokenClass(t chroma.TokenType) string {
	if t == chroma.Text || t == chroma.None {
		return ""
	}
	if c, ok := chroma.StandardTypes[t]; ok {
		return c
	}
	if c, ok := chroma.StandardTypes[t.SubCategory()]; ok {
		return c
	}
	return chroma.StandardTypes[t.Category()]
}
