package gitprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// pushRequest is one seed push: make Branch of the repository at URL hold
// Files (path -> content), leaving any other file there alone.
type pushRequest struct {
	URL     string
	Auth    *githttp.BasicAuth
	Branch  string
	Files   map[string][]byte
	Message func(initial bool) string
	Author  object.Signature
	// Executable lists the paths of Files that get mode 100755.
	Executable map[string]bool
	// Base is the branch a missing Branch starts from (a pull request's
	// target); "" makes a missing Branch a root commit.
	Base string
	// Delete lists paths removed from the tree instead of written.
	Delete []string
}

// pushSeed writes Files onto the remote branch and returns the branch's
// resulting commit. It is idempotent: when the branch already holds these
// files with this content the tree hash is unchanged and nothing is pushed
// (pushed=false). An empty repository gets a root commit; otherwise one
// commit goes on top of the branch. The push is a fast-forward only, so a
// concurrent writer makes it fail (retryably) instead of being overwritten.
//
// Everything happens in memory: a config repository is small, and a worker
// needs no disk or git binary.
func pushSeed(ctx context.Context, req pushRequest) (sha string, pushed bool, err error) {
	st := memory.NewStorage()
	repo, err := git.Init(st, nil) // bare: no worktree needed to build a commit
	if err != nil {
		return "", false, err
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{req.URL}})
	if err != nil {
		return "", false, err
	}
	branch := plumbing.NewBranchReferenceName(req.Branch)

	// Find the branch head (or, for a new branch, the base's), if any, and
	// fetch its history.
	var parent *object.Commit
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: req.Auth})
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
	case err != nil:
		return "", false, fmt.Errorf("list remote refs: %w", err)
	default:
		from := findRef(refs, branch)
		if from == nil && req.Base != "" {
			if from = findRef(refs, plumbing.NewBranchReferenceName(req.Base)); from == nil {
				return "", false, fmt.Errorf("base branch %s does not exist", req.Base)
			}
		}
		if from != nil {
			spec := config.RefSpec(fmt.Sprintf("+%s:refs/remotes/origin/%s", from.Name(), from.Name().Short()))
			err := remote.FetchContext(ctx, &git.FetchOptions{Auth: req.Auth, RefSpecs: []config.RefSpec{spec}, Tags: git.NoTags})
			if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
				return "", false, fmt.Errorf("fetch %s: %w", from.Name().Short(), err)
			}
			if parent, err = repo.CommitObject(from.Hash()); err != nil {
				return "", false, fmt.Errorf("read %s head: %w", from.Name().Short(), err)
			}
		}
	}
	onBranch := parent != nil && findRef(refs, branch) != nil

	// Overlay the seed on the branch's tree and compare.
	files := map[string]treeFile{}
	if parent != nil {
		if files, err = flattenTree(parent); err != nil {
			return "", false, err
		}
	}
	for path, content := range req.Files {
		h, err := writeObject(st, plumbing.BlobObject, content)
		if err != nil {
			return "", false, err
		}
		mode := filemode.Regular
		if req.Executable[path] {
			mode = filemode.Executable
		}
		overlay(files, path, treeFile{mode, h})
	}
	for _, path := range req.Delete {
		delete(files, path)
		for p := range files {
			if strings.HasPrefix(p, path+"/") {
				delete(files, p)
			}
		}
	}
	tree, err := writeTree(st, files)
	if err != nil {
		return "", false, err
	}
	if onBranch && parent.TreeHash == tree {
		return parent.Hash.String(), false, nil
	}

	commit := &object.Commit{
		Author:    req.Author,
		Committer: req.Author,
		Message:   req.Message(parent == nil),
		TreeHash:  tree,
	}
	if parent != nil {
		commit.ParentHashes = []plumbing.Hash{parent.Hash}
	}
	obj := st.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return "", false, err
	}
	head, err := st.SetEncodedObject(obj)
	if err != nil {
		return "", false, err
	}
	if err := st.SetReference(plumbing.NewHashReference(branch, head)); err != nil {
		return "", false, err
	}
	err = remote.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin",
		Auth:       req.Auth,
		RefSpecs:   []config.RefSpec{config.RefSpec(branch + ":" + branch)},
	})
	if err != nil {
		return "", false, fmt.Errorf("push %s: %w", req.Branch, err)
	}
	return head.String(), true, nil
}

func findRef(refs []*plumbing.Reference, name plumbing.ReferenceName) *plumbing.Reference {
	for _, r := range refs {
		if r.Name() == name {
			return r
		}
	}
	return nil
}

type treeFile struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

// flattenTree lists every non-directory entry of the commit's tree by full
// path, submodules and symlinks included, so they survive the overlay.
func flattenTree(c *object.Commit) (map[string]treeFile, error) {
	t, err := c.Tree()
	if err != nil {
		return nil, err
	}
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	out := map[string]treeFile{}
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Mode != filemode.Dir {
			out[name] = treeFile{e.Mode, e.Hash}
		}
	}
}

// overlay sets path, first removing whatever would clash with it: a file
// where one of its parent folders goes, or a folder where it goes.
func overlay(files map[string]treeFile, path string, f treeFile) {
	for dir := path; ; {
		i := strings.LastIndexByte(dir, '/')
		if i < 0 {
			break
		}
		dir = dir[:i]
		delete(files, dir)
	}
	for p := range files {
		if strings.HasPrefix(p, path+"/") {
			delete(files, p)
		}
	}
	files[path] = f
}

// writeTree stores the nested trees for files and returns the root's hash.
func writeTree(s storer.EncodedObjectStorer, files map[string]treeFile) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	subdirs := map[string]map[string]treeFile{}
	for p, f := range files {
		dir, rest, nested := strings.Cut(p, "/")
		if !nested {
			entries = append(entries, object.TreeEntry{Name: p, Mode: f.mode, Hash: f.hash})
			continue
		}
		if subdirs[dir] == nil {
			subdirs[dir] = map[string]treeFile{}
		}
		subdirs[dir][rest] = f
	}
	for dir, sub := range subdirs {
		h, err := writeTree(s, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries by name, comparing a folder as if it ended in "/";
	// any other order gives a different (and invalid) tree hash.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })

	obj := s.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

func writeObject(s storer.EncodedObjectStorer, t plumbing.ObjectType, content []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(t)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}
