package techdocs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// tokenizeSnippets: something of most languages, and the awkward cases:
// unterminated strings and comments, non-ASCII text, CR LF, tabs, invalid
// UTF-8, no text at all.
var tokenizeSnippets = []string{
	"",
	"\n",
	"x",
	"   \t  ",
	"import os, sys\n\n@decorator\ndef f(a: int = 1, *args, **kw) -> str:\n    \"\"\"Doc é.\"\"\"\n    s = f'{a!r:>10} {kw}' + r'\\d' + b'\\x00'\n    return s  # comment 🎉\n\nclass C(Base):\n    pass\n",
	"package main\n\nimport \"fmt\"\n\n// Main prints.\nfunc main() {\n\tx := []int{1, 2, 0x1F, 1e9}\n\tfmt.Printf(\"%v %q\\n\", x, `raw\nstring`)\n\t/* block */ var r rune = 'é'\n}\n",
	"const a = 1; let b = `t ${a + 1}`; /* c */ var re = /ab+c/gi;\nfunction f(x) { return x === null ? 'é' : \"d\"; } // end\nclass A extends B { #p = 2; }\n",
	"---\nkey: value\nlist:\n  - a\n  - \"quoted: é\"\n  - 'single'\nnested: {a: 1, b: [x, y]}\nanchor: &x 1\nref: *x\nblock: |\n  text\n  more\n# comment\n...\n",
	"{\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": \"e\\u00e9\\n\"}, \"f\": -1.5e10}\n",
	"#!/bin/bash\nset -euo pipefail\nfor f in *.md; do\n  echo \"$f ${HOME:-x}\" | grep -v '^#' > /dev/null 2>&1\ndone\ncat <<EOF\nheredoc $x\nEOF\n$ echo hi\n",
	"SELECT a.id, COUNT(*) AS n FROM t a LEFT JOIN u ON a.id = u.id WHERE name LIKE 'x%' -- c\nGROUP BY 1 ORDER BY n DESC; /* multi\nline */\n",
	"<!DOCTYPE html>\n<html lang=\"en\"><head><style>body { color: #fff; }</style>\n<script>var x = 1 < 2;</script></head>\n<body class='a'><!-- c --><p>Text &amp; é</p></body></html>\n",
	"FROM golang:1.22 AS build\nRUN apt-get update && \\\n    apt-get install -y git\nENV A=b\nCOPY . /src\nCMD [\"/app\", \"--flag\"]\n",
	"public class A<T> implements B {\n  @Override\n  public static void main(String[] args) throws Exception {\n    char c = '\\n'; long l = 10L; System.out.println(\"x\" + args[0]);\n  }\n}\n",
	"#include <stdio.h>\n#define X(a) ((a) * 2)\nint main(void) { printf(\"%d\\n\", X(1)); return 0; }\n",
	"fn main() { let s: &str = \"x\"; let v = vec![1u8, 2]; println!(\"{s:?}\"); } // r#\"raw\"#\n",
	"# Title\n\nSome *emphasis* and `code` and [link](http://x).\n\n```python\nprint(1)\n```\n\n- item\n> quote\n",
	"body { margin: 0 auto; } .a > .b:hover::after { content: \"é\"; color: rgba(0,0,0,.5); } @media (max-width: 10px) { }\n",
	"'unterminated\n\"also unterminated\n/* never closed\n<<<\n{{{ [[[ (((\n",
	"é à ü ß 中文 日本語 🎉🚀 \u00a0\u2028 ≠ λx.x\n",
	"line one\r\nline two\r\n\tindented\r\n\"str\r\ning\"\r\nold mac\rline\r",
	"\xff\xfe bad \xc3\x28 utf8 \xe2\x82 end\n",
	"a = 1\n\n\n\t\tb = 'x'  \t\n",
	"<?php echo \"x\"; $a = array(1, 2); ?>\n",
	"(defun f (x) \"doc\" (+ x 1)) ; comment\n",
}

