package techdocs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/gitfake"
)

// gitRepo is a repository on a real git smart-HTTP server (git
// http-backend behind basic auth), pushed to with the git CLI.
type gitRepo struct {
	t      *testing.T
	srv    *gitfake.GitServer
	name   string
	work   string
	access GitAccess
}

func newGitRepo(t *testing.T, files map[string]string) *gitRepo {
	t.Helper()
	srv := gitfake.NewGitServer(t, "docs-bot", "s3cret")
	r := &gitRepo{t: t, srv: srv, name: "acme/payments", work: t.TempDir()}
	if err := srv.InitBare(r.name); err != nil {
		t.Fatal(err)
	}
	r.access = GitAccess{AllowedPrefixes: []string{srv.URL() + "/git/acme"}, Username: "docs-bot", Token: "s3cret"}
	r.git("init", "--quiet", "--initial-branch=main")
	r.commit(files)
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.srv.Git(r.work, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// commit writes files (an empty body deletes), commits, pushes main and
// returns the commit.
func (r *gitRepo) commit(files map[string]string) string {
	r.t.Helper()
	for name, body := range files {
		p := filepath.Join(r.work, filepath.FromSlash(name))
		if body == "" {
			_ = os.Remove(p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "--quiet", "--allow-empty", "-m", "docs")
	r.git("push", "--quiet", r.srv.AuthCloneURL(r.name), "main")
	return r.git("rev-parse", "HEAD")
}

func (r *gitRepo) url() string { return r.srv.CloneURL(r.name) }

func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func TestCheckURL(t *testing.T) {
	g := GitAccess{AllowedPrefixes: []string{"https://github.com/acme", "http://git.internal:8080/docs/"}}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://github.com/acme/payments", true},
		{"https://GitHub.com/acme/payments.git", true},
		{"http://git.internal:8080/docs/a/b.git", true},
		{"https://github.com/acme-evil/payments", false}, // a prefix is a folder, not a string prefix
		{"https://github.com/acme", false},
		{"http://github.com/acme/payments", false}, // scheme is part of the prefix
		{"https://user:pw@github.com/acme/payments", false},
		{"https://github.com/acme/payments?x=1", false},
		{"https://github.com/acme/../other/repo", false},
		{"https://github.com/acme/%2e%2e/other", false},
		{"ssh://git@github.com/acme/payments", false},
		{"file:///etc/passwd", false},
		{"https://169.254.169.254/latest/meta-data", false},
		{"git@github.com:acme/payments.git", false},
	} {
		err := g.CheckURL(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
	if err := (GitAccess{}).CheckURL("https://gitlab.com/group/docs"); err != nil {
		t.Errorf("default prefixes refuse gitlab.com: %v", err)
	}
}

// stageGit runs the real TechDocsStage against the repository.
func stageGit(a *Activities, r *gitRepo, commit string, src Source, strict bool) (StageResult, error) {
	if src.GitURL == "" {
		src.GitURL = r.url()
	}
	return a.TechDocsStage(context.Background(), StageInput{
		BuildKey: BuildKey{Tenant: "acme", Namespace: "default", Kind: "component", Name: "payments", Commit: commit},
		Source:   src, Strict: strict,
	})
}

func newActs(t *testing.T, r *gitRepo) (*Activities, storage.Store) {
	objects, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	return &Activities{Objects: objects, Git: r.access, TempDir: t.TempDir()}, storage.Scoped(objects, "acme")
}

func TestStageFromGit(t *testing.T) {
	r := newGitRepo(t, siteV1)
	first := r.commit(nil)
	a, scoped := newActs(t, r)
	ctx := context.Background()

	res, err := stageGit(a, r, first, Source{Ref: "main"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit != first || res.Etag != first || res.Pages != 3 || res.SourceBytes == 0 {
		t.Fatalf("stage result %+v", res)
	}
	m, err := ReadMetadata(ctx, scoped, StagingPrefix(testEntity, first)+MetadataFile)
	if err != nil || m.Etag != first || m.SiteName != "Payments" {
		t.Fatalf("staged metadata %+v %v", m, err)
	}
	if dirs, _ := os.ReadDir(a.TempDir); len(dirs) != 0 {
		t.Fatalf("clone left behind: %v", dirs)
	}

	// The branch moved on since the push that asked for `first`: the build
	// still checks `first` out (a deeper clone), not the new head.
	second := r.commit(map[string]string{"docs/index.md": "# Payments\n\nSecond.\n"})
	res, err = stageGit(a, r, first, Source{Ref: "main"}, false)
	if err != nil || res.Commit != first {
		t.Fatalf("older commit on a moved branch: %+v %v", res, err)
	}
	body, _ := getString(ctx, scoped, StagingPrefix(testEntity, first)+"index.html")
	if !strings.Contains(body, "Version one") {
		t.Fatalf("built the wrong commit: %.300q", body)
	}
	// No ref: the default branch.
	if res, err := stageGit(a, r, second, Source{}, false); err != nil || res.Commit != second {
		t.Fatalf("default branch: %+v %v", res, err)
	}
	if c, err := r.access.ResolveRef(ctx, r.url(), "main"); err != nil || c != second {
		t.Fatalf("ResolveRef = %s %v, want %s", c, err, second)
	}
	if c, err := r.access.ResolveRef(ctx, r.url(), ""); err != nil || c != second {
		t.Fatalf("ResolveRef(default) = %s %v, want %s", c, err, second)
	}
}

func TestStageRefusesBrokenSources(t *testing.T) {
	r := newGitRepo(t, siteV1)
	good := r.commit(nil)
	a, scoped := newActs(t, r)
	ctx := context.Background()

	// Strict mode with a broken link: nothing is staged.
	broken := r.commit(map[string]string{"docs/index.md": "# Payments\n\nSee [nowhere](missing.md).\n"})
	_, err := stageGit(a, r, broken, Source{Ref: "main"}, true)
	if errType(err) != ErrTypeStrict || !temporal.IsApplicationError(err) {
		t.Fatalf("strict: %v (%s)", err, errType(err))
	}
	if objs, _ := scoped.List(ctx, StagingPrefix(testEntity, broken)); len(objs) != 0 {
		t.Fatalf("a failed strict build staged %d files", len(objs))
	}
	// Without strict the same commit builds, with a warning.
	if res, err := stageGit(a, r, broken, Source{Ref: "main"}, false); err != nil || res.Warnings == 0 {
		t.Fatalf("non-strict: %+v %v", res, err)
	}

	noConfig := r.commit(map[string]string{"mkdocs.yml": ""})
	if _, err := stageGit(a, r, noConfig, Source{Ref: "main"}, false); errType(err) != ErrTypeNoConfig {
		t.Fatalf("no mkdocs.yml: %v", err)
	}

	cases := []struct {
		name   string
		commit string
		src    Source
		want   string
	}{
		{"unknown branch", good, Source{Ref: "nope"}, ErrTypeSourceNotFound},
		{"unknown commit", strings.Repeat("ab", 20), Source{Ref: "main"}, ErrTypeSourceNotFound},
		{"not a sha", "main", Source{Ref: "main"}, ErrTypeInvalidInput},
		{"not allowed", good, Source{GitURL: "https://example.com/acme/payments", Ref: "main"}, ErrTypeSourceNotAllowed},
		{"metadata service", good, Source{GitURL: "http://169.254.169.254/latest", Ref: "main"}, ErrTypeSourceNotAllowed},
		{"no repository", good, Source{GitURL: r.srv.CloneURL("acme/missing"), Ref: "main"}, ErrTypeSourceNotFound},
		{"docs path missing", good, Source{Ref: "main", DocsPath: "sub/dir"}, ErrTypeSourceNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stageGit(a, r, tc.commit, tc.src, false)
			if errType(err) != tc.want {
				t.Fatalf("got %v (type %q), want %s", err, errType(err), tc.want)
			}
		})
	}

	// Wrong credentials are "access denied", not retried.
	bad := *a
	bad.Git.Token = "wrong"
	if _, err := stageGit(&bad, r, good, Source{Ref: "main"}, false); errType(err) != ErrTypeSourceDenied {
		t.Fatalf("bad credentials: %v", err)
	}
	// A clone past the size bound stops.
	small := *a
	small.Git.MaxBytes = 2 << 10
	if _, err := stageGit(&small, r, good, Source{Ref: "main"}, false); errType(err) != ErrTypeSourceTooLarge {
		t.Fatalf("size bound: %v", err)
	}
}

// A symlink in the repository that points outside it cannot be used as the
// docs folder, nor can docs inside follow one out.
func TestStageDoesNotFollowSymlinksOut(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	outside := t.TempDir()
	writeSite(t, outside, map[string]string{"mkdocs.yml": "site_name: Secrets\n", "docs/index.md": "# worker secrets\n"})
	r := newGitRepo(t, siteV1)
	if err := os.Symlink(outside, filepath.Join(r.work, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(r.work, "docs", "host.md")); err != nil {
		t.Fatal(err)
	}
	commit := r.commit(nil)
	a, scoped := newActs(t, r)
	if _, err := stageGit(a, r, commit, Source{Ref: "main", DocsPath: "escape"}, false); errType(err) != ErrTypeSourceNotFound {
		t.Fatalf("docs path through a symlink: %v", err)
	}
	if _, err := stageGit(a, r, commit, Source{Ref: "main"}, false); err != nil {
		t.Fatal(err)
	}
	objs, _ := scoped.List(context.Background(), StagingPrefix(testEntity, commit))
	for _, o := range objs {
		if strings.Contains(o.Key, "host") {
			body, _ := getString(context.Background(), scoped, o.Key)
			if hn, _ := os.ReadFile("/etc/hostname"); len(hn) > 0 && strings.Contains(body, strings.TrimSpace(string(hn))) {
				t.Fatalf("%s carries the worker's /etc/hostname", o.Key)
			}
		}
	}
}

func TestPathSources(t *testing.T) {
	root := t.TempDir()
	writeSite(t, filepath.Join(root, "acme", "handbook"), siteV1)
	writeSite(t, filepath.Join(root, "other", "private"), siteV2)
	objects, _ := storage.NewLocal(t.TempDir())
	a := &Activities{Objects: objects, SourceRoot: root}
	run := func(path string) error {
		_, err := a.TechDocsStage(context.Background(), StageInput{
			BuildKey: BuildKey{Tenant: "acme", Namespace: "default", Kind: "component", Name: "payments", Commit: "path-1"},
			Source:   Source{Path: path},
		})
		return err
	}
	if err := run("handbook"); err != nil {
		t.Fatal(err)
	}
	// Another tenant's folder is out of reach.
	for _, p := range []string{"../other/private", "/other/private", "../../etc"} {
		if err := run(p); errType(err) != ErrTypeSourceNotFound && errType(err) != ErrTypeNoConfig {
			t.Fatalf("path %q: %v", p, err)
		}
	}
	a.SourceRoot = ""
	if err := run("handbook"); errType(err) != ErrTypeNotConfigured {
		t.Fatalf("disabled path sources: %v", err)
	}
}
