package gitfake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// GitServer is a real git smart-HTTP server: `git http-backend` behind
// net/http/cgi, with HTTP basic auth checked in front of it the way a forge
// does. Repositories are bare, under <root>/<owner>/<name>.git, and are
// served at URL()/git/<owner>/<name>.git.
//
// A GitServer is safe for concurrent use. Methods that take a testing.TB
// style failure path (Clone, CommitFile) must be called from the test's
// goroutine; everything else returns errors.
type GitServer struct {
	t              testing.TB
	srv            *httptest.Server
	root           string // bare repositories
	home           string // HOME for every git process: no user config leaks in
	user, password string
	pushes         atomic.Int64 // receive-pack POSTs, i.e. pushes that reached the server
}

// NewGitServer starts a git server that accepts user/password and stops it
// when the test ends. It skips the test when git is not installed.
func NewGitServer(t testing.TB, user, password string) *GitServer {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	g := &GitServer{t: t, root: t.TempDir(), home: t.TempDir(), user: user, password: password}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Root: "/git",
		Env: []string{
			"GIT_PROJECT_ROOT=" + g.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + g.home,
			"XDG_CONFIG_HOME=" + g.home,
		},
	}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != g.user || p != g.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "HTTP Basic: Access denied", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			g.pushes.Add(1)
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// URL is the server's base URL (http://127.0.0.1:port).
func (g *GitServer) URL() string { return g.srv.URL }

// User and Password are the basic-auth credentials the server accepts.
func (g *GitServer) User() string     { return g.user }
func (g *GitServer) Password() string { return g.password }

// CloneURL is the HTTP URL of fullName ("owner/name"), without credentials.
func (g *GitServer) CloneURL(fullName string) string { return g.srv.URL + "/git/" + fullName + ".git" }

// AuthCloneURL is CloneURL with the accepted credentials in it, for the git CLI.
func (g *GitServer) AuthCloneURL(fullName string) string {
	return strings.Replace(g.CloneURL(fullName), "://", "://"+g.user+":"+g.password+"@", 1)
}

// Dir is the bare repository directory of fullName.
func (g *GitServer) Dir(fullName string) string {
	return filepath.Join(g.root, filepath.FromSlash(fullName)+".git")
}

// Pushes counts the pushes (receive-pack requests that passed auth) so far.
func (g *GitServer) Pushes() int { return int(g.pushes.Load()) }

var segmentRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

// validFullName accepts "owner/name" with plain segments, so a name from a
// request cannot reach outside the root.
func validFullName(fullName string) bool {
	owner, name, ok := strings.Cut(fullName, "/")
	return ok && segmentRE.MatchString(owner) && segmentRE.MatchString(name) &&
		!strings.HasSuffix(name, ".git")
}

// InitBare creates an empty repository the way a forge does on "create":
// default branch main, pushes over HTTP allowed.
func (g *GitServer) InitBare(fullName string) error {
	if !validFullName(fullName) {
		return fmt.Errorf("gitfake: invalid repository name %q", fullName)
	}
	dir := g.Dir(fullName)
	if _, err := g.run("", nil, "init", "--quiet", "--bare", "--initial-branch=main", dir); err != nil {
		return err
	}
	_, err := g.run(dir, nil, "config", "http.receivepack", "true")
	return err
}

// Remove deletes the repository of fullName, if any.
func (g *GitServer) Remove(fullName string) error {
	if !validFullName(fullName) {
		return fmt.Errorf("gitfake: invalid repository name %q", fullName)
	}
	return os.RemoveAll(g.Dir(fullName))
}

// Exists reports whether the bare repository of fullName is on disk.
func (g *GitServer) Exists(fullName string) bool {
	if !validFullName(fullName) {
		return false
	}
	_, err := os.Stat(g.Dir(fullName))
	return err == nil
}

// Git runs the git CLI in dir (a bare repository from Dir, a work tree, or
// "") with an isolated configuration and a fixed author, and returns its
// trimmed standard output.
func (g *GitServer) Git(dir string, args ...string) (string, error) {
	out, err := g.run(dir, nil, args...)
	return strings.TrimSpace(string(out)), err
}

