package retrieval

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func analyze(s string) []string {
	var out []string
	terms(s, func(t string, _, _ int) { out = append(out, t) })
	return out
}

func TestAnalyzer(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"How do I configure the plugins?", []string{"configur", "plugin"}},
		{"Configuring plugins", []string{"configur", "plugin"}},
		{"set site_dir in mkdocs.yml", []string{"set", "site", "dir", "site_dir", "mkdoc", "yml", "mkdocs.yml"}},
		{"run gh-deploy", []string{"run", "gh", "deploy", "gh-deploy"}},
		{"CreateChatCompletion", []string{"creat", "chat", "complet", "createchatcompletion"}},
		{"useDirectoryUrls", []string{"use", "directori", "url", "usedirectoryurls"}},
		{"HTTPServerError", []string{"http", "server", "error", "httpservererror"}},
		// Two humps are a name, not an identifier: no "mk"/"doc" noise.
		{"MkDocs on GitHub", []string{"mkdoc", "github"}},
		{"the 404 page, version 1.5.3", []string{"404", "page", "version", "1", "5", "3", "1.5.3"}},
		{"don't end sentences.", []string{"end", "sentenc"}},
		{"Überprüfung der Daten", []string{"überprüfung", "der", "daten"}},
		{"a b c", nil},
	} {
		if got := analyze(c.in); !slices.Equal(got, c.want) {
			t.Errorf("analyze(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAnalyzerSpans(t *testing.T) {
	s := "Use `site_dir`, see mkdocs.yml."
	terms(s, func(term string, start, end int) {
		if !strings.EqualFold(term, s[start:end]) && !strings.HasPrefix(strings.ToLower(s[start:end]), term) {
			t.Errorf("term %q from span %q", term, s[start:end])
		}
	})
}

func TestPlainText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain  text\n\nhere", "plain text here"},
		{"<p>Set <code>site</code>_dir &amp; go</p><p>next</p>", "Set site_dir & go next"},
		{"<h2 id=\"x\">Title</h2>body", "Title body"},
		{"a < b and c <= d", "a < b and c <= d"},
		{"keep<!-- hidden -->this", "keepthis"},
		{"<style>p{color:red}</style>shown<script>alert(1)</script> too", "shown too"},
		{"<pre><code>x = 1\ny = 2</code></pre>", "x = 1 y = 2"},
		{"unterminated <b", "unterminated"},
	} {
		if got := plainText(c.in); got != c.want {
			t.Errorf("plainText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzAnalyzer(f *testing.F) {
	for _, s := range []string{"site_dir mkdocs.yml", "<p>x</p>", "CreateChatCompletion", "é-ß.日本", "a'b’c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := plainText(s)
		if utf8.ValidString(s) && !utf8.ValidString(text) {
			t.Fatalf("plainText made invalid UTF-8 from %q", s)
		}
		terms(text, func(term string, start, end int) {
			if term == "" || start < 0 || end > len(text) || start >= end {
				t.Fatalf("bad term %q [%d,%d) of %q", term, start, end, text)
			}
		})
		_ = snippet(strings.Repeat(text+" ", 30), []string{"x"})
	})
}
