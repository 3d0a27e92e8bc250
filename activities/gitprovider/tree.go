package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// The exported git helpers the scaffolder uses: push a set of files onto a
// branch, and read a repository's tree at a ref. Both run in memory.

// PushSpec describes one push of files onto a branch.
type PushSpec struct {
	URL      string // HTTPS clone URL
	Username string // Provider.GitUsername()
	Token    string
	Branch   string
	// Base is where a missing Branch starts from; "" makes it a root commit.
	Base       string
	Files      map[string][]byte
	Executable map[string]bool
	// Delete lists paths (files or folders) to remove.
	Delete      []string
	Message     string
	AuthorName  string
	AuthorEmail string
}

// PushFiles overlays Files on Branch (created from Base when missing) and
// pushes one commit, or nothing when the branch already holds exactly this
// tree, so a retried push never adds a second commit. It returns the
// branch's head. Errors are classified for Temporal (see ClassifyGit).
func PushFiles(ctx context.Context, s PushSpec) (sha string, pushed bool, err error) {
	author := object.Signature{Name: s.AuthorName, Email: s.AuthorEmail}
	if author.Name == "" {
		author.Name = defaultAuthorName
	}
	if author.Email == "" {
		author.Email = defaultAuthorEmail
	}
	author.When = time.Now().UTC()
	var auth *githttp.BasicAuth
	if s.Token != "" {
		auth = &githttp.BasicAuth{Username: s.Username, Password: s.Token}
	}
	msg := s.Message
	if msg == "" {
		msg = "initial commit"
	}
	return pushSeed(ctx, pushRequest{
		URL: s.URL, Auth: auth, Branch: s.Branch, Base: s.Base, Files: s.Files, Executable: s.Executable,
		Delete: s.Delete, Author: author,
		Message: func(bool) string { return strings.TrimRight(msg, "\n") + "\n" },
	})
}

// ClassifyGit turns a git-over-HTTP error into a Temporal application error
// (authentication and permission failures do not retry; the rest do).
func ClassifyGit(repo string, err error) error {
	if err == nil {
		return nil
	}
	return classifyGit(repo, err)
}

// Classify turns a Provider error into a Temporal application error whose
// retryability says whether waiting can help (5xx and 429 retry, honouring
// Retry-After; other 4xx do not).
func Classify(err error) error {
	if err == nil {
		return nil
	}
	return classify(err)
}

// TreeFile is one file read from a repository.
type TreeFile struct {
	Data       []byte
	Executable bool
}

// ErrRefNotFound is matched by ReadTree's error for a ref the remote lacks.
var ErrRefNotFound = errors.New("ref not found")

// ReadTree fetches url and returns every regular file of the commit that
// ref names (a branch, a tag, "" or "HEAD" for the default branch), keyed by
// slash path, with that commit's hash. When commit is set, that exact commit
// is read instead, found in ref's history (so a template pinned at
// submission time reads the same files even after the branch moved).
// Symbolic links and submodules are left out. maxBytes bounds the total.
func ReadTree(ctx context.Context, url, username, token, ref, commit string, maxBytes int64) (map[string]TreeFile, string, error) {
	var auth *githttp.BasicAuth
	if token != "" {
		auth = &githttp.BasicAuth{Username: username, Password: token}
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, "", err
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}})
	if err != nil {
		return nil, "", err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		if errors.Is(err, transport.ErrEmptyRemoteRepository) {
			return nil, "", fmt.Errorf("%w: %s is empty", ErrRefNotFound, url)
		}
		return nil, "", err
	}
	target := resolveRef(refs, ref)
	if target == nil {
		return nil, "", fmt.Errorf("%w: %q in %s", ErrRefNotFound, ref, url)
	}
	opts := &git.FetchOptions{Auth: auth, Tags: git.NoTags,
		RefSpecs: []config.RefSpec{config.RefSpec(fmt.Sprintf("+%s:refs/rigger/fetched", target.Name()))}}
	if commit == "" || commit == target.Hash().String() {
		opts.Depth = 1
	}
	if err := remote.FetchContext(ctx, opts); err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, "", err
	}
	want := target.Hash()
	if commit != "" {
		want = plumbing.NewHash(commit)
	}
	c, err := repo.CommitObject(want)
	if err != nil {
		return nil, "", fmt.Errorf("%w: commit %s is not in %s of %s", ErrRefNotFound, want, target.Name().Short(), url)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, "", err
	}
	files := map[string]TreeFile{}
	var total int64
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		if e.Mode != filemode.Regular && e.Mode != filemode.Executable && e.Mode != filemode.Deprecated {
			continue
		}
		blob, err := repo.BlobObject(e.Hash)
		if err != nil {
			return nil, "", err
		}
		if total += blob.Size; maxBytes > 0 && total > maxBytes {
			return nil, "", fmt.Errorf("repository %s is larger than %d bytes", url, maxBytes)
		}
		r, err := blob.Reader()
		if err != nil {
			return nil, "", err
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, "", err
		}
		files[name] = TreeFile{Data: data, Executable: e.Mode == filemode.Executable}
	}
	return files, c.Hash.String(), nil
}

// resolveRef finds the reference a user-written ref means.
func resolveRef(refs []*plumbing.Reference, ref string) *plumbing.Reference {
	byName := map[plumbing.ReferenceName]*plumbing.Reference{}
	for _, r := range refs {
		byName[r.Name()] = r
	}
	if ref == "" || ref == "HEAD" {
		head := byName[plumbing.HEAD]
		if head == nil {
			for _, b := range []string{"main", "master"} {
				if r := byName[plumbing.NewBranchReferenceName(b)]; r != nil {
					return r
				}
			}
			return nil
		}
		if head.Type() == plumbing.SymbolicReference {
			return byName[head.Target()]
		}
		// A hash-only HEAD: the branch pointing at the same commit.
		for _, r := range refs {
			if r.Name().IsBranch() && r.Hash() == head.Hash() {
				return r
			}
		}
		return nil
	}
	for _, n := range []plumbing.ReferenceName{plumbing.ReferenceName(ref), plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)} {
		if r := byName[n]; r != nil && r.Type() == plumbing.HashReference {
			return r
		}
	}
	return nil
}
