package starter

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rigger-platform/rigger/internal/gitfake"
)

// `techdocs build <git-url>` clones (with credentials from the environment)
// and builds locally, with no server; the commit becomes the etag.
func TestTechDocsBuildFromGitURL(t *testing.T) {
	srv := gitfake.NewGitServer(t, "me", "pw")
	if err := srv.InitBare("me/docs"); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for name, body := range map[string]string{
		"handbook/mkdocs.yml":    "site_name: Handbook\n",
		"handbook/docs/index.md": "# Handbook\n\nHello from git.\n",
		"README.md":              "not docs\n",
	} {
		p := filepath.Join(work, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "--quiet", "--initial-branch=main"}, {"add", "-A"}, {"commit", "--quiet", "-m", "docs"},
		{"push", "--quiet", srv.AuthCloneURL("me/docs"), "main"}} {
		if _, err := srv.Git(work, args...); err != nil {
			t.Fatal(err)
		}
	}
	head, _ := srv.Git(work, "rev-parse", "HEAD")
	t.Setenv("RIGGER_TECHDOCS_GIT_USERNAME", "me")
	t.Setenv("RIGGER_TECHDOCS_GIT_TOKEN", "pw")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := TechDocs(context.Background(), nil, []string{"build", srv.CloneURL("me/docs"), "--entity", "default/component/handbook",
		"--docs-path", "handbook", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil || !strings.Contains(string(page), "Hello from git.") {
		t.Fatalf("index.html: %v", err)
	}
	var meta struct{ Etag string }
	data, _ := os.ReadFile(filepath.Join(out, "techdocs_metadata.json"))
	if json.Unmarshal(data, &meta) != nil || meta.Etag != head {
		t.Fatalf("etag %q, want the commit %s", meta.Etag, head)
	}
	// Usage errors exit 2; publish without an API is an error.
	if code := TechDocs(context.Background(), nil, []string{"build", "git@github.com:me/docs.git", "--entity", "default/component/x"}, &stdout, &stderr); code != 2 {
		t.Fatalf("ssh URL = %d", code)
	}
	if code := TechDocs(context.Background(), nil, []string{"publish", srv.CloneURL("me/docs"), "--tenant", "t", "--entity", "default/component/x"}, &stdout, &stderr); code != 1 {
		t.Fatalf("publish without an API = %d", code)
	}
}
