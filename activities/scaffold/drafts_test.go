package scaffold

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/activities/storage"
)

const draftTemplate = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: drafted-service
  title: Drafted service
spec:
  parameters:
    - title: Name
      required: [name]
      properties:
        name: {type: string}
  steps:
    - id: log
      name: Log
      action: debug:log
      input:
        message: hello ${{ parameters.name }}
`

// TestApprovedDraftsAreALocation: a template the assistant committed to
// the tenant's storage is found by name, and only for that tenant.
func TestApprovedDraftsAreALocation(t *testing.T) {
	ctx := context.Background()
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader(draftTemplate)
	if err := storage.Scoped(objects, "acme").Put(ctx, DraftsPrefix+"drafted-service/template.yaml", body, int64(body.Len()), "application/yaml"); err != nil {
		t.Fatal(err)
	}
	tpl := &Templates{Objects: objects}
	tmpl, src, fsys, err := tpl.Find(ctx, "acme", nil, "default", "drafted-service")
	if err != nil {
		t.Fatalf("find the approved draft: %v", err)
	}
	if tmpl.Metadata.Name != "drafted-service" || src.Type != "drafts" || fsys == nil {
		t.Fatalf("found %+v from %+v", tmpl.Metadata, src)
	}
	// A worker re-opens the run's source from its description alone.
	if _, err := tpl.Open(ctx, "acme", src); err != nil {
		t.Fatal(err)
	}
	// Another tenant does not see acme's drafts.
	if _, _, _, err := tpl.Find(ctx, "other", nil, "default", "drafted-service"); !errors.Is(err, ErrTemplateNotFound) {
		t.Fatalf("another tenant found acme's draft: %v", err)
	}
}