type tokenResult struct {
	toks []chroma.Token
	ok   bool // false: the lexer failed, panicked or ran away
}

func drainTokens(it chroma.Iterator, budget int) (res tokenResult) {
	defer func() {
		if recover() != nil {
			res = tokenResult{}
		}
	}()
	for tok := it(); tok != chroma.EOF; tok = it() {
		if budget--; budget < 0 {
			return tokenResult{}
		}
		res.toks = append(res.toks, tok)
	}
	res.ok = true
	return res
}

func chromaTokenise(l chroma.Lexer, code string) (res tokenResult) {
	defer func() {
		if recover() != nil {
			res = tokenResult{}
		}
	}()
	it, err := l.Tokenise(nil, code)
	if err != nil {
		return tokenResult{}
	}
	return drainTokens(it, 16*len(code)+1000)
}

// compareWithChroma reports where tokenize's stream differs from chroma's.
// It returns false when there was nothing to compare: tokenize leaves the
// lexer to chroma, or chroma itself fails on the text.
func compareWithChroma(t testing.TB, l chroma.Lexer, code string) bool {
	t.Helper()
	want := chromaTokenise(l, code)
	if !want.ok {
		return false
	}
	var got tokenResult
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: tokenize panicked on %q: %v", l.Config().Name, truncate(code), r)
			}
		}()
		if it := tokenize(l, code); it != nil {
			got = drainTokens(it, 16*len(code)+1000)
			if !got.ok {
				t.Errorf("%s: tokenize failed on %q where chroma did not", l.Config().Name, truncate(code))
			}
		}
	}()
	for _, msg := range skippedRules {
		t.Errorf("%s on %q: %s", l.Config().Name, truncate(code), msg)
	}
	skippedRules = nil
	if !got.ok {
		return false
	}
	if i := firstDiff(got.toks, want.toks); i >= 0 {
		t.Errorf("%s: token %d differs on %q:\n got %s\nwant %s", l.Config().Name, i, truncate(code), around(got.toks, i), around(want.toks, i))
	}
	return true
}

func firstDiff(a, b []chroma.Token) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func around(toks []chroma.Token, i int) string {
	var b strings.Builder
	for j := max(0, i-2); j < min(len(toks), i+3); j++ {
		fmt.Fprintf(&b, "%s%q ", toks[j].Type, toks[j].Value)
	}
	return fmt.Sprintf("[%d tokens] %s", len(toks), b.String())
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// checkRuleChoices makes tokenize prove, at every position, that no rule
// it skipped before the one it took (or at all, when it took none) would
// have matched: the prefilters only ever skip hopeless rules.
// compareWithChroma reports what it finds.
func checkRuleChoices(tb testing.TB) {
	tokenizeCheck = func(st *stateProgram, txt []rune, pos, rule int) {
		limit := rule
		if rule < 0 {
			limit = len(st.rules)
		}
		for j := range limit {
			m, err := st.rules[j].re.FindRunesMatchStartingAt(txt, pos)
			if err == nil && m != nil && m.RuneIndex == pos {
				skippedRules = append(skippedRules, fmt.Sprintf("rule %q skipped but matches %q at %d", st.rules[j].rule.Pattern, m.String(), pos))
			}
		}
	}
	tb.Cleanup(func() { tokenizeCheck = nil })
}

var skippedRules []string // tokenizeCheck's findings, one test goroutine at a time

// TestTokenizeMatchesChromaOnAllLexers compares the token streams for
// every lexer in chroma's registry on each snippet and the lexer's name.
func TestTokenizeMatchesChromaOnAllLexers(t *testing.T) {
	checkRuleChoices(t)
	lexersCompared, inputs, leftToChroma, chromaFails := 0, 0, 0, 0
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		rl, ok := l.(*chroma.RegexLexer)
		if !ok || programFor(rl) == nil {
			leftToChroma++
			continue
		}
		n := 0
		for _, code := range append([]string{l.Config().Name}, tokenizeSnippets...) {
			if compareWithChroma(t, l, code) {
				n++
			} else {
				chromaFails++
			}
		}
		if n > 0 {
			lexersCompared++
			inputs += n
		}
	}
	t.Logf("%d lexers compared on %d inputs; %d lexers left to chroma; %d inputs where chroma fails",
		lexersCompared, inputs, leftToChroma, chromaFails)
	if lexersCompared < 200 {
		t.Errorf("only %d lexers compared", lexersCompared)
	}
}

