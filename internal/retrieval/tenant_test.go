package retrieval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/retrieval"
)

func newLocalStore(t *testing.T) *storage.Local {
	t.Helper()
	s, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// publish writes a site's search_index.json where the TechDocs publisher
// puts it, straight into the bucket (not through a scope).
func publish(t *testing.T, s storage.Store, slug, ns, kind, name string, docs []retrieval.Document) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"config": map[string]any{"lang": []string{"en"}}, "docs": docs})
	if err != nil {
		t.Fatal(err)
	}
	key := "tenants/" + slug + "/" + retrieval.SearchIndexKey(ns, kind, name)
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), "application/json"); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s storage.Store, key, body string) {
	t.Helper()
	if err := s.Put(context.Background(), key, strings.NewReader(body), int64(len(body)), ""); err != nil {
		t.Fatal(err)
	}
}

func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	s := newLocalStore(t)
	publish(t, s, "acme", "default", "component", "payments", []retrieval.Document{
		{Location: "#databases", Title: "Databases", Text: "Request a PostgreSQL database with the acme-db template."},
	})
	// The other tenant's secrets share words with acme's questions, and
	// sit under a slug that extends acme's ("acme-corp").
	secret := "Globex master password rotation: the vault token is stored in PostgreSQL database globex-secrets."
	publish(t, s, "globex", "default", "component", "vault", []retrieval.Document{
		{Location: "#rotation", Title: "Database password rotation", Text: secret},
	})
	publish(t, s, "acme-corp", "default", "component", "billing", []retrieval.Document{
		{Location: "", Title: "Billing database", Text: "acme-corp billing database password."},
	})
	// Not an index: another page under the site, and a stray file.
	put(t, s, "tenants/acme/techdocs/default/component/payments/index.html", "<p>database password</p>")
	put(t, s, "tenants/acme/techdocs/default/component/payments/guide/search/search_index.json/x", "{}")

	for _, load := range []func(context.Context, storage.Store, string) (*retrieval.Index, error){
		retrieval.LoadTenantIndex, retrieval.CachedTenantIndex, retrieval.CachedTenantIndex, // 2nd: from cache
	} {
		ix, err := load(ctx, s, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if ix.Len() != 1 {
			t.Fatalf("acme's index has %d documents, want its 1", ix.Len())
		}
		for _, q := range []string{"database password rotation", "vault token", "globex", secret, "billing database"} {
			for _, h := range ix.Search(q, 10) {
				if !strings.HasPrefix(h.Location, "default/component/payments/") || strings.Contains(h.Text, "globex") || strings.Contains(h.Text, "billing") {
					t.Fatalf("acme's query %q returned another tenant's document %+v", q, h)
				}
			}
		}
		hits := ix.Search("How do I get a database?", 3)
		if len(hits) != 1 || hits[0].Location != "default/component/payments/#databases" {
			t.Fatalf("acme's own doc: %+v", hits)
		}
	}
	if _, err := retrieval.LoadTenantIndex(ctx, s, "../globex"); err == nil {
		t.Error("an invalid slug was accepted")
	}
}

func TestCachedTenantIndexFollowsPublishing(t *testing.T) {
	ctx := context.Background()
	s := newLocalStore(t)
	publish(t, s, "acme", "default", "component", "a", []retrieval.Document{{Location: "", Title: "Alpha", Text: "alpha service"}})
	ix, err := retrieval.CachedTenantIndex(ctx, s, "acme")
	if err != nil || ix.Len() != 1 {
		t.Fatalf("first build: %v, %v", ix, err)
	}
	if _, err := s.Stat(ctx, "tenants/acme/"+retrieval.CacheKey); err != nil {
		t.Fatalf("cache not written: %v", err)
	}
	publish(t, s, "acme", "default", "component", "b", []retrieval.Document{{Location: "", Title: "Beta", Text: "beta service"}})
	ix, err = retrieval.CachedTenantIndex(ctx, s, "acme")
	if err != nil || len(ix.Search("beta", 1)) != 1 {
		t.Fatalf("new site not picked up: %v", err)
	}
	// A corrupt cache is rebuilt, not an error.
	put(t, s, "tenants/acme/"+retrieval.CacheKey, "garbage")
	if ix, err = retrieval.CachedTenantIndex(ctx, s, "acme"); err != nil || ix.Len() != 2 {
		t.Fatalf("after corrupt cache: %v, %v", ix, err)
	}
	// A broken site is skipped; the others still answer.
	put(t, s, "tenants/acme/"+retrieval.SearchIndexKey("default", "component", "c"), "{not json")
	if ix, err = retrieval.LoadTenantIndex(ctx, s, "acme"); err != nil || ix.Len() != 2 {
		t.Fatalf("with a broken site: %v, %v", ix, err)
	}
}
