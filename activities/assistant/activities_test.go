package assistant

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/retrieval"
)

func newActs(t *testing.T) *Activities {
	t.Helper()
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Activities{Objects: objects, LLMConfigured: true}
}

func putIndex(t *testing.T, a *Activities, slug, name, json string) {
	t.Helper()
	err := storage.Scoped(a.Objects, slug).Put(context.Background(), retrieval.SearchIndexKey("default", "component", name), strings.NewReader(json), int64(len(json)), "application/json")
	if err != nil {
		t.Fatal(err)
	}
}

// Retrieval reads the asking tenant's storage only: B's question that
// matches A's words finds nothing.
func TestRetrieveOnlyOwnTenant(t *testing.T) {
	a := newActs(t)
	putIndex(t, a, "tenant-a", "handbook", `{"config":{},"docs":[{"location":"db/#create","title":"Creating a zebra database","text":"Ask the zebra operator for a database; canary-a-secret."}]}`)
	putIndex(t, a, "tenant-b", "manual", `{"config":{},"docs":[{"location":"intro/","title":"Intro","text":"Welcome to tenant B."}]}`)
	ctx := context.Background()
	got, err := a.AssistantRetrieve(ctx, RetrieveInput{Tenant: "tenant-a", Question: "zebra database", K: 3})
	if err != nil || len(got.Sections) != 1 || got.Sections[0].Location != "default/component/handbook/db/#create" || !strings.Contains(got.Sections[0].Text, "canary-a-secret") {
		t.Fatalf("A: %+v %v", got, err)
	}
	got, err = a.AssistantRetrieve(ctx, RetrieveInput{Tenant: "tenant-b", Question: "zebra database canary-a-secret", K: 3})
	if err != nil || len(got.Sections) != 0 || got.IndexSize != 1 {
		t.Fatalf("B retrieved %+v %v", got, err)
	}
	_, err = a.AssistantRetrieve(ctx, RetrieveInput{Tenant: "../tenant-a", Question: "zebra"})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != ErrTypeInvalidInput {
		t.Fatalf("bad slug: %v", err)
	}
}

const goodTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: web-app
spec:
  owner: team-a
  type: website
  parameters:
    - title: App
      required: [name, repoUrl]
      properties:
        name: {type: string}
        repoUrl: {type: string, ui:field: RepoUrlPicker}
        replicas: {type: integer, minimum: 2}
  steps:
    - id: publish
      action: publish:github
      input:
        repoUrl: ${{ parameters.repoUrl }}
        description: ${{ parameters.name }} with ${{ parameters.replicas }} replicas
    - id: log
      action: debug:log
      input:
        message: ${{ (parameters.repoUrl | parseRepoUrl).repo }}
  output:
    links:
      - url: ${{ steps.publish.output.remoteUrl }}
