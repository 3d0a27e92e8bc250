package techdocs

import (
	"encoding/xml"
	"io"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/dlclark/regexp2/v2"
	"github.com/dlclark/regexp2/v2/syntax"
)

// tokens is lexer's token stream for code: from tokenize once the lexer
// has seen enough code in this process to pay for tokenize's setup, from
// chroma's own Tokenise before that and for lexers tokenize leaves alone.
func tokens(lexer chroma.Lexer, code string) (chroma.Iterator, error) {
	if worthDriving(lexer, len(code)) {
		if it := tokenize(lexer, code); it != nil {
			return it, nil
		}
	}
	return lexer.Tokenise(nil, code)
}

// driveAfter is how much of a lexer's code chroma tokenizes itself before
// tokenize takes over. tokenize's one-off setup per lexer (its own compile
// of the states it enters, 1-2 ms) is worth about 50 lines of chroma's
// tokenizing, so a language a site uses in a snippet or two is cheaper left
// to chroma; the tokens are the same either way.
const driveAfter = 2 << 10

var lexerBytes sync.Map // chroma.Lexer → *atomic.Int64, code seen so far

func worthDriving(l chroma.Lexer, n int) bool {
	v, ok := lexerBytes.Load(l)
	if !ok {
		v, _ = lexerBytes.LoadOrStore(l, new(atomic.Int64))
	}
	return v.(*atomic.Int64).Add(int64(n)) > driveAfter
}

// tokenize is (*chroma.RegexLexer).Tokenise(nil, text), token for token
// (TestTokenizeMatchesChroma*), only faster. chroma tries the rules of the
// current state in order, and regexp2 gives every \G-anchored attempt a
// full start (match text, runner, allocations) even when the pattern cannot
// begin with the character at hand, which is most attempts. Here a rule is
// only tried when its pattern can match there: when the character at hand
// can start a match, at a line start for a pattern that starts with ^, and
// with text enough left for regexp2's minimum length.
//
// It returns nil for a lexer it cannot drive exactly as chroma does: not a
// RegexLexer, not in the global registry (Using emitters look lexers up
// there), or with a mutator of its own (Raku's rewrite the rules as they
// run). chroma's Tokenise is then the way.
func tokenize(lexer chroma.Lexer, text string) chroma.Iterator {
	rl, ok := lexer.(*chroma.RegexLexer)
	if !ok {
		return nil
	}
	p := programFor(rl)
	if p == nil {
		return nil
	}
	return p.tokenize(rl, text)
}

func (p *lexProgram) tokenize(rl *chroma.RegexLexer, text string) chroma.Iterator {
	// chroma's text preparation for its default options: EnsureLF, state
	// "root", not nested.
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	}
	added := 0
	if rl.Config().EnsureNL && !strings.HasSuffix(text, "\n") {
		text += "\n"
		added = 1 // not lexed on its own
	}
	runes := []rune(text)
	if !utf8.ValidString(text) {
		text = string(runes) // chroma's tokens spell invalid bytes so
	}
	t := &tokenizer{prog: p, end: len(runes) - added, src: text}
	if len(runes) != len(text) {
		t.offs = make([]int32, len(runes)+1)
		off := 0
		for i, r := range runes {
			t.offs[i] = int32(off)
			off += utf8.RuneLen(r)
		}
		t.offs[len(runes)] = int32(off)
	}
	t.ls = chroma.LexerState{
		Lexer:          rl,
		Registry:       lexers.GlobalLexerRegistry,
		Text:           runes,
		Rules:          p.rules,
		Stack:          []string{"root"},
		MutatorContext: map[any]any{},
	}
	return t.next
}

// tokenizeCheck, when set (by tests), is told each rule choice: the state,
// the text and position, and the index of the rule taken (-1 for none).
var tokenizeCheck func(st *stateProgram, text []rune, pos, rule int)

type tokenizer struct {
	prog    *lexProgram
	ls      chroma.LexerState
	end     int               // lexing stops here, before a newline chroma added
	src     string            // the text lexed; plain tokens are cut from it
	offs    []int32           // byte offset of each rune in src; nil if all ASCII
	pending []chroma.Iterator // emitters' token streams, drained first
}

func (t *tokenizer) slice(from, to int) string {
	if t.offs == nil {
		return t.src[from:to]
	}
	return t.src[t.offs[from]:t.offs[to]]
}

