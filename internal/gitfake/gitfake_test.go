package gitfake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"
	gl "github.com/xanzy/go-gitlab"
)

func githubClient(t *testing.T, f *GitHub, token string) *gh.Client {
	t.Helper()
	c, err := gh.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(f.URL(), f.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pushFile commits path on main in a fresh work tree and pushes it to
// fullName with the git CLI.
func pushFile(t *testing.T, g *GitServer, fullName, path, content string) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := g.Git(dir, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run("init", "--quiet", "--initial-branch=main")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "-A")
	run("commit", "--quiet", "-m", "add "+path)
	run("push", "--quiet", g.AuthCloneURL(fullName), "main")
	return run("rev-parse", "HEAD")
}

func TestGitHubCreateGetPushDelete(t *testing.T) {
	f := NewGitHub(t)
	ctx := context.Background()
	c := githubClient(t, f, f.Token())

	created, resp, err := c.Repositories.Create(ctx, f.Owner(), &gh.Repository{
		Name: gh.String("demo"), Description: gh.String("d"), Private: gh.Bool(true)})
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %v", err)
	}
	full := f.Owner() + "/demo"
	if created.GetFullName() != full || created.GetCloneURL() != f.CloneURL("demo") || !created.GetPrivate() ||
		created.GetOwner().GetType() != "Organization" || created.GetDefaultBranch() != DefaultBranch {
		t.Fatalf("created %+v", created)
	}
	if _, _, err := c.Repositories.Create(ctx, f.Owner(), &gh.Repository{Name: gh.String("demo")}); err == nil {
		t.Fatal("second create succeeded")
	}
	if f.Creates("demo") != 1 || f.Creates(full) != 1 || !f.Exists("demo") || !slices.Equal(f.Repos(), []string{full}) {
		t.Fatalf("creates %d, repos %v", f.Creates("demo"), f.Repos())
	}
	if files, err := f.Files("demo"); err != nil || len(files) != 0 {
		t.Fatalf("new repository files %v %v", files, err)
	}

	got, _, err := c.Repositories.Get(ctx, f.Owner(), "demo")
	if err != nil || got.GetID() != created.GetID() || got.GetDescription() != "d" {
		t.Fatalf("get: %+v %v", got, err)
	}
	var er *gh.ErrorResponse
	if _, _, err := c.Repositories.Get(ctx, f.Owner(), "nope"); !errors.As(err, &er) || er.Response.StatusCode != 404 {
		t.Fatalf("get missing: %v", err)
	}
	if _, _, err := githubClient(t, f, "wrong").Repositories.Get(ctx, f.Owner(), "demo"); !errors.As(err, &er) || er.Response.StatusCode != 401 {
		t.Fatalf("bad token: %v", err)
	}

	sha := pushFile(t, f.Git(), full, "dir/a.txt", "hello\n")
	if files, err := f.Files("demo"); err != nil || len(files) != 1 || files["dir/a.txt"] != "hello\n" {
		t.Fatalf("files after push: %v %v", files, err)
	}
	if head, err := f.Head(full); err != nil || head != sha {
		t.Fatalf("head %q %v, want %s", head, err, sha)
	}
	if files, head := f.Git().Clone(full, DefaultBranch); head != sha || files["dir/a.txt"] != "hello\n" {
		t.Fatalf("clone: %v %s", files, head)
	}
	if f.Git().Pushes() != 1 {
		t.Errorf("pushes %d", f.Git().Pushes())
	}

	if resp, err := c.Repositories.Delete(ctx, f.Owner(), "demo"); err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete: %v", err)
	}
	if f.Exists("demo") || f.Git().Exists(full) || len(f.Repos()) != 0 || f.Creates("demo") != 1 {
		t.Fatalf("after delete: repos %v", f.Repos())
	}
	if _, err := f.Files("demo"); err == nil {
		t.Error("files of a deleted repository")
	}
	if n := f.Count("POST /orgs/" + f.Owner() + "/repos"); n != 2 {
		t.Errorf("%d create requests, want 2", n)
	}
}

