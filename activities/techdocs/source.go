package techdocs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// DefaultMaxSourceBytes bounds a clone on disk (objects and work tree).
const DefaultMaxSourceBytes = 256 << 20

// DefaultAllowedPrefixes are the git hosts a build may clone from when
// nothing is configured: public forges over HTTPS only.
var DefaultAllowedPrefixes = []string{"https://github.com/", "https://gitlab.com/", "https://bitbucket.org/"}

// GitAccess says which repositories TechDocs builds may clone and how.
//
// Source URLs come from tenants (the API, the source mapping), so they are
// confined to AllowedPrefixes — otherwise a tenant could make the worker
// fetch from the platform's internal network. Credentials, when set, are
// sent to every allowed prefix: every tenant can build what they can read,
// so use a token scoped to the repositories meant to be shared (or none,
// for public repositories).
type GitAccess struct {
	// AllowedPrefixes are URL prefixes ("https://github.com/",
	// "http://git.internal:8080/docs/"); a prefix that does not end in "/"
	// is treated as if it did. Empty means DefaultAllowedPrefixes.
	AllowedPrefixes []string
	// Username and Token are HTTP basic credentials (Token empty: none).
	Username string
	Token    string
	// MaxBytes bounds a clone on disk (0: DefaultMaxSourceBytes).
	MaxBytes int64
	// Unrestricted lifts the prefix check: for the local CLI, which clones
	// with the user's own rights on the user's own machine.
	Unrestricted bool
}

func (g GitAccess) prefixes() []string {
	if len(g.AllowedPrefixes) == 0 {
		return DefaultAllowedPrefixes
	}
	return g.AllowedPrefixes
}

func (g GitAccess) maxBytes() int64 {
	if g.MaxBytes <= 0 {
		return DefaultMaxSourceBytes
	}
	return g.MaxBytes
}

func (g GitAccess) auth() transport.AuthMethod {
	if g.Token == "" {
		return nil
	}
	user := g.Username
	if user == "" {
		user = "git"
	}
	return &githttp.BasicAuth{Username: user, Password: g.Token}
}

// Sentinel errors of source checks, for callers that map them to statuses.
var (
	ErrSourceNotAllowed = errors.New("git source not allowed")
	ErrSourceNotFound   = errors.New("git source not found")
	ErrSourceDenied     = errors.New("git source access denied")
	ErrSourceTooLarge   = errors.New("git source too large")
)

// CheckURL accepts an http(s) URL without credentials, query or fragment
// under one of the allowed prefixes. Credentials in URLs are refused
// because URLs are recorded in workflow histories and build records.
func (g GitAccess) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || len(raw) > 2048:
		return fmt.Errorf("%w: %q is not a URL", ErrSourceNotAllowed, raw)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%w: %q: only http(s) clone URLs are supported", ErrSourceNotAllowed, raw)
	case u.User != nil:
		return fmt.Errorf("%w: credentials in clone URLs are not accepted", ErrSourceNotAllowed)
	case u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("%w: %q must be scheme://host/path with no query or fragment", ErrSourceNotAllowed, raw)
	case strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") || strings.Contains(u.EscapedPath(), "%2"):
		return fmt.Errorf("%w: %q has a path that is not plain", ErrSourceNotAllowed, raw)
	}
	if g.Unrestricted {
		return nil
	}
	norm := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.EscapedPath()
	for _, p := range g.prefixes() {
		pu, err := url.Parse(p)
		if err != nil || pu.Host == "" {
			continue
		}
		pp := strings.ToLower(pu.Scheme) + "://" + strings.ToLower(pu.Host) + pu.EscapedPath()
		if !strings.HasSuffix(pp, "/") {
			pp += "/"
		}
		if strings.HasPrefix(norm, pp) && len(norm) > len(pp) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is not under an allowed git prefix (RIGGER_TECHDOCS_GIT_ALLOWED)", ErrSourceNotAllowed, u.Scheme+"://"+u.Host+u.Path)
}