// next follows (*chroma.LexerState).Iterator step for step, the state
// living in ls so that emitters and mutators see and change it there.
func (t *tokenizer) next() chroma.Token {
	ls := &t.ls
	for ls.Pos < t.end && len(ls.Stack) > 0 {
		if tok, ok := t.drain(); ok {
			return tok
		}
		ls.State = ls.Stack[len(ls.Stack)-1]
		st := t.prog.state(ls.State)
		i, m := st.match(ls.Text, ls.Pos)
		if tokenizeCheck != nil {
			tokenizeCheck(st, ls.Text, ls.Pos, i)
		}
		if m == nil {
			// Pygments' recovery: an unmatched newline returns to the
			// initial state.
			if ls.Text[ls.Pos] == '\n' && ls.State != "root" {
				ls.Stack = []string{"root"}
				continue
			}
			ls.Pos++
			return chroma.Token{Type: chroma.Error, Value: t.slice(ls.Pos-1, ls.Pos)}
		}
		r := st.rules[i]
		ls.Rule = i
		if r.plain {
			// Nothing here reads the groups, so they are not built.
			from := ls.Pos
			ls.Pos += m.RuneLength
			if r.rule.Mutator != nil {
				if err := r.rule.Mutator.Mutate(ls); err != nil {
					panic(err)
				}
			}
			if r.rule.Type != nil {
				tok := chroma.Token{Type: r.token, Value: t.slice(from, from+m.RuneLength)}
				if tok.Type != chroma.Ignore && tok != chroma.EOF {
					return tok
				}
			}
			continue
		}
		groups := m.Groups()
		ls.Groups = make([]string, len(groups))
		ls.NamedGroups = make(map[string]string, len(groups))
		for k, g := range groups {
			ls.Groups[k] = g.String()
			ls.NamedGroups[g.Name] = ls.Groups[k]
		}
		ls.Pos += utf8.RuneCountInString(ls.Groups[0])
		if r.rule.Mutator != nil {
			if err := r.rule.Mutator.Mutate(ls); err != nil {
				panic(err)
			}
		}
		if r.rule.Type != nil {
			t.pending = append(t.pending, r.rule.Type.Emit(ls.Groups, ls))
		}
	}
	if tok, ok := t.drain(); ok {
		return tok
	}
	if ls.Pos != len(ls.Text) && len(ls.Stack) == 0 {
		tok := chroma.Token{Type: chroma.Error, Value: t.slice(ls.Pos, len(ls.Text))}
		ls.Pos = len(ls.Text)
		return tok
	}
	return chroma.EOF
}

func (t *tokenizer) drain() (chroma.Token, bool) {
	for n := len(t.pending); n > 0; n = len(t.pending) {
		switch tok := t.pending[n-1](); {
		case tok.Type == chroma.Ignore:
		case tok == chroma.EOF:
			t.pending = t.pending[:n-1]
		default:
			return tok, true
		}
	}
	return chroma.EOF, false
}

// lexProgram is a lexer's rules as chroma compiles them, with the
// prefilters; a state's regexps are compiled when it is first entered,
// since a highlighted block visits few of them.
type lexProgram struct {
	rules  chroma.CompiledRules     // includes and combined states expanded
	states map[string]*stateProgram // one per key of rules; never changes
	flags  string

	mu       sync.Mutex // serialises compiling; rules are shared by states
	compiled map[*chroma.CompiledRule]*ruleProgram
}

type stateProgram struct {
	ready atomic.Bool
	rules []*ruleProgram
	// ascii holds, for each character below 128, a bit per rule that may
	// match there, in rows of words uint64s.
	ascii []uint64
	words int
}

type ruleProgram struct {
	rule   *chroma.CompiledRule
	re     *regexp2.Regexp
	minLen int
	start  [2]uint64 // ASCII characters a match may start with
	bol    bool      // a match starts only at a line start
	plain  bool      // emits a TokenType or nothing, and mutates by push/pop only
	token  chroma.TokenType
}

var lexPrograms sync.Map // *chroma.RegexLexer → *lexProgram, nil if unsupported

func programFor(rl *chroma.RegexLexer) *lexProgram {
	if v, ok := lexPrograms.Load(rl); ok {
		return v.(*lexProgram)
	}
	v, _ := lexPrograms.LoadOrStore(rl, newProgram(rl))
	return v.(*lexProgram)
}

var globalLexers = sync.OnceValue(func() map[chroma.Lexer]bool {
	m := map[chroma.Lexer]bool{}
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		m[l] = true
	}
	return m
})

