package assistant

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Message is one chat message (the llm activity's shape, without importing
// it: this package stays free of Temporal).
type Message struct {
	Role    string
	Content string
}

// Section is one retrieved documentation section as the prompt shows it.
type Section struct {
	Title     string `json:"title"`
	PageTitle string `json:"pageTitle,omitempty"`
	// Location is "<namespace>/<kind>/<name>/<page>/#<anchor>", relative to
	// the portal's /docs/.
	Location string `json:"location"`
	Text     string `json:"text"`
}

// Citation is a page an answer used.
type Citation struct {
	Title    string `json:"title"`
	Location string `json:"location"`
	// URL is the portal path of the section (/docs/<location>).
	URL string `json:"url"`
}

// Limits on what goes into a prompt: enough context for an answer, bounded
// so a huge section cannot crowd out the others or blow the budget.
const (
	MaxSectionBytes  = 1500
	MaxContextBytes  = 8000
	MaxQuestionBytes = 2000
)

// DocsURL is the portal path of a TechDocs location.
func DocsURL(location string) string { return "/docs/" + strings.TrimPrefix(location, "/") }

// SectionTitle reads "Page › Section" when the section is not the page.
func SectionTitle(s Section) string {
	if s.PageTitle != "" && s.PageTitle != s.Title {
		return s.PageTitle + " › " + s.Title
	}
	return s.Title
}

const askSystem = `You are the developer-portal assistant of the tenant %q. Answer the user's question using only the numbered documentation excerpts provided. Cite every excerpt you rely on with its number in square brackets, for example [1] or [2][3]. If the excerpts do not contain the answer, say that the documentation does not cover it instead of guessing. Be concise and practical.`

// AskMessages builds the "ask the docs" prompt: the excerpts numbered from
// 1, each bounded, then the question.
func AskMessages(tenant, question string, sections []Section) []Message {
	var b strings.Builder
	b.WriteString("Documentation excerpts:\n")
	budget := MaxContextBytes
	for i, s := range sections {
		text := Clip(s.Text, min(MaxSectionBytes, budget))
		budget -= len(text)
		b.WriteString(fmt.Sprintf("\n[%d] %s (%s)\n%s\n", i+1, SectionTitle(s), DocsURL(s.Location), text))
	}
	if len(sections) == 0 {
		b.WriteString("\n(none: no published documentation matched the question)\n")
	}
	b.WriteString("\nQuestion: ")
	b.WriteString(Clip(question, MaxQuestionBytes))
	return []Message{
		{Role: "system", Content: fmt.Sprintf(askSystem, tenant)},
		{Role: "user", Content: b.String()},
	}
}

var citeRE = regexp.MustCompile(`\[(\d{1,2})\]`)

// Citations lists the sections an answer cites with [n] markers, in the
// order first cited; an answer that cites none is given every section it
// was shown, as its sources.
func Citations(answer string, sections []Section) []Citation {
	var out []Citation
	seen := map[int]bool{}
	for _, m := range citeRE.FindAllStringSubmatch(answer, -1) {
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(sections) || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, cite(sections[n-1]))
	}
	if len(out) == 0 {
		for _, s := range sections {
			out = append(out, cite(s))
		}
	}
	return out
}

func cite(s Section) Citation {
	return Citation{Title: SectionTitle(s), Location: s.Location, URL: DocsURL(s.Location)}
}

// Clip cuts s to at most n bytes at a space (or a rune boundary), marking
// the cut with "…".
func Clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > n/2 {
		cut = sp
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