`

func TestValidateTemplate(t *testing.T) {
	a := newActs(t)
	ctx := context.Background()
	check := func(reply string) ValidateResult {
		t.Helper()
		r, err := a.AssistantValidateTemplate(ctx, ValidateInput{Tenant: "acme", Reply: reply, Round: 2})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := check("```yaml\n" + goodTemplate + "```")
	if !r.Valid || r.Name != "web-app" || r.Location != "templates/web-app/template.yaml" || !strings.HasPrefix(r.ProposalID, "2-") {
		t.Fatalf("good template: %+v", r)
	}
	for _, c := range []struct{ name, reply, want string }{
		{"not YAML", "I cannot do that.", "not a mapping"},
		{"old apiVersion", strings.Replace(goodTemplate, "scaffolder.backstage.io/v1beta3", "backstage.io/v1beta2", 1), "v1beta2 and older templates must be migrated"},
		{"unknown action", strings.Replace(goodTemplate, "debug:log", "shell:exec", 1), `action "shell:exec" is not a built-in or registered action`},
		{"local skeleton", strings.Replace(goodTemplate, "action: debug:log\n      input:\n", "action: fetch:template\n      input:\n        url: ./skeleton\n", 1), "does not exist in the template's location"},
		{"unknown filter", strings.Replace(goodTemplate, "parameters.name }}", "parameters.name | shout }}", 1), `unknown filter "shout"`},
		{"bad name", strings.Replace(goodTemplate, "name: web-app", "name: Web_App", 1), `metadata.name "Web_App"`},
		{"no steps", goodTemplate[:strings.Index(goodTemplate, "  steps:")], "at least one step"},
		{"dry run", strings.Replace(goodTemplate, "(parameters.repoUrl | parseRepoUrl).repo", "(parameters.name | parseRepoUrl).repo", 1), "dry run: step \"log\" input"},
	} {
		r := check(c.reply)
		if r.Valid || !strings.Contains(strings.Join(r.Problems, "\n"), c.want) {
			t.Errorf("%s: want a problem with %q, got %+v", c.name, c.want, r.Problems)
		}
	}
	// A different template of the same name is already there.
	if err := storage.Scoped(a.Objects, "acme").Put(ctx, TemplateKey("web-app"), strings.NewReader("other"), 5, ""); err != nil {
		t.Fatal(err)
	}
	if r := check(goodTemplate); r.Valid || !strings.Contains(r.Problems[0], "already has a template named") {
		t.Errorf("clash: %+v", r)
	}
}

func TestCommitTemplate(t *testing.T) {
	a := newActs(t)
	ctx := context.Background()
	in := CommitInput{Tenant: "acme", Name: "web-app", YAML: goodTemplate}
	r, err := a.AssistantCommitTemplate(ctx, in)
	if err != nil || !r.Created || r.Location != "templates/web-app/template.yaml" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := a.AssistantCommitTemplate(ctx, in); err != nil || r.Created {
		t.Fatalf("repeat: %+v %v", r, err)
	}
	in.YAML = strings.Replace(goodTemplate, "website", "service", 1)
	_, err = a.AssistantCommitTemplate(ctx, in)
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != ErrTypeTemplateExists || !ae.NonRetryable() {
		t.Fatalf("overwrite: %v", err)
	}
	// Only the tenant's own scope was written.
	objs, _ := a.Objects.List(ctx, "")
	if len(objs) != 1 || objs[0].Key != "tenants/acme/templates/web-app/template.yaml" {
		t.Fatalf("objects %+v", objs)
	}
}

func TestOwnedBy(t *testing.T) {
	sa := func(v string) *workflowpb.WorkflowExecutionInfo {
		p, _ := converter.GetDefaultDataConverter().ToPayload(v)
		return &workflowpb.WorkflowExecutionInfo{SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"RiggerTenant": p}}}
	}
	list := func(v ...string) *workflowpb.WorkflowExecutionInfo {
		p, _ := converter.GetDefaultDataConverter().ToPayload(v)
		return &workflowpb.WorkflowExecutionInfo{SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"RiggerTenant": p}}}
	}
	none := &workflowpb.WorkflowExecutionInfo{}
	for _, c := range []struct {
		info *workflowpb.WorkflowExecutionInfo
		wid  string
		want bool
	}{
		{sa("acme"), "onboard/acme", true},
		{sa("acme"), "billing/2026-10", true},
		{sa("other"), "onboard/acme", false},
		{list("acme"), "x", true},
		{none, "onboard/acme", true},
		{none, "scaffold/acme/r1", true},
		{none, "scaffold/acme-two/r1", false},
		{none, "acme", false},
		{none, "drill/2026-11-01", false},
	} {
		if got := OwnedBy(c.info, c.wid, "acme"); got != c.want {
			t.Errorf("OwnedBy(%s, %v) = %v", c.wid, c.info.GetSearchAttributes(), got)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	t.Setenv(EnvRepairRounds, "")
	s, err := SettingsFromEnv()
	if err != nil || s.RepairRounds != DefaultRepairRounds || s.ApprovalTimeout != DefaultApprovalTimeout || s.TopK != DefaultTopK {
		t.Fatalf("defaults %+v %v", s, err)
	}
	t.Setenv(EnvRepairRounds, "0")
	t.Setenv(EnvApprovalTimeout, "30m")
	t.Setenv(EnvTopK, "8")
	if s, err = SettingsFromEnv(); err != nil || s.RepairRounds != 0 || s.ApprovalTimeout != 30*time.Minute || s.TopK != 8 {
		t.Fatalf("%+v %v", s, err)
	}
	for k, v := range map[string]string{EnvRepairRounds: "many", EnvApprovalTimeout: "-1h", EnvTopK: "0"} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			if _, err := SettingsFromEnv(); err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%s=%s: %v", k, v, err)
			}
		})
	}
	a := &Activities{Settings: Settings{RepairRounds: 0, ApprovalTimeout: time.Minute}}
	r, _ := a.AssistantSettings(context.Background(), SettingsInput{})
	if r.RepairRounds != 0 || r.TopK != DefaultTopK || r.LLMConfigured || len(r.Actions) == 0 {
		t.Errorf("settings %+v", r)
	}
}

// With the action registry's schemas, the dry run checks each rendered
// input and gives later steps the example outputs of earlier ones.
func TestDryRunWithActionSchemas(t *testing.T) {
	schemas := map[string]ActionSchema{
		"publish:github": {
			Input: map[string]any{"type": "object", "required": []any{"repoUrl"}, "properties": map[string]any{
				"repoUrl": map[string]any{"type": "string"}, "description": map[string]any{"type": "string"}}},
			Output: map[string]any{"type": "object", "properties": map[string]any{"remoteUrl": map[string]any{"type": "string", "examples": []any{"https://github.com/o/r"}}}},
		},
		"debug:log": {Input: map[string]any{"type": "object", "properties": map[string]any{"message": map[string]any{"type": "string"}}}},
	}
	a := newActs(t)
	a.DryRunner = NewDryRunner(schemas)
	a.KnownActions = []string{"publish:github", "debug:log"}
	ctx := context.Background()
	r, err := a.AssistantValidateTemplate(ctx, ValidateInput{Tenant: "acme", Reply: goodTemplate})
	if err != nil || !r.Valid {
		t.Fatalf("good template: %+v %v", r, err)
	}
	bad := strings.Replace(goodTemplate, "repoUrl: ${{ parameters.repoUrl }}\n", "", 1)
	r, _ = a.AssistantValidateTemplate(ctx, ValidateInput{Tenant: "acme", Reply: bad})
	if r.Valid || !strings.Contains(strings.Join(r.Problems, "\n"), `step "publish" input: does not match the input schema of publish:github`) {
		t.Fatalf("missing repoUrl: %+v", r.Problems)
	}
	// A log message built from the publish step's output renders with its example.
	uses := strings.Replace(goodTemplate, "${{ (parameters.repoUrl | parseRepoUrl).repo }}", "${{ steps.publish.output.remoteUrl | replace('https://', '') }}", 1)
	if r, _ := a.AssistantValidateTemplate(ctx, ValidateInput{Tenant: "acme", Reply: uses}); !r.Valid {
		t.Fatalf("output example: %+v", r.Problems)
	}
}
