package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestTenantIsolation: whatever key tenant A's view is given, it cannot read,
// list, overwrite or delete tenant B's objects.
func TestTenantIsolation(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			base, ctx := b.new(t), context.Background()
			a, bb := Scoped(base, "alpha"), Scoped(base, "bravo")
			// Shares A's slug as a prefix of its name, not of its directory.
			ax := Scoped(base, "alpha-x")
			put(t, bb, "x", "bravo's")
			put(t, bb, "docs/y", "bravo's")
			put(t, ax, "z", "alpha-x's")
			put(t, base, "outside", "operator's")

			escapes := []string{
				"../bravo/x", "../../tenants/bravo/x", "..%2fbravo%2fx", "..%2f..%2ftenants%2fbravo%2fx",
				"/tenants/bravo/x", "tenants/bravo/x", `..\bravo\x`, "./../bravo/x", "../alpha-x/z", "../../outside",
			}
			for _, k := range escapes {
				if _, err := a.Get(ctx, k); err == nil {
					t.Errorf("A read %q", k)
				}
				if err := a.Delete(ctx, k); err != nil && !errors.Is(err, ErrInvalidKey) {
					t.Errorf("Delete(%q): %v", k, err)
				}
				// A write either is rejected or lands inside A's prefix.
				if err := a.Put(ctx, k, strings.NewReader("A"), 1, ""); err == nil {
					inside, err := base.Stat(ctx, "tenants/alpha/"+k)
					if err != nil {
						t.Errorf("Put(%q) accepted but not found under A's prefix: %v", k, err)
					} else if inside.Key != "tenants/alpha/"+k {
						t.Errorf("Put(%q) stored as %q", k, inside.Key)
					}
				}
			}
			for _, p := range []string{"../", "../bravo/", "/tenants/", "../../"} {
				if _, err := a.List(ctx, p); !errors.Is(err, ErrInvalidKey) {
					t.Errorf("List(%q) = %v, want ErrInvalidKey", p, err)
				}
				if _, err := a.DeletePrefix(ctx, p); !errors.Is(err, ErrInvalidKey) {
					t.Errorf("DeletePrefix(%q) = %v, want ErrInvalidKey", p, err)
				}
			}
			// Everything A lists is an object under A's own prefix.
			for _, o := range mustList(t, a, "") {
				if _, err := base.Stat(ctx, "tenants/alpha/"+o.Key); err != nil {
					t.Errorf("A lists %q, which is not under tenants/alpha/: %v", o.Key, err)
				}
			}
			if _, err := a.DeletePrefix(ctx, ""); err != nil {
				t.Fatal(err)
			}
			wantKeys(t, a, "")
			// B, alpha-x and the rest of the bucket are untouched.
			wantKeys(t, base, "", "outside", "tenants/alpha-x/z", "tenants/bravo/docs/y", "tenants/bravo/x")
			if get(t, bb, "x") != "bravo's" || get(t, bb, "docs/y") != "bravo's" ||
				get(t, ax, "z") != "alpha-x's" || get(t, base, "outside") != "operator's" {
				t.Fatal("another tenant's object changed")
			}
		})
	}
}

func TestScopedKeysLandUnderThePrefix(t *testing.T) {
	base := newLocalStore(t)
	s := Scoped(base, "acme")
	put(t, s, "..%2fbravo/x", "v")
	put(t, s, "docs/index.html", "v")
	wantKeys(t, base, "", "tenants/acme/..%2fbravo/x", "tenants/acme/docs/index.html")
	wantKeys(t, s, "", "..%2fbravo/x", "docs/index.html")
	wantKeys(t, s, "docs/", "docs/index.html")
	info, err := s.Stat(context.Background(), "docs/index.html")
	if err != nil || info.Key != "docs/index.html" {
		t.Fatalf("Stat = %+v, %v; want the scoped key", info, err)
	}
}

func TestScopedWithInvalidSlugRefusesEverything(t *testing.T) {
	base, ctx := newLocalStore(t), context.Background()
	for _, slug := range []string{"", "..", "../b", "b/c", "B", "a b", "ab"} {
		s := Scoped(base, slug)
		if err := s.Put(ctx, "x", strings.NewReader("x"), 1, ""); err == nil {
			t.Errorf("slug %q: Put accepted", slug)
		}
		if _, err := s.Get(ctx, "x"); err == nil {
			t.Errorf("slug %q: Get accepted", slug)
		}
		if _, err := s.Stat(ctx, "x"); err == nil {
			t.Errorf("slug %q: Stat accepted", slug)
		}
		if _, err := s.List(ctx, ""); err == nil {
			t.Errorf("slug %q: List accepted", slug)
		}
		if err := s.Delete(ctx, "x"); err == nil {
			t.Errorf("slug %q: Delete accepted", slug)
		}
		if _, err := s.DeletePrefix(ctx, ""); err == nil {
			t.Errorf("slug %q: DeletePrefix accepted", slug)
		}
	}
	wantKeys(t, base, "")
}

func mustList(t *testing.T, s Store, prefix string) []ObjectInfo {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return objs
}
