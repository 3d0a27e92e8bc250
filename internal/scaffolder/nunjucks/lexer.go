package nunjucks

import (
	"strings"
	"unicode/utf8"
)

// The lexer follows nunjucks' lexer.js closely because whitespace handling and
// delimiter edge cases are visible in generated files: the same inputs must
// split into the same data and tag tokens.

type tokType uint8

const (
	tEOF tokType = iota
	tData
	tComment
	tBlockStart
	tBlockEnd
	tVarStart
	tVarEnd
	tString
	tInt
	tFloat
	tBool
	tNone
	tSymbol
	tRegex
	tOp // operators and punctuation: ( ) [ ] { } , : | . ~ + - * / // % ** = == === != !== < > <= >= !
)

type token struct {
	typ tokType
	val string
	// flags holds regex flags for tRegex.
	flags string
	pos   int // byte offset in the source, for error positions
}

// Tags are the delimiters of one environment.
type Tags struct {
	BlockStart, BlockEnd       string
	VariableStart, VariableEnd string
	CommentStart, CommentEnd   string
}

// BackstageTags are the delimiters Backstage configures: ${{ }} for variables
// so that plain {{ }} (Helm, GitHub Actions, Go templates) passes through.
var BackstageTags = Tags{"{%", "%}", "${{", "}}", "{#", "#}"}

// JinjaTags are nunjucks' defaults, used by cookiecutterCompat.
var JinjaTags = Tags{"{%", "%}", "{{", "}}", "{#", "#}"}

const (
	delimChars      = "()[]{}%*-+~/#,:|.<>=!"
	whitespaceChars = " \n\t\r\u00a0"
)

type lexer struct {
	src          string
	i            int
	inCode       bool
	tags         Tags
	trimBlocks   bool
	lstripBlocks bool
	beginChars   string
}

func newLexer(src string, tags Tags, trimBlocks, lstripBlocks bool) *lexer {
	return &lexer{
		src: src, tags: tags, trimBlocks: trimBlocks, lstripBlocks: lstripBlocks,
		beginChars: tags.BlockStart[:1] + tags.VariableStart[:1] + tags.CommentStart[:1] + tags.CommentEnd[:1],
	}
}

func (l *lexer) matches(s string) bool { return strings.HasPrefix(l.src[l.i:], s) }

func (l *lexer) extractString(s string) bool {
	if l.matches(s) {
		l.i += len(s)
		return true
	}
	return false
}

// column is the 0-based column of offset i within its line, in characters.
func (l *lexer) column(i int) int {
	start := strings.LastIndexByte(l.src[:i], '\n') + 1
	return utf8.RuneCountInString(l.src[start:i])
}

func (l *lexer) next() (token, error) {
	if l.i >= len(l.src) {
		return token{typ: tEOF, pos: l.i}, nil
	}
	if l.inCode {
		return l.nextCode()
	}
	return l.nextData()
}

func (l *lexer) nextCode() (token, error) {
	// Whitespace between code tokens carries no meaning; nunjucks emits and
	// then ignores it.
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		if !strings.ContainsRune(whitespaceChars, r) {
			break
		}
		l.i += size
	}
	start := l.i
	if l.i >= len(l.src) {
		return token{typ: tEOF, pos: l.i}, nil
	}
	c := l.src[l.i]
	switch {
	case c == '"' || c == '\'':
		return token{typ: tString, val: l.parseString(c), pos: start}, nil
	case l.extractString(l.tags.BlockEnd) || l.extractString("-"+l.tags.BlockEnd):
		l.inCode = false
		if l.trimBlocks {
			l.trimNewline()
		}
		return token{typ: tBlockEnd, val: l.src[start:l.i], pos: start}, nil
	case l.extractString(l.tags.VariableEnd) || l.extractString("-"+l.tags.VariableEnd):
		l.inCode = false
		return token{typ: tVarEnd, val: l.src[start:l.i], pos: start}, nil
	case c == 'r' && l.i+1 < len(l.src) && l.src[l.i+1] == '/':
		return l.parseRegex(), nil
	case strings.IndexByte(delimChars, c) >= 0:
		l.i++
		op := string(c)
		if l.i < len(l.src) {
			two := op + string(l.src[l.i])
			switch two {
			case "==", "!=", "<=", ">=", "//", "**":
				l.i++
				op = two
				if l.i < len(l.src) && (two == "==" || two == "!=") && l.src[l.i] == '=' {
					l.i++
					op += "="
				}
			}
		}
		return token{typ: tOp, val: op, pos: start}, nil
	}
	// A word: everything up to whitespace or a delimiter.
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		if strings.ContainsRune(whitespaceChars, r) || (r < utf8.RuneSelf && strings.IndexByte(delimChars, byte(r)) >= 0) {
			break
		}
		l.i += size
	}
	word := l.src[start:l.i]
	switch {
	case isInt(word):
		if l.i < len(l.src) && l.src[l.i] == '.' {
			l.i++
			d := l.i
			for l.i < len(l.src) && l.src[l.i] >= '0' && l.src[l.i] <= '9' {
				l.i++
			}
			return token{typ: tFloat, val: word + "." + l.src[d:l.i], pos: start}, nil
		}
		return token{typ: tInt, val: word, pos: start}, nil
	case word == "true" || word == "false":
		return token{typ: tBool, val: word, pos: start}, nil
	case word == "none" || word == "null":
		return token{typ: tNone, val: word, pos: start}, nil
	}
	return token{typ: tSymbol, val: word, pos: start}, nil
}