func TestGitLabCreateGetDelete(t *testing.T) {
	f := NewGitLab(t)
	c, err := gl.NewClient(f.Token(), gl.WithBaseURL(f.URL()), gl.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	ns, _, err := c.Namespaces.GetNamespace(f.Owner())
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := c.Projects.CreateProject(&gl.CreateProjectOptions{Name: gl.Ptr("demo"), NamespaceID: gl.Ptr(ns.ID),
		Visibility: gl.Ptr(gl.PrivateVisibility), Topics: gl.Ptr([]string{"x"})})
	if err != nil || p.PathWithNamespace != f.Owner()+"/demo" || p.HTTPURLToRepo != f.CloneURL("demo") || p.DefaultBranch != "" {
		t.Fatalf("create: %+v %v", p, err)
	}
	pushFile(t, f.Git(), p.PathWithNamespace, "README.md", "hi\n")
	got, _, err := c.Projects.GetProject(p.PathWithNamespace, nil)
	if err != nil || got.ID != p.ID || got.DefaultBranch != DefaultBranch {
		t.Fatalf("get: %+v %v", got, err)
	}
	if files, err := f.Files("demo"); err != nil || files["README.md"] != "hi\n" {
		t.Fatalf("files %v %v", files, err)
	}
	if _, err := c.Projects.DeleteProject(p.ID, nil); err != nil || f.Exists("demo") || f.Creates("demo") != 1 {
		t.Fatalf("delete: %v", err)
	}
}

func TestBlockCreates(t *testing.T) {
	f := NewGitHub(t)
	c := githubClient(t, f, f.Token())
	reached, release := f.BlockCreates()

	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Repositories.Create(context.Background(), f.Owner(), &gh.Repository{Name: gh.String("held")})
		errc <- err
	}()
	if name := <-reached; name != f.Owner()+"/held" {
		t.Fatalf("reached %q", name)
	}
	// Other requests are served meanwhile.
	if _, _, err := c.Repositories.Get(context.Background(), f.Owner(), "held"); err == nil || f.Exists("held") {
		t.Fatal("created before release")
	}
	release()
	if err := <-errc; err != nil || f.Creates("held") != 1 {
		t.Fatalf("create after release: %v", err)
	}
	release() // idempotent

	// Released: creates go through, also concurrently.
	var wg sync.WaitGroup
	for _, n := range []string{"a", "b", "c"} {
		wg.Go(func() {
			if _, _, err := c.Repositories.Create(context.Background(), "", &gh.Repository{Name: gh.String(n)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.Repos(); len(got) != 4 || f.Creates(f.Login()+"/b") != 1 {
		t.Fatalf("repos %v", got)
	}

	// A client that goes away while blocked: the create still happens.
	reached, release = f.BlockCreates()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _, err := c.Repositories.Create(ctx, f.Owner(), &gh.Repository{Name: gh.String("orphan")})
		errc <- err
	}()
	<-reached
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled create: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !f.Exists("orphan") {
		if time.Now().After(deadline) {
			t.Fatal("the create of a vanished client never happened")
		}
		time.Sleep(10 * time.Millisecond)
	}

	release()

	// Left blocked when the test ends: the cleanup must not hang.
	reached, _ = f.BlockCreates()
	go func() {
		_, _, _ = c.Repositories.Create(context.Background(), f.Owner(), &gh.Repository{Name: gh.String("never")})
	}()
	<-reached
}

func TestInvalidNamesStayInRoot(t *testing.T) {
	f := NewGitHub(t)
	c := githubClient(t, f, f.Token())
	for _, n := range []string{"../x", "a/b", ".hidden", "x.git"} {
		if _, _, err := c.Repositories.Create(context.Background(), f.Owner(), &gh.Repository{Name: gh.String(n)}); err == nil {
			t.Errorf("created %q", n)
		}
	}
	if len(f.Repos()) != 0 {
		t.Fatal(f.Repos())
	}
}