func newProgram(rl *chroma.RegexLexer) *lexProgram {
	if !globalLexers()[rl] {
		return nil
	}
	raw, err := rl.Rules()
	if err != nil {
		return nil
	}
	// As chroma's compile: a CompiledRule per rule, then the lexer
	// mutators (include, combined) applied until none is left. chroma
	// applies them in map order too; the result does not depend on it.
	rules := chroma.CompiledRules{}
	for name, rs := range raw {
		rules[name] = nil
		for _, r := range rs {
			rules[name] = append(rules[name], &chroma.CompiledRule{Rule: r})
		}
	}
	for expanded := true; expanded; {
		expanded = false
	scan:
		for name, rs := range rules {
			for i, r := range rs {
				if m, ok := r.Mutator.(chroma.LexerMutator); ok {
					if m.MutateLexer(rules, name, i) != nil {
						return nil
					}
					expanded = true
					break scan
				}
			}
		}
	}
	p := &lexProgram{rules: rules, states: map[string]*stateProgram{}, compiled: map[*chroma.CompiledRule]*ruleProgram{}}
	for name, rs := range rules {
		for _, r := range rs {
			if !knownMutator(r.Mutator) {
				return nil
			}
		}
		p.states[name] = &stateProgram{}
	}
	cfg := rl.Config()
	if !cfg.NotMultiline {
		p.flags += "m"
	}
	if cfg.CaseInsensitive {
		p.flags += "i"
	}
	if cfg.DotAll {
		p.flags += "s"
	}
	return p
}

// knownMutator: chroma's stack mutators, which touch nothing but the
// stack. A serialisable Mutators holds only chroma's own kinds.
func knownMutator(m chroma.Mutator) bool {
	sm, ok := m.(chroma.SerialisableMutator)
	switch {
	case m == nil:
		return true
	case !ok:
		return false
	case sm.MutatorKind() == "push" || sm.MutatorKind() == "pop":
		return true
	case sm.MutatorKind() == "mutators":
		return xml.NewEncoder(io.Discard).Encode(sm) == nil
	}
	return false
}

func (p *lexProgram) state(name string) *stateProgram {
	st, ok := p.states[name]
	if !ok {
		panic("unknown state " + name) // as chroma
	}
	if !st.ready.Load() {
		p.compile(name, st)
	}
	return st
}

func (p *lexProgram) compile(name string, st *stateProgram) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st.ready.Load() {
		return
	}
	rs := p.rules[name]
	st.rules = make([]*ruleProgram, len(rs))
	st.words = (len(rs) + 63) / 64
	st.ascii = make([]uint64, 128*st.words)
	for i, r := range rs {
		rp := p.compiled[r]
		if rp == nil {
			var err error
			if rp, err = p.compileRule(r); err != nil {
				panic(err) // cannot happen: chroma compiled the same pattern
			}
			p.compiled[r] = rp
		}
		st.rules[i] = rp
		for c := range 128 {
			if rp.start[c/64]&(1<<(c%64)) != 0 {
				st.ascii[c*st.words+i/64] |= 1 << (i % 64)
			}
		}
	}
	st.ready.Store(true)
}

func (p *lexProgram) compileRule(r *chroma.CompiledRule) (*ruleProgram, error) {
	// chroma's pattern and timeout, exactly.
	pattern := "(?:" + r.Pattern + ")"
	if p.flags != "" {
		pattern = "(?" + p.flags + ")" + pattern
	}
	pattern = `\G` + pattern
	re, err := regexp2.Compile(pattern)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = 250 * time.Millisecond
	r.Regexp = re // for emitters that read it, as ByGroupNames does
	rp := &ruleProgram{rule: r, re: re, start: [2]uint64{^uint64(0), ^uint64(0)}}
	tt, isToken := r.Type.(chroma.TokenType)
	mk, _ := r.Mutator.(chroma.SerialisableMutator)
	rp.token = tt
	rp.plain = (r.Type == nil || isToken) &&
		(r.Mutator == nil || mk != nil && (mk.MutatorKind() == "push" || mk.MutatorKind() == "pop"))
	// regexp2.Compile keeps its analysis to itself; the same parse gives it
	// again. A text shorter than the minimum length regexp2 rejects itself.
	tree, err := syntax.Parse(pattern, syntax.ParseOptions{})
	if err != nil {
		return rp, nil
	}
	if tree.FindOptimizations != nil {
		rp.minLen = tree.FindOptimizations.MinRequiredLength
	}
	// regexp2's own first-character set gives up on sets it cannot merge,
	// [^\S\n] among them, and on anchors; this walk of the same tree does
	// not, and gives up (always try) only where it does not know.
	if f, ok := firstOf(tree.Root); ok && !f.nullable {
		rp.start, rp.bol = f.chars, f.bol
	}
	return rp, nil
}

// first describes how a node's matches begin.
type first struct {
	chars    [2]uint64 // the ASCII characters a match can start with
	nullable bool      // it can match empty text
	empty    bool      // it never consumes text (anchors, lookarounds)
	bol      bool      // it matches only at the start of a line
}

// addChars adds the characters g can start with to f's.
func (f *first) addChars(g first) {
	f.chars[0] |= g.chars[0]
	f.chars[1] |= g.chars[1]
}