func isInt(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimNewline drops one newline after a block tag (the trimBlocks option).
func (l *lexer) trimNewline() {
	if l.matches("\n") {
		l.i++
	} else if l.matches("\r\n") {
		l.i += 2
	}
}

// parseString reads a quoted literal. nunjucks knows only \n, \t and \r;
// any other escaped character stands for itself.
func (l *lexer) parseString(quote byte) string {
	l.i++
	var b strings.Builder
	for l.i < len(l.src) && l.src[l.i] != quote {
		c := l.src[l.i]
		if c == '\\' && l.i+1 < len(l.src) {
			l.i++
			switch l.src[l.i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				_, size := utf8.DecodeRuneInString(l.src[l.i:])
				b.WriteString(l.src[l.i : l.i+size])
				l.i += size - 1
			}
			l.i++
			continue
		}
		b.WriteByte(c)
		l.i++
	}
	l.i++ // closing quote (or past the end)
	if l.i > len(l.src) {
		l.i = len(l.src)
	}
	return b.String()
}

func (l *lexer) parseRegex() token {
	start := l.i
	l.i += 2
	body := l.i
	for l.i < len(l.src) {
		if l.src[l.i] == '/' && l.src[l.i-1] != '\\' {
			break
		}
		l.i++
	}
	src := l.src[body:l.i]
	if l.i < len(l.src) {
		l.i++
	}
	f := l.i
	for l.i < len(l.src) && strings.IndexByte("gimy", l.src[l.i]) >= 0 {
		l.i++
	}
	return token{typ: tRegex, val: src, flags: l.src[f:l.i], pos: start}
}

func (l *lexer) nextData() (token, error) {
	start := l.i
	if l.extractString(l.tags.BlockStart+"-") || l.extractString(l.tags.BlockStart) {
		l.inCode = true
		return token{typ: tBlockStart, val: l.src[start:l.i], pos: start}, nil
	}
	if l.extractString(l.tags.VariableStart+"-") || l.extractString(l.tags.VariableStart) {
		l.inCode = true
		return token{typ: tVarStart, val: l.src[start:l.i], pos: start}, nil
	}
	inComment := l.extractString(l.tags.CommentStart)
	for {
		// Skip to the next character that could begin a tag.
		j := strings.IndexAny(l.src[l.i:], l.beginChars)
		if j < 0 {
			l.i = len(l.src)
			break
		}
		l.i += j
		if !inComment && (l.matches(l.tags.BlockStart) || l.matches(l.tags.VariableStart) || l.matches(l.tags.CommentStart)) {
			if l.lstripBlocks && l.matches(l.tags.BlockStart) {
				// Drop the indentation before a block tag that starts its line.
				lineStart := strings.LastIndexByte(l.src[:l.i], '\n') + 1
				if lineStart < l.i && lineStart >= start && isAllSpace(l.src[lineStart:l.i]) {
					if lineStart == start {
						return l.nextData()
					}
					return token{typ: tData, val: l.src[start:lineStart], pos: start}, nil
				}
			}
			return token{typ: tData, val: l.src[start:l.i], pos: start}, nil
		}
		if l.matches(l.tags.CommentEnd) {
			if !inComment {
				return token{}, &Error{Pos: l.i, Msg: "unexpected end of comment"}
			}
			l.i += len(l.tags.CommentEnd)
			return token{typ: tComment, val: l.src[start:l.i], pos: start}, nil
		}
		_, size := utf8.DecodeRuneInString(l.src[l.i:])
		l.i += size
	}
	if inComment {
		return token{}, &Error{Pos: start, Msg: "expected end of comment, got end of file"}
	}
	return token{typ: tData, val: l.src[start:l.i], pos: start}, nil
}

func isAllSpace(s string) bool {
	for _, r := range s {
		if !isJSSpace(r) {
			return false
		}
	}
	return s != ""
}

// isJSSpace is the \s class of JavaScript regular expressions.
func isJSSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// rawUntil returns the text up to the {% end<tag> %} matching an already
// consumed {% <tag> %}, and consumes that end tag. Like nunjucks it looks for
// literal "{%" and "%}" and allows nesting of the same tag.
func (l *lexer) rawUntil(tag string) (string, bool) {
	level := 1
	start := l.i
	k := l.i
	for {
		j := strings.Index(l.src[k:], "{%")
		if j < 0 {
			return "", false
		}
		tagStart := k + j
		p := tagStart + 2
		for p < len(l.src) && isJSSpace(rune(l.src[p])) {
			p++
		}
		name := ""
		switch {
		case strings.HasPrefix(l.src[p:], "end"+tag):
			name = "end" + tag
		case strings.HasPrefix(l.src[p:], tag):
			name = tag
		}
		if name == "" {
			k = tagStart + 2
			continue
		}
		q := p + len(name)
		for q < len(l.src) && isJSSpace(rune(l.src[q])) {
			q++
		}
		if !strings.HasPrefix(l.src[q:], "%}") {
			k = tagStart + 2
			continue
		}
		if name == tag {
			level++
		} else {
			level--
		}
		k = q + 2
		if level == 0 {
			l.i = k
			l.inCode = false
			return l.src[start:tagStart], true
		}
	}
}
