package assistant

import (
	"context"
	"strings"

	"github.com/rigger-platform/rigger/internal/assistant"
	"github.com/rigger-platform/rigger/internal/retrieval"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// RetrieveInput asks for the sections of the tenant's published TechDocs
// that best answer Question.
type RetrieveInput struct {
	Tenant   string
	Question string
	K        int
}

// RetrieveResult holds the sections, best first, with their text bounded
// for a prompt, and how many sections the tenant's index holds.
type RetrieveResult struct {
	Sections  []assistant.Section
	IndexSize int
}

// maxRetrieveK bounds K whatever the caller asks.
const maxRetrieveK = 20

// AssistantRetrieve searches the tenant's own search indexes only:
// retrieval.CachedTenantIndex reads through storage.Scoped(Objects,
// tenant), which cannot name another tenant's objects.
func (a *Activities) AssistantRetrieve(ctx context.Context, in RetrieveInput) (RetrieveResult, error) {
	if err := tenant.ValidateSlug(in.Tenant); err != nil {
		return RetrieveResult{}, invalid("tenant: %v", err)
	}
	if strings.TrimSpace(in.Question) == "" {
		return RetrieveResult{}, invalid("empty question")
	}
	if a.Objects == nil {
		return RetrieveResult{}, notConfigured("no object storage to read TechDocs from")
	}
	k := in.K
	if k <= 0 {
		k = DefaultTopK
	}
	k = min(k, maxRetrieveK)
	ix, err := retrieval.CachedTenantIndex(ctx, a.Objects, in.Tenant)
	if err != nil {
		return RetrieveResult{}, err // storage trouble: retryable
	}
	hits := ix.Search(assistant.Clip(in.Question, assistant.MaxQuestionBytes), k)
	out := RetrieveResult{IndexSize: ix.Len(), Sections: make([]assistant.Section, 0, len(hits))}
	for _, h := range hits {
		out.Sections = append(out.Sections, assistant.Section{
			Title: h.Title, PageTitle: h.PageTitle, Location: h.Location, Text: sectionText(h),
		})
	}
	return out, nil
}

// sectionText is the start of the section, plus the passage that matched
// the question when that lies beyond the cut.
func sectionText(h retrieval.Hit) string {
	text := assistant.Clip(h.Text, assistant.MaxSectionBytes)
	snip := strings.Trim(h.Snippet, "… ")
	if snip != "" && !strings.Contains(text, snip) {
		text = assistant.Clip(h.Text, assistant.MaxSectionBytes-len(snip)-8) + "\n… " + snip
	}
	return text
}