// Head returns the commit branch of fullName points at, or "" when the
// branch does not exist (an empty repository).
func (g *GitServer) Head(fullName, branch string) (string, error) {
	dir := g.Dir(fullName)
	if !g.Exists(fullName) {
		return "", fmt.Errorf("gitfake: no repository %s", fullName)
	}
	out, err := g.run(dir, nil, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch+"^{commit}")
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && len(bytes.TrimSpace(out)) == 0 {
		return "", nil
	}
	return strings.TrimSpace(string(out)), err
}

// Files returns the files (path -> content) on branch of fullName, read from
// the bare repository with git ls-tree and cat-file. An empty repository
// (no such branch) has no files.
func (g *GitServer) Files(fullName, branch string) (map[string]string, error) {
	head, err := g.Head(fullName, branch)
	if err != nil || head == "" {
		return map[string]string{}, err
	}
	dir := g.Dir(fullName)
	out, err := g.run(dir, nil, "ls-tree", "-r", "-z", "--full-tree", head)
	if err != nil {
		return nil, err
	}
	var paths, shas []string
	for _, entry := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if entry == "" {
			continue
		}
		meta, path, ok := strings.Cut(entry, "\t")
		f := strings.Fields(meta) // mode type sha
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("gitfake: ls-tree entry %q", entry)
		}
		if f[1] != "blob" {
			continue // submodule
		}
		paths = append(paths, path)
		shas = append(shas, f[2])
	}
	files := map[string]string{}
	if len(shas) == 0 {
		return files, nil
	}
	out, err = g.run(dir, strings.NewReader(strings.Join(shas, "\n")+"\n"), "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	rd := bufio.NewReader(bytes.NewReader(out))
	for i := range shas {
		header, err := rd.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("gitfake: cat-file: %w", err)
		}
		f := strings.Fields(header) // sha type size
		if len(f) != 3 {
			return nil, fmt.Errorf("gitfake: cat-file header %q", header)
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("gitfake: cat-file header %q", header)
		}
		content := make([]byte, size+1) // and the trailing newline
		if _, err := io.ReadFull(rd, content); err != nil {
			return nil, fmt.Errorf("gitfake: cat-file: %w", err)
		}
		files[paths[i]] = string(content[:size])
	}
	return files, nil
}

// Clone checks out branch of fullName over HTTP with the git CLI and returns
// the work tree's files (without .git) and the head commit. It fails the
// test on error.
func (g *GitServer) Clone(fullName, branch string) (files map[string]string, head string) {
	g.t.Helper()
	dir := filepath.Join(g.t.TempDir(), "clone")
	g.must("", "clone", "--quiet", "--branch", branch, g.AuthCloneURL(fullName), dir)
	files = map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return files, g.must(dir, "rev-parse", "HEAD")
}

// CommitFile adds a commit on branch of fullName that writes path, and
// pushes it over HTTP with the git CLI, as a person would. It returns the
// new commit and fails the test on error.
func (g *GitServer) CommitFile(fullName, branch, path, content string) string {
	g.t.Helper()
	dir := filepath.Join(g.t.TempDir(), "work")
	g.must("", "clone", "--quiet", "--branch", branch, g.AuthCloneURL(fullName), dir)
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.must(dir, "add", "-A")
	g.must(dir, "commit", "--quiet", "-m", "edit "+path)
	g.must(dir, "push", "--quiet", "origin", branch)
	return g.must(dir, "rev-parse", "HEAD")
}

func (g *GitServer) must(dir string, args ...string) string {
	g.t.Helper()
	out, err := g.Git(dir, args...)
	if err != nil {
		g.t.Fatal(err)
	}
	return out
}

// run runs git in dir and returns its standard output; the error carries
// the standard error.
func (g *GitServer) run(dir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") { // e.g. GIT_DIR from a hook
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_CONFIG_NOSYSTEM=1", "HOME="+g.home, "XDG_CONFIG_HOME="+g.home,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &gitError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return out, nil
}

type gitError struct {
	args   []string
	err    error
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: %v: %s", strings.Join(e.args, " "), e.err, e.stderr)
}

func (e *gitError) Unwrap() error { return e.err }
