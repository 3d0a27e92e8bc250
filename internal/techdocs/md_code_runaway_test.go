package techdocs

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

// TestRunawayLexerFallsBackToPlainText: chroma's JSONata lexer emits empty
// tokens forever on some input; the page must still build, with that block
// as plain text, and other blocks still highlighted.
func TestRunawayLexerFallsBackToPlainText(t *testing.T) {
	lexer := lexerFor("jsonata")
	if lexer == nil {
		t.Skip("this chroma has no JSONata lexer")
	}
	code := "$x := é\n"
	done := make(chan string, 1)
	go func() {
		var b strings.Builder
		w := bufio.NewWriter(&b)
		writeHighlighted(w, code, fenceInfo{Lang: "jsonata"})
		_ = w.Flush()
		done <- b.String()
	}()
	select {
	case out := <-done:
		if !strings.Contains(out, "<code>$x := é\n</code>") {
			t.Fatalf("runaway block not rendered as plain text: %s", out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("highlighting a JSONata block never finished")
	}
	// The budget must not cut short a lexer that works.
	var b strings.Builder
	w := bufio.NewWriter(&b)
	if !writeTokens(w, lexerFor("python"), strings.Repeat("def f(a, b='x'):\n    return a  # c\n", 200)) {
		t.Fatal("python highlighting hit the runaway budget")
	}
}
