package assistant

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExtractYAML(t *testing.T) {
	for _, c := range []struct{ name, reply, want string }{
		{"fenced yaml", "Sure!\n```yaml\nkind: Template\n```\nEnjoy.", "kind: Template\n"},
		{"yml with info", "```yml title=template.yaml\nkind: Template\n```", "kind: Template\n"},
		{"the block with a kind wins", "```sh\nnpm i\n```\n```\nkind: Template\nx: 1\n```", "kind: Template\nx: 1\n"},
		{"first block otherwise", "```json\n{}\n```", "{}\n"},
		{"bare reply", "  kind: Template\n", "kind: Template\n"},
	} {
		if got := ExtractYAML(c.reply); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCitations(t *testing.T) {
	secs := []Section{
		{Title: "Install", PageTitle: "Guide", Location: "default/component/x/guide/#install"},
		{Title: "Guide", PageTitle: "Guide", Location: "default/component/x/guide/"},
		{Title: "FAQ", Location: "default/component/x/faq/"},
	}
	got := Citations("Do this [3], then that [1][3]; ignore [9] and [0].", secs)
	if len(got) != 2 || got[0].Title != "FAQ" || got[1].Title != "Guide › Install" || got[1].URL != "/docs/default/component/x/guide/#install" {
		t.Errorf("cited %+v", got)
	}
	if got := Citations("No markers.", secs); len(got) != 3 || got[1].Title != "Guide" {
		t.Errorf("uncited answer: %+v", got)
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short", 10); got != "short" {
		t.Error(got)
	}
	s := strings.Repeat("word ", 100)
	got := Clip(s, 52)
	if !strings.HasSuffix(got, "…") || len(got) > 52+len("…") || strings.HasSuffix(strings.TrimSuffix(got, "…"), " ") {
		t.Errorf("%q", got)
	}
	multi := strings.Repeat("é", 100)
	if got := Clip(multi, 51); !utf8.ValidString(got) {
		t.Errorf("cut inside a rune: %q", got)
	}
}

func TestAskMessagesBoundContext(t *testing.T) {
	var secs []Section
	for range 20 {
		secs = append(secs, Section{Title: "T", Location: "l/", Text: strings.Repeat("lorem ipsum ", 500)})
	}
	msgs := AskMessages("acme", strings.Repeat("why ", 2000), secs)
	if len(msgs) != 2 || msgs[0].Role != "system" || !strings.Contains(msgs[0].Content, `"acme"`) {
		t.Fatalf("%+v", msgs[0])
	}
	if n := len(msgs[1].Content); n > MaxContextBytes+MaxQuestionBytes+20*100 {
		t.Errorf("prompt of %d bytes is not bounded", n)
	}
	if !strings.Contains(msgs[1].Content, "[20] T (/docs/l/)") {
		t.Error("later sections lost their headers")
	}
}

func TestRepairMessagesKeepHistory(t *testing.T) {
	start := DraftMessages("acme", "a service", []string{"fetch:template"})
	next := RepairMessages(start, "reply 1", []string{"problem A", "problem B"})
	if len(start) != 2 || len(next) != 4 || next[2].Role != "assistant" || next[2].Content != "reply 1" ||
		!strings.Contains(next[3].Content, "- problem A\n- problem B") {
		t.Fatalf("%+v", next)
	}
	if !strings.Contains(start[0].Content, "Use only these actions: fetch:template.") {
		t.Errorf("system prompt: %s", start[0].Content)
	}
}

func TestFormatRunSummary(t *testing.T) {
	s := RunSummary{WorkflowID: "onboard/acme", WorkflowType: "TenantOnboarding", RunID: "r1", Status: "Failed", Completed: 3,
		Failure:      &Failure{Message: "in activity TenantDBCreate: boom", Type: "TenantDBPermission", NonRetryable: true},
		Failures:     []StepFailure{{Activity: "TenantDBCreate", Attempt: 5, Failure: Failure{Message: "boom", Type: "TenantDBPermission"}}},
		AfterFailure: []StepOutcome{{Activity: "StorageDeletePrefix", Outcome: "failed", Error: "denied"}},
	}
	got := FormatRunSummary(s)
	for _, want := range []string{"Workflow onboard/acme (type TenantOnboarding, run r1) is Failed.", "- TenantDBCreate (after 5 attempts): [TenantDBPermission] boom",
		"- StorageDeletePrefix: failed (denied)", "(not retryable)", "Activities completed: 3."} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if !s.Failed() || (RunSummary{Status: "Completed"}).Failed() {
		t.Error("Failed()")
	}
}