var (
	hexSHA = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)
	refRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$`)
)

// IsCommitSHA reports whether s is a full commit ID (SHA-1 or SHA-256).
func IsCommitSHA(s string) bool { return hexSHA.MatchString(s) }

// ValidRef accepts branch and tag names and full refs ("refs/heads/x"),
// with no ".." or "@{" sequences git forbids.
func ValidRef(ref string) bool {
	return refRE.MatchString(ref) && !strings.Contains(ref, "..") && !strings.Contains(ref, "//") &&
		!strings.HasSuffix(ref, "/") && !strings.HasSuffix(ref, ".lock") && !strings.HasSuffix(ref, ".")
}

// resolved is the ref a build clones and the commit it expects there.
type resolved struct {
	Ref    plumbing.ReferenceName // empty: no ref points at the commit
	Head   plumbing.Hash          // where Ref points (peeled)
	Commit plumbing.Hash
}

// ResolveRef answers what commit ref (a branch, a tag, a full ref, or ""
// for the default branch) of url points at, with one ls-remote.
func (g GitAccess) ResolveRef(ctx context.Context, rawURL, ref string) (string, error) {
	r, err := g.resolve(ctx, rawURL, ref, "")
	if err != nil {
		return "", err
	}
	return r.Commit.String(), nil
}

func (g GitAccess) resolve(ctx context.Context, rawURL, ref, commit string) (resolved, error) {
	if err := g.CheckURL(rawURL); err != nil {
		return resolved{}, err
	}
	if ref != "" && !ValidRef(ref) {
		return resolved{}, fmt.Errorf("%w: ref %q is not a valid branch or tag name", ErrSourceNotFound, ref)
	}
	if IsCommitSHA(ref) && commit == "" {
		commit, ref = ref, ""
	}
	remote := git.NewRemote(memory.NewStorage(), &gitconfig.RemoteConfig{Name: "origin", URLs: []string{rawURL}})
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	lctx, guard := g.guardRedirects(lctx, rawURL)
	refs, err := remote.ListContext(lctx, &git.ListOptions{Auth: g.auth(), PeelingOption: git.AppendPeeled})
	if err != nil {
		return resolved{}, gitError(rawURL, guard.err(err))
	}
	byName := map[plumbing.ReferenceName]*plumbing.Reference{}
	for _, r := range refs {
		byName[r.Name()] = r
	}
	peeled := func(name plumbing.ReferenceName) (plumbing.Hash, bool) {
		if p, ok := byName[name+"^{}"]; ok {
			return p.Hash(), true
		}
		r, ok := byName[name]
		if !ok || r.Type() != plumbing.HashReference {
			return plumbing.ZeroHash, false
		}
		return r.Hash(), true
	}
	var out resolved
	switch {
	case ref != "":
		for _, name := range []plumbing.ReferenceName{plumbing.ReferenceName(ref), plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)} {
			if !strings.HasPrefix(name.String(), "refs/heads/") && !strings.HasPrefix(name.String(), "refs/tags/") {
				continue
			}
			if h, ok := peeled(name); ok {
				out.Ref, out.Head = name, h
				break
			}
		}
		if out.Ref == "" {
			return resolved{}, fmt.Errorf("%w: %s has no branch or tag %q", ErrSourceNotFound, rawURL, ref)
		}
	default:
		out.Ref, out.Head = defaultBranch(byName, commit)
		if out.Ref == "" && commit == "" {
			return resolved{}, fmt.Errorf("%w: %s has no default branch", ErrSourceNotFound, rawURL)
		}
	}
	out.Commit = out.Head
	if commit != "" {
		out.Commit = plumbing.NewHash(commit)
	}
	return out, nil
}

// defaultBranch is the branch HEAD names; failing that (no symref
// advertised), a branch at HEAD's commit, preferring main and master. With
// want set, a branch already pointing at want wins: it makes the clone
// shallow.
func defaultBranch(refs map[plumbing.ReferenceName]*plumbing.Reference, want string) (plumbing.ReferenceName, plumbing.Hash) {
	if want != "" {
		for _, name := range []plumbing.ReferenceName{"refs/heads/main", "refs/heads/master"} {
			if r, ok := refs[name]; ok && r.Hash().String() == want {
				return name, r.Hash()
			}
		}
		for name, r := range refs {
			if name.IsBranch() && r.Hash().String() == want {
				return name, r.Hash()
			}
		}
	}
	head, ok := refs[plumbing.HEAD]
	if !ok {
		return "", plumbing.ZeroHash
	}
	if head.Type() == plumbing.SymbolicReference {
		if t, ok := refs[head.Target()]; ok {
			return t.Name(), t.Hash()
		}
	}
	for _, name := range []plumbing.ReferenceName{"refs/heads/main", "refs/heads/master"} {
		if r, ok := refs[name]; ok && r.Hash() == head.Hash() {
			return name, r.Hash()
		}
	}
	for name, r := range refs {
		if name.IsBranch() && r.Hash() == head.Hash() {
			return name, r.Hash()
		}
	}
	return "", plumbing.ZeroHash
}

// FetchResult describes a checked-out source.
type FetchResult struct {
	Commit string
	Ref    string
	Bytes  int64
}

// Fetch clones url into dir (which must not exist or be empty) at commit —
// or, with commit empty, at the head of ref — shallowly when the ref points
// at the commit, else with the ref's history, and checks the commit out.
// The clone is bounded by MaxBytes on disk: past it the clone is stopped
// and ErrSourceTooLarge returned. progress, when set, hears about phases.
func (g GitAccess) Fetch(ctx context.Context, rawURL, ref, commit, dir string, progress func(string)) (FetchResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if commit != "" && !IsCommitSHA(commit) {
		return FetchResult{}, fmt.Errorf("%w: %q is not a full commit SHA", ErrSourceNotFound, commit)
	}
	progress("ls-remote")
	r, err := g.resolve(ctx, rawURL, ref, commit)
	if err != nil {
		return FetchResult{}, err
	}
	shallow := r.Ref != "" && r.Head == r.Commit
	var used int64
	for _, depth := range []int{1, 0} {
		if depth == 1 && !shallow {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return FetchResult{}, err
		}
		progress(fmt.Sprintf("clone %s depth=%d", r.Ref, depth))
		used, err = g.cloneBounded(ctx, rawURL, r, depth, dir)
		if err != nil {
			return FetchResult{}, err
		}
		repo, err := git.PlainOpen(dir)
		if err != nil {
			return FetchResult{}, err
		}
		if depth == 1 {
			if head, err := repo.Head(); err == nil && head.Hash() == r.Commit {
				return FetchResult{Commit: r.Commit.String(), Ref: r.Ref.String(), Bytes: used}, nil
			}
			continue // the branch moved since ls-remote: fetch its history
		}
		wt, err := repo.Worktree()
		if err != nil {
			return FetchResult{}, err
		}
		if err := wt.Checkout(&git.CheckoutOptions{Hash: r.Commit, Force: true}); err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) || strings.Contains(err.Error(), "not found") {
				return FetchResult{}, fmt.Errorf("%w: commit %s is not on %s of %s", ErrSourceNotFound, r.Commit, orDefault(r.Ref.String(), "the default branch"), rawURL)
			}
			return FetchResult{}, err
		}
		size, err := dirSize(dir, g.maxBytes())
		if err != nil {
			return FetchResult{}, err
		}
		if size > g.maxBytes() {
			return FetchResult{}, fmt.Errorf("%w: more than %d bytes", ErrSourceTooLarge, g.maxBytes())
		}
		return FetchResult{Commit: r.Commit.String(), Ref: r.Ref.String(), Bytes: size}, nil
	}
	return FetchResult{}, errors.New("techdocs: unreachable")
}

// cloneBounded runs the clone while a watchdog measures dir and cancels
// the clone once it passes MaxBytes.
func (g GitAccess) cloneBounded(ctx context.Context, rawURL string, r resolved, depth int, dir string) (int64, error) {
	limit := g.maxBytes()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var over atomic.Bool
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if n, _ := dirSize(dir, limit); n > limit {
					over.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	opts := &git.CloneOptions{
		URL: rawURL, Auth: g.auth(), Depth: depth, SingleBranch: true,
		Tags: git.NoTags, RecurseSubmodules: git.NoRecurseSubmodules,
		NoCheckout: depth == 0, // a full clone checks the wanted commit out afterwards
	}
	if r.Ref != "" {
		opts.ReferenceName = r.Ref
	} else {
		opts.SingleBranch = false
	}
	gctx, guard := g.guardRedirects(cctx, rawURL)
	_, err := git.PlainCloneContext(gctx, dir, false, opts)
	close(done)
	if over.Load() {
		return 0, fmt.Errorf("%w: the clone of %s passed %d bytes", ErrSourceTooLarge, rawURL, limit)
	}
	if err != nil {
		return 0, gitError(rawURL, guard.err(err))
	}
	n, err := dirSize(dir, limit)
	if err != nil {
		return 0, err
	}
	if n > limit {
		return 0, fmt.Errorf("%w: the clone of %s passed %d bytes", ErrSourceTooLarge, rawURL, limit)
	}
	return n, nil
}

// dirSize sums the sizes of regular files under dir, stopping early past
// limit. A missing dir is 0.
func dirSize(dir string, limit int64) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		if n > limit {
			return filepath.SkipAll
		}
		return nil
	})
	return n, err
}

func gitError(rawURL string, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%w: no repository at %s", ErrSourceNotFound, rawURL)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%w: %s is empty", ErrSourceNotFound, rawURL)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: %s: %v", ErrSourceDenied, rawURL, err)
	}
	return fmt.Errorf("git %s: %w", rawURL, err)
}

// CheckSubdir resolves rel (a slash path inside root, "" for root itself)
// and refuses anything that leaves root, including through symlinks: a
// repository may contain a link to /etc.
func CheckSubdir(root, rel string) (string, error) {
	rel = strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(rel)), "/")
	if strings.Contains(rel, "\\") || strings.ContainsRune(rel, 0) {
		return "", fmt.Errorf("%w: %q is not a plain relative path", ErrSourceNotFound, rel)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	target, err := filepath.EvalSymlinks(filepath.Join(realRoot, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist in the source", ErrSourceNotFound, orDefault(rel, "."))
	}
	if err != nil {
		return "", err
	}
	if target != realRoot && !strings.HasPrefix(target, realRoot+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %s leaves the source", ErrSourceNotFound, rel)
	}
	info, err := os.Stat(target)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%w: %s is not a folder", ErrSourceNotFound, orDefault(rel, "."))
	}
	return target, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
