package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// testStore is the behaviour every Store must have; each backend, and the
// tenant-scoped view over each backend, runs it against a fresh, empty store.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("PutGetStat", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		put(t, s, "docs/index.html", "<h1>hi</h1>")
		if got := get(t, s, "docs/index.html"); got != "<h1>hi</h1>" {
			t.Fatalf("got %q", got)
		}
		info, err := s.Stat(ctx, "docs/index.html")
		if err != nil || info.Key != "docs/index.html" || info.Size != 11 {
			t.Fatalf("Stat = %+v, %v", info, err)
		}
		if age := time.Since(info.ModTime); age < -time.Minute || age > time.Minute {
			t.Fatalf("ModTime %v is not about now", info.ModTime)
		}
	})
	t.Run("Overwrite", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "a", "one")
		put(t, s, "a", "second")
		if got := get(t, s, "a"); got != "second" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("UnknownSize", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		body := strings.Repeat("x", 100_000)
		if err := s.Put(ctx, "big", iotest.HalfReader(strings.NewReader(body)), -1, "text/plain"); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "big"); got != body {
			t.Fatalf("got %d bytes, want %d", len(got), len(body))
		}
	})
	t.Run("FailedPutLeavesOldObject", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		put(t, s, "a/b", "old")
		broken := io.MultiReader(strings.NewReader("new"), iotest.ErrReader(errors.New("disk on fire")))
		if err := s.Put(ctx, "a/b", broken, -1, ""); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		if err := s.Put(ctx, "a/c", strings.NewReader("short"), 10, ""); err == nil {
			t.Fatal("Put with fewer bytes than size succeeded")
		}
		if got := get(t, s, "a/b"); got != "old" {
			t.Fatalf("object after failed overwrite = %q", got)
		}
		wantKeys(t, s, "", "a/b")
	})
	t.Run("Missing", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		put(t, s, "file", "x")
		for _, k := range []string{"nope", "dir/nope", "file/below"} {
			if _, err := s.Get(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q) = %v, want ErrNotFound", k, err)
			}
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrNotFound) {
				t.Errorf("Stat(%q) = %v, want ErrNotFound", k, err)
			}
			if err := s.Delete(ctx, k); err != nil {
				t.Errorf("Delete(%q) of a missing object = %v", k, err)
			}
		}
	})
	t.Run("ListIsRecursiveSortedAndDirectoryScoped", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		for _, k := range []string{"a/b/c", "a/x", "a-b", "ab/x", "z"} {
			put(t, s, k, k)
		}
		wantKeys(t, s, "", "a-b", "a/b/c", "a/x", "ab/x", "z")
		wantKeys(t, s, "a/", "a/b/c", "a/x")
		wantKeys(t, s, "a/b/", "a/b/c")
		wantKeys(t, s, "missing/")
		objs, err := s.List(ctx, "a/")
		if err != nil || objs[0].Size != int64(len("a/b/c")) || objs[0].ModTime.IsZero() {
			t.Fatalf("List entries lack size or time: %+v %v", objs, err)
		}
	})
	t.Run("DeleteAndDeletePrefix", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		for _, k := range []string{"p/1", "p/q/2", "p/q/3", "pq/4", "r"} {
			put(t, s, k, "x")
		}
		if err := s.Delete(ctx, "r"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "r"); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
		if n, err := s.DeletePrefix(ctx, "p/"); err != nil || n != 3 {
			t.Fatalf("DeletePrefix = %d, %v; want 3", n, err)
		}
		if n, err := s.DeletePrefix(ctx, "p/"); err != nil || n != 0 {
			t.Fatalf("second DeletePrefix = %d, %v; want 0", n, err)
		}
		wantKeys(t, s, "", "pq/4")
		// The store is usable where the deleted tree was.
		put(t, s, "p/q/again", "x")
		wantKeys(t, s, "p/", "p/q/again")
	})
	t.Run("UnusualButValidKeys", func(t *testing.T) {
		s := newStore(t)
		keys := []string{"..%2f..%2fx", "%2e%2e/y", "a..b/c", "...", "with space/ünïcode ✓", ".hidden", "x:y=z&w"}
		for _, k := range keys {
			put(t, s, k, k)
			if got := get(t, s, k); got != k {
				t.Errorf("%q: got %q", k, got)
			}
		}
		slices.Sort(keys)
		wantKeys(t, s, "", keys...)
	})
	t.Run("InvalidKeysTouchNothing", func(t *testing.T) {
		s, ctx := newStore(t), context.Background()
		for _, k := range badKeys {
			if err := s.Put(ctx, k, strings.NewReader("x"), 1, ""); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
			}
			if _, err := s.Get(ctx, k); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
			}
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Stat(%q) = %v, want ErrInvalidKey", k, err)
			}
			if err := s.Delete(ctx, k); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidKey", k, err)
			}
		}
		for _, p := range badPrefixes {
			if _, err := s.List(ctx, p); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("List(%q) = %v, want ErrInvalidKey", p, err)
			}
			if _, err := s.DeletePrefix(ctx, p); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("DeletePrefix(%q) = %v, want ErrInvalidKey", p, err)
			}
		}
		wantKeys(t, s, "")
	})
	t.Run("Cancelled", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Put(ctx, "a", strings.NewReader("x"), 1, ""); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
	})
}

var badKeys = []string{
	"", "/", "/abs", "/tenants/b/x", "../b/x", "a/../../b", "a/..", "..", ".", "./a", "a/./b",
	"a//b", "a/", `a\b`, `..\b`, "a\x00b", "a\nb", "a\x7fb", "\xff", ".rigger-tmp-123", "a/.rigger-tmp-x",
	strings.Repeat("k", MaxKeyLen+1),
}

var badPrefixes = []string{"a", "/", "/a/", "../", "a/../", "a//", `a\b/`, "a\x00/"}

func put(t *testing.T, s Store, key, body string) {
	t.Helper()
	if err := s.Put(context.Background(), key, strings.NewReader(body), int64(len(body)), "text/plain"); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s Store, key string) string {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, rc); err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b.String()
}

func wantKeys(t *testing.T, s Store, prefix string, want ...string) {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
	}
}