// TestTokenizeMatchesChromaOnCorpus compares every fenced block of the
// corpus and testdata pages, found as the renderer finds them.
func TestTokenizeMatchesChromaOnCorpus(t *testing.T) {
	checkRuleChoices(t)
	var files []string
	for _, root := range []string{"testdata", corpusDir} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
				files = append(files, p)
			}
			return nil
		})
	}
	md := newMarkdown()
	blocks, compared := 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		body, _, lines := splitFrontMatter(src)
		ps := newPageState(body, f, lines)
		ps.resolve = func(dest string, _ int) string { return dest }
		pc := parser.NewContext()
		pc.Set(pageStateKey, ps)
		doc := md.Parser().Parse(text.NewReader(body), parser.WithContext(pc))
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			fc, ok := n.(*ast.FencedCodeBlock)
			if !entering || !ok || fc.Info == nil {
				return ast.WalkContinue, nil
			}
			info := parseFenceInfo(string(fc.Info.Segment.Value(body)))
			if info.Lang == "" || info.Lang == "text" || info.Lang == "mermaid" {
				return ast.WalkContinue, nil
			}
			if l := lexerFor(info.Lang); l != nil {
				blocks++
				if compareWithChroma(t, l, blockText(n, body)) {
					compared++
				}
			}
			return ast.WalkContinue, nil
		})
	}
	t.Logf("%d files, %d highlighted blocks, %d compared (the rest are chroma's: not RegexLexers)", len(files), blocks, compared)
	if compared == 0 || compared < blocks/2 {
		t.Errorf("only %d of %d blocks compared", compared, blocks)
	}
}

// TestPrefiltersAreSound: on short texts, every position where a pattern
// matches is one where the prefilters let the rule be tried.
func TestPrefiltersAreSound(t *testing.T) {
	patterns := []string{
		`\n?^x`, `a*^b`, `(?:^|x)y`, `^(\s*)([rb]{,2})('''|a)`, `(?:a|^)b`, `(?:^a|^b)+`, `[^\S\n]+`, `(?i)k`,
		`(?i)[a-c]+x`, `(?i)straße`, `(?i:A)b`, `(?<=a)b`, `(?<!\.)(self|cls)\b`, `(?=a)\w+`, `(?!a)\w`,
		`\bfoo`, `(a|)b`, `(a?)(b?)x`, `(?:ab)*x`, `(?:ab)+x`, `.`, `[^a]`, `\W+`, `(x)?(?(1)a)b`,
		`(?(?=a)a)b`, `(a)\1`, `$\n`, `\Z`, `\A.`, `(?>a|ab)x`, `a{0}b`, `a{2,}`, `\d+\.?`, `\s*$`, `a??b`,
	}
	alphabet := []string{"a", "b", "x", "\n", " ", "K", ".", "'", "\u212a", "é"}
	texts := []string{"\n\nx", " '''", "self.cls", "STRASSE", "Strasse", "\u0130i", "abab x", "1.5"}
	for _, a := range alphabet {
		for _, b := range alphabet {
			for _, c := range alphabet {
				texts = append(texts, a+b+c)
			}
		}
	}
	for _, pat := range patterns {
		for _, flags := range []string{"", "m", "mi", "ms"} {
			p := &lexProgram{
				flags:    flags,
				rules:    chroma.CompiledRules{"root": {{Rule: chroma.Rule{Pattern: pat}}}},
				states:   map[string]*stateProgram{"root": {}},
				compiled: map[*chroma.CompiledRule]*ruleProgram{},
			}
			st := p.state("root")
			for _, s := range texts {
				txt := []rune(s)
				for pos := range txt {
					m, err := st.rules[0].re.FindRunesMatchStartingAt(txt, pos)
					want := err == nil && m != nil && m.RuneIndex == pos
					if i, _ := st.match(txt, pos); want && i != 0 {
						t.Errorf("(?%s)%s matches %q at %d, but was not tried", flags, pat, s, pos)
					}
				}
			}
		}
	}
}

