package assistant

import (
	"fmt"
	"regexp"
	"strings"
)

// MaxDescriptionBytes bounds a draft request's description.
const MaxDescriptionBytes = 4000

// TemplateNameRE is what a drafted template's metadata.name must match: a
// Kubernetes-style name, so it is safe as a storage path segment and as a
// catalog entity name.
var TemplateNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

const draftSystem = `You write Backstage software templates for the developer portal of the tenant %q.
Reply with exactly one YAML document, a complete template, inside a single ` + "```yaml" + ` code block, and nothing else.
Rules:
- apiVersion: scaffolder.backstage.io/v1beta3 and kind: Template.
- metadata.name: lowercase letters, digits and dashes (at most 63), unique and descriptive; give a metadata.title and metadata.description.
- spec.owner and spec.type (service, website, library, ...).
- spec.parameters: one or more JSON Schema (draft 7) pages of type object, with required fields and a title.
- spec.steps: each with an id, a name, an action and an input. Use only these actions: %s.
- Expressions use ${{ }} syntax, for example ${{ parameters.name }} or ${{ steps['publish'].output.remoteUrl }}; only Backstage's filters (parseRepoUrl, parseEntityRef, pick, projectSlug) and nunjucks built-ins.
- Only template.yaml is stored: fetch:template and fetch:plain must fetch an absolute https:// URL, never a local path such as ./skeleton.
- spec.output may link to what the template created.`

// DraftMessages starts a draft conversation.
func DraftMessages(tenant, description string, actions []string) []Message {
	return []Message{
		{Role: "system", Content: fmt.Sprintf(draftSystem, tenant, strings.Join(actions, ", "))},
		{Role: "user", Content: "Draft a template for this request:\n\n" + Clip(description, MaxDescriptionBytes)},
	}
}

// RepairMessages continues a draft conversation after a reply that did not
// validate: the reply, then the problems the scaffolder found.
func RepairMessages(msgs []Message, reply string, problems []string) []Message {
	var b strings.Builder
	b.WriteString("That template does not validate. The scaffolder reported:\n")
	for _, p := range problems {
		b.WriteString("- ")
		b.WriteString(Clip(p, 500))
		b.WriteString("\n")
	}
	b.WriteString("\nReply with the corrected, complete template in one ```yaml code block and nothing else.")
	out := append([]Message(nil), msgs...)
	return append(out, Message{Role: "assistant", Content: reply}, Message{Role: "user", Content: b.String()})
}

var fenceRE = regexp.MustCompile("(?s)```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(.*?)```")

// ExtractYAML pulls the template out of a model's reply: the first fenced
// block labelled yaml/yml (or unlabelled) that mentions a kind, else the
// first fenced block, else the whole reply.
func ExtractYAML(reply string) string {
	blocks := fenceRE.FindAllStringSubmatch(reply, -1)
	for _, b := range blocks {
		lang := strings.ToLower(b[1])
		if (lang == "yaml" || lang == "yml" || lang == "") && strings.Contains(b[2], "kind:") {
			return strings.TrimSpace(b[2]) + "\n"
		}
	}
	if len(blocks) > 0 {
		return strings.TrimSpace(blocks[0][2]) + "\n"
	}
	return strings.TrimSpace(reply) + "\n"
}
