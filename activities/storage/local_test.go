package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// A symlink planted inside the root (by an operator or an attacker with disk
// access) must not let the store read or write outside the root.
func TestLocalRefusesSymlinksThatEscape(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must(t, os.MkdirAll(filepath.Join(dir, "tenants/a"), 0o750))
	must(t, os.Symlink(outside, filepath.Join(dir, "tenants/a/dirlink")))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "tenants/a/filelink")))
	must(t, os.Symlink("../../../"+filepath.Base(outside), filepath.Join(dir, "tenants/a/rellink")))
	ctx := context.Background()

	for _, k := range []string{"tenants/a/dirlink/secret", "tenants/a/filelink", "tenants/a/rellink/secret"} {
		if rc, err := s.Get(ctx, k); err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			t.Errorf("Get(%q) read %q from outside the root", k, b)
		}
		if _, err := s.Stat(ctx, k); err == nil {
			t.Errorf("Stat(%q) followed the link", k)
		}
	}
	for _, k := range []string{"tenants/a/dirlink/new", "tenants/a/dirlink/sub/new"} {
		if err := s.Put(ctx, k, strings.NewReader("x"), 1, ""); err == nil {
			t.Errorf("Put(%q) wrote through the link", k)
		}
	}
	wantKeys(t, s, "") // links are not objects
	if _, err := s.DeletePrefix(ctx, "tenants/"); err != nil {
		t.Fatal(err)
	}
	// Deleting a link key removes the link, never its target.
	must(t, s.Delete(ctx, "tenants/a/filelink"))
	if b, err := os.ReadFile(filepath.Join(outside, "secret")); err != nil || string(b) != "outside" {
		t.Fatalf("target changed: %q %v", b, err)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Fatalf("outside dir now has %d entries", len(entries))
	}
}

func TestLocalLeavesNoTempFilesOrEmptyDirs(t *testing.T) {
	dir := t.TempDir()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	put(t, s, "tenants/a/docs/x", "v")
	// A failed write cleans up its temp file.
	_ = s.Put(ctx, "tenants/a/docs/y", iotest.ErrReader(errors.New("boom")), -1, "")
	entries, _ := os.ReadDir(filepath.Join(dir, "tenants/a/docs"))
	if len(entries) != 1 || entries[0].Name() != "x" {
		t.Fatalf("directory holds %v", entries)
	}
	// A temp file left by a crash is not an object.
	must(t, os.WriteFile(filepath.Join(dir, "tenants/a/docs", tempPrefix+"dead"), []byte("partial"), 0o600))
	wantKeys(t, s, "", "tenants/a/docs/x")

	must(t, os.Remove(filepath.Join(dir, "tenants/a/docs", tempPrefix+"dead")))
	// A write that failed after creating its directories.
	_ = s.Put(ctx, "tenants/c/deep/dir/y", strings.NewReader("short"), 10, "")
	put(t, s, "tenants/b", "v")
	if n, err := s.DeletePrefix(ctx, "tenants/"); err != nil || n != 2 {
		t.Fatalf("DeletePrefix = %d, %v", n, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("root still holds %v", entries)
	}
}

func TestLocalKeyThatIsAlsoADirectory(t *testing.T) {
	s := newLocalStore(t)
	put(t, s, "a/b", "v")
	if err := s.Put(context.Background(), "a", strings.NewReader("x"), 1, ""); err == nil {
		t.Fatal("Put over a directory succeeded")
	}
	if err := s.Put(context.Background(), "a/b/c", strings.NewReader("x"), 1, ""); err == nil {
		t.Fatal("Put below a file succeeded")
	}
	if _, err := s.Get(context.Background(), "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a directory = %v, want ErrNotFound", err)
	}
	wantKeys(t, s, "", "a/b")
}

func TestNewLocalNeedsADirectory(t *testing.T) {
	if _, err := NewLocal(""); err == nil {
		t.Fatal("NewLocal(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(file, nil, 0o600))
	if _, err := NewLocal(file); err == nil {
		t.Fatal("NewLocal on a file succeeded")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
