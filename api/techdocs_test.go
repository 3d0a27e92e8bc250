package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/activities/storage"
)

func TestServeTechDocsStaticScopesAndTypes(t *testing.T) {
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func(slug, key, body string) {
		if err := storage.Scoped(objects, slug).Put(ctx, key, strings.NewReader(body), int64(len(body)), ""); err != nil {
			t.Fatal(err)
		}
	}
	put("acme", "techdocs/default/component/payments/index.html", "<h1>acme</h1>")
	put("acme", "techdocs/default/component/payments/guide/index.html", "<h1>guide</h1>")
	put("acme", "techdocs/default/component/payments/assets/site.css", "body{}")
	put("acme", "techdocs/default/component/payments/img/logo.svg", "<svg/>")
	put("acme", "techdocs-staging/default/component/payments/abc/index.html", "staged")
	put("other", "techdocs/default/component/payments/index.html", "<h1>other tenant</h1>")

	s := &Server{Logger: slog.New(slog.DiscardHandler), TechDocs: TechDocsOptions{Objects: objects}}
	serve := func(p *Principal, path, query string) (int, string, string) {
		r := httptest.NewRequest("GET", "/api/techdocs/static/docs/default/component/payments/x"+query, nil)
		r.SetPathValue("namespace", "Default")
		r.SetPathValue("kind", "Component")
		r.SetPathValue("name", "Payments")
		r.SetPathValue("path", path)
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		w := httptest.NewRecorder()
		s.serveTechDocsStatic(w, r)
		return w.Code, w.Header().Get("Content-Type"), w.Body.String()
	}
	acme := &Principal{Tenant: "acme", Scopes: []string{"read"}}
	for _, tc := range []struct {
		path, query string
		p           *Principal
		code        int
		ctype, body string
	}{
		{"index.html", "", acme, 200, "text/html; charset=utf-8", "<h1>acme</h1>"},
		{"", "", acme, 200, "text/html; charset=utf-8", "<h1>acme</h1>"},
		{"guide/", "", acme, 200, "text/html; charset=utf-8", "<h1>guide</h1>"},
		{"guide", "", acme, 200, "text/html; charset=utf-8", "<h1>guide</h1>"},
		{"assets/site.css", "", acme, 200, "text/css; charset=utf-8", "body{}"},
		{"img/logo.svg", "", acme, 200, "image/svg+xml", "<svg/>"},
		{"missing.html", "", acme, 404, "", ""},
		// Keys that would leave the site are refused by key validation,
		// exactly like missing files.
		{"../../../../techdocs-staging/default/component/payments/abc/index.html", "", acme, 404, "", ""},
		{"../../../../../other/techdocs/default/component/payments/index.html", "", acme, 404, "", ""},
		{"/etc/passwd", "", acme, 404, "", ""},
		{"a/./b", "", acme, 404, "", ""},
		{"a\\..\\b", "", acme, 404, "", ""},
		// Another tenant's site, by name: 404.
		{"index.html", "?tenant=other", acme, 404, "", ""},
		{"index.html", "?tenant=other", &Principal{Admin: true}, 200, "text/html; charset=utf-8", "<h1>other tenant</h1>"},
		{"index.html", "", &Principal{Admin: true}, 400, "", ""},
		{"index.html", "", &Principal{Tenant: "acme"}, 403, "", ""},
	} {
		code, ctype, body := serve(tc.p, tc.path, tc.query)
		if code != tc.code || (tc.ctype != "" && ctype != tc.ctype) || (tc.body != "" && body != tc.body) {
			t.Errorf("%q%s = %d %q %.60q, want %d %q %q", tc.path, tc.query, code, ctype, body, tc.code, tc.ctype, tc.body)
		}
	}
}

func TestPlainRelPath(t *testing.T) {
	for p, ok := range map[string]bool{"docs": true, "a/b": true, "a/b/": true, "": false, "/a": false, "a/../b": false, "..": false,
		"./a": false, "a//b": false, `a\b`: false, "a\x00": false} {
		if plainRelPath(p) != ok {
			t.Errorf("plainRelPath(%q) = %v", p, !ok)
		}
	}
}