// firstOf returns false where it cannot tell: back references,
// conditionals, right-to-left matching.
func firstOf(n *syntax.RegexNode) (f first, ok bool) {
	fold := n.Options&syntax.IgnoreCase != 0
	switch n.T {
	case syntax.NtOne, syntax.NtOneloop, syntax.NtOnelazy, syntax.NtOneloopatomic:
		f.chars = asciiWhere(func(c rune) bool { return c == n.Ch }, fold)
		f.nullable = n.T != syntax.NtOne && n.M == 0
	case syntax.NtNotone, syntax.NtNotoneloop, syntax.NtNotonelazy, syntax.NtNotoneloopatomic:
		f.chars = asciiWhere(func(c rune) bool { return c != n.Ch }, fold)
		f.nullable = n.T != syntax.NtNotone && n.M == 0
	case syntax.NtSet, syntax.NtSetloop, syntax.NtSetlazy, syntax.NtSetloopatomic:
		f.chars = asciiWhere(n.Set.CharIn, fold)
		f.nullable = n.T != syntax.NtSet && n.M == 0
	case syntax.NtMulti:
		if len(n.Str) == 0 {
			return f, false
		}
		f.chars = asciiWhere(func(c rune) bool { return c == n.Str[0] }, fold)
	case syntax.NtBol, syntax.NtBeginning:
		f = first{nullable: true, empty: true, bol: true}
	case syntax.NtEol, syntax.NtBoundary, syntax.NtNonboundary, syntax.NtECMABoundary, syntax.NtNonECMABoundary,
		syntax.NtStart, syntax.NtEndZ, syntax.NtEnd, syntax.NtEmpty, syntax.NtNothing, syntax.NtUpdateBumpalong,
		syntax.NtPosLook, syntax.NtNegLook:
		f = first{nullable: true, empty: true}
	case syntax.NtCapture, syntax.NtGroup, syntax.NtAtomic:
		return firstOf(n.Children[0])
	case syntax.NtLoop, syntax.NtLazyloop:
		if f, ok = firstOf(n.Children[0]); !ok {
			return f, false
		}
		f.nullable = f.nullable || n.M == 0
		f.bol = f.bol && n.M > 0
	case syntax.NtConcatenate:
		f = first{nullable: true, empty: true}
		for _, c := range n.Children {
			cf, ok := firstOf(c)
			if !ok {
				return f, false
			}
			f.addChars(cf)
			f.bol = f.bol || f.empty && cf.bol // ^ counts only before any text
			f.empty = f.empty && cf.empty
			if !cf.nullable {
				f.nullable = false
				break
			}
		}
	case syntax.NtAlternate:
		f = first{empty: true, bol: true}
		for _, c := range n.Children {
			cf, ok := firstOf(c)
			if !ok {
				return f, false
			}
			f.addChars(cf)
			f.nullable = f.nullable || cf.nullable
			f.empty = f.empty && cf.empty
			f.bol = f.bol && cf.bol
		}
	default:
		return f, false
	}
	if n.Options&syntax.RightToLeft != 0 && n.T != syntax.NtPosLook && n.T != syntax.NtNegLook {
		return f, false
	}
	return f, true
}

// asciiWhere: the ASCII characters c for which match holds, or with fold
// for any case variant of c (regexp2 folds both at parse and at run time).
func asciiWhere(match func(rune) bool, fold bool) (set [2]uint64) {
	for c := range rune(128) {
		ok := match(c)
		if fold {
			ok = ok || match(unicode.ToLower(c)) || match(unicode.ToUpper(c))
			for v := unicode.SimpleFold(c); !ok && v != c; v = unicode.SimpleFold(v) {
				ok = match(v)
			}
		}
		if ok {
			set[c/64] |= 1 << (c % 64)
		}
	}
	return set
}

// match returns the first rule, in chroma's order, matching at pos, and
// its match.
func (st *stateProgram) match(text []rune, pos int) (int, *regexp2.Match) {
	c := text[pos]
	if c >= 128 {
		for i, r := range st.rules {
			if m := r.try(text, pos); m != nil {
				return i, m
			}
		}
		return -1, nil
	}
	row := st.ascii[int(c)*st.words : int(c+1)*st.words]
	for w, set := range row {
		for ; set != 0; set &= set - 1 {
			i := w*64 + bits.TrailingZeros64(set)
			if m := st.rules[i].try(text, pos); m != nil {
				return i, m
			}
		}
	}
	return -1, nil
}

// try is chroma's attempt at one rule, as regexp2 would run it.
func (r *ruleProgram) try(text []rune, pos int) *regexp2.Match {
	if len(text)-pos < r.minLen || r.bol && pos > 0 && text[pos-1] != '\n' {
		return nil
	}
	m, err := r.re.FindRunesMatchStartingAt(text, pos)
	if err != nil || m == nil || m.RuneIndex != pos {
		return nil
	}
	return m
}