var fuzzTokenizeLexers = []string{"python", "go", "yaml", "json", "bash", "javascript", "java", "typescript", "sql", "dockerfile", "markdown", "html"}

// FuzzTokenizeMatchesChroma: one of a few popular lexers per input, so
// that an execution stays cheap.
func FuzzTokenizeMatchesChroma(f *testing.F) {
	var ls []chroma.Lexer
	for _, name := range fuzzTokenizeLexers {
		ls = append(ls, lexers.Get(name))
	}
	for i := range ls {
		for _, s := range tokenizeSnippets {
			f.Add(uint8(i), s)
		}
	}
	checkRuleChoices(f)
	f.Fuzz(func(t *testing.T, lexer uint8, code string) {
		if len(code) > 4<<10 {
			return
		}
		compareWithChroma(t, ls[int(lexer)%len(ls)], code)
	})
}

// TestTokenizeConcurrent: goroutines sharing one fresh program, each
// compiling states on first entry, get chroma's tokens (run with -race).
func TestTokenizeConcurrent(t *testing.T) {
	rl := lexers.Get("python").(*chroma.RegexLexer)
	p := newProgram(rl)
	if p == nil {
		t.Fatal("python is not driven by tokenize")
	}
	code := tokenizeSnippets[4] + tokenizeSnippets[6] + tokenizeSnippets[20]
	want := chromaTokenise(rl, code)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got := drainTokens(p.tokenize(rl, code), 1<<20)
			if i := firstDiff(got.toks, want.toks); !got.ok || i >= 0 {
				t.Errorf("token %d differs: got %s want %s", i, around(got.toks, i), around(want.toks, i))
			}
		})
	}
	wg.Wait()
}

func TestTokenizeLeavesOtherLexersToChroma(t *testing.T) {
	if tokenize(lexers.Get("markdown"), "# x\n") != nil {
		t.Error("markdown wraps its RegexLexer; tokenize cannot drive it")
	}
	if tokenize(lexers.Get("raku"), "say 1;\n") != nil {
		t.Error("raku's mutators rewrite its rules; tokenize cannot drive it")
	}
}

const benchPython = `import os
from typing import Optional


class Thing(object):
    """A thing, with a docstring."""

    def __init__(self, name: str, size: int = 10) -> None:
        self.name = name  # the name
        self.size = size * 2 + 0x1F

    def describe(self, verbose: Optional[bool] = False) -> str:
        if verbose and self.size > 3:
            return f"{self.name!r} is {self.size} units"
        return "%s(%d)" % (self.name, self.size)


`

// BenchmarkTokenize: a 200-line Python block, chroma's Tokenise against
// tokenize.
func BenchmarkTokenize(b *testing.B) {
	code := strings.Repeat(benchPython, 200/strings.Count(benchPython, "\n"))
	l := lexers.Get("python")
	for _, c := range []struct {
		name string
		run  func() chroma.Iterator
	}{
		{"chroma", func() chroma.Iterator { it, _ := l.Tokenise(nil, code); return it }},
		{"tokenize", func() chroma.Iterator { return tokenize(l, code) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(code)))
			b.ReportAllocs()
			for b.Loop() {
				it := c.run()
				for tok := it(); tok != chroma.EOF; tok = it() {
				}
			}
		})
	}
}
