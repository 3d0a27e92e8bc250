package storage

import (
	"context"
	"testing"
)

func TestStorageActivities(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			base, ctx := b.new(t), context.Background()
			a := &Activities{Store: base}
			put(t, Scoped(base, "bravo"), "keep", "b")

			res, err := a.StorageCreatePrefix(ctx, CreatePrefixInput{Slug: "acme", DisplayName: "Acme Corp"})
			if err != nil || res != (CreatePrefixResult{Prefix: "tenants/acme/", Created: true}) {
				t.Fatalf("first create: %+v %v", res, err)
			}
			want := "{\n  \"version\": 1,\n  \"tenant\": \"acme\",\n  \"displayName\": \"Acme Corp\",\n  \"prefix\": \"tenants/acme/\"\n}\n"
			if got := get(t, base, "tenants/acme/.rigger-tenant.json"); got != want {
				t.Fatalf("marker = %q, want %q", got, want)
			}
			res, err = a.StorageCreatePrefix(ctx, CreatePrefixInput{Slug: "acme", DisplayName: "Acme Corp"})
			if err != nil || res != (CreatePrefixResult{Prefix: "tenants/acme/", Created: false}) {
				t.Fatalf("second create: %+v %v", res, err)
			}
			if got := get(t, base, "tenants/acme/.rigger-tenant.json"); got != want {
				t.Fatalf("marker changed on repeat: %q", got)
			}

			put(t, Scoped(base, "acme"), "docs/index.html", "x")
			del, err := a.StorageDeletePrefix(ctx, DeletePrefixInput{Slug: "acme"})
			if err != nil || del.Deleted != 2 {
				t.Fatalf("delete: %+v %v, want 2 objects", del, err)
			}
			del, err = a.StorageDeletePrefix(ctx, DeletePrefixInput{Slug: "acme"})
			if err != nil || del.Deleted != 0 {
				t.Fatalf("second delete: %+v %v", del, err)
			}
			wantKeys(t, base, "", "tenants/bravo/keep")
		})
	}
}

func TestStorageActivitiesRejectBadInput(t *testing.T) {
	ctx := context.Background()
	a := &Activities{Store: newLocalStore(t)}
	for _, slug := range []string{"", "../bravo", "a/b", "Acme", "x"} {
		_, err := a.StorageCreatePrefix(ctx, CreatePrefixInput{Slug: slug})
		wantAppError(t, err, ErrTypeInvalidSlug, true)
		_, err = a.StorageDeletePrefix(ctx, DeletePrefixInput{Slug: slug})
		wantAppError(t, err, ErrTypeInvalidSlug, true)
	}
	wantKeys(t, a.Store, "")
	var none Activities
	_, err := none.StorageCreatePrefix(ctx, CreatePrefixInput{Slug: "acme"})
	wantAppError(t, err, ErrTypeNotConfigured, true)
}
