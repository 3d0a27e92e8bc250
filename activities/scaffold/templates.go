package scaffold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/scaffolder"
	"github.com/rigger-platform/rigger/internal/store"
)

// Source is a template location as one run sees it: Type "dir" (a local
// directory), "git" (a repository, pinned to Commit when the task was
// created, so every step of the run reads the same files) or "snapshot" (a
// dry run's uploaded files, in the tenant's object storage under Target).
type Source struct {
	Type   string `json:"type"`
	Target string `json:"target"`
	Ref    string `json:"ref,omitempty"`
	Commit string `json:"commit,omitempty"`
}

// Templates reads template locations. It is shared by the API (parameter
// schemas, validation at submission) and the worker, and caches git trees
// by commit.
type Templates struct {
	Integrations []Integration
	Objects      storage.Store

	hosts hosts
	mu    sync.Mutex
	trees map[string]*Workspace // url@commit
	order []string              // trees, oldest first
	heads map[string]headEntry  // url#ref -> commit
	lists map[string]listEntry  // location -> its templates
}

type listEntry struct {
	list []TemplateEntry
	at   time.Time
}

// dirListTTL is how long a directory location's list of templates is
// reused (a git location's is keyed by commit and never goes stale).
const dirListTTL = 5 * time.Second

type headEntry struct {
	commit string
	at     time.Time
}

const (
	maxCachedTrees = 32
	headTTL        = 10 * time.Second
	maxTreeBytes   = 256 << 20
)

// Resolve pins a configured location for a new run: a git ref becomes the
// commit it points at now.
func (t *Templates) Resolve(ctx context.Context, loc store.TemplateLocation) (Source, error) {
	src := Source{Type: loc.Type, Target: loc.Target, Ref: loc.Ref}
	if loc.Type != "git" {
		return src, nil
	}
	_, commit, _, err := t.gitTree(ctx, loc.Target, loc.Ref, "")
	src.Commit = commit
	return src, err
}

// Open returns the location's files. tenant scopes snapshot sources.
func (t *Templates) Open(ctx context.Context, tenant string, src Source) (fs.FS, error) {
	switch src.Type {
	case "dir":
		fi, err := os.Stat(src.Target)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("template location %s is not a readable directory", src.Target)
		}
		return os.DirFS(src.Target), nil
	case "git":
		ws, _, sub, err := t.gitTree(ctx, src.Target, src.Ref, src.Commit)
		if err != nil {
			return nil, err
		}
		if sub != "" && sub != "." {
			return fs.Sub(ws.FS(), sub)
		}
		return ws.FS(), nil
	case "drafts":
		return t.openDrafts(ctx, tenant)
	case "snapshot":
		if t.Objects == nil {
			return nil, errors.New("object storage is not configured")
		}
		r, err := storage.Scoped(t.Objects, tenant).Get(ctx, src.Target)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, MaxWorkspaceBytes))
		if err != nil {
			return nil, err
		}
		ws, err := DecodeWorkspace(data)
		if err != nil {
			return nil, err
		}
		return ws.FS(), nil
	}
	return nil, fmt.Errorf("unknown template location type %q", src.Type)
}

// remoteRepo is a repository URL on a configured integration:
// https://<host>/<owner>/<repo>[/tree/<ref>/<path>] (GitHub) or
// https://<host>/<group>/<project>[/-/tree/<ref>/<path>] (GitLab).
type remoteRepo struct {
	host, owner, name, ref, subpath string
}

func (t *Templates) parseRemote(raw string) (remoteRepo, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return remoteRepo{}, false
	}
	in, ok := t.integrationForURL(u)
	if !ok {
		return remoteRepo{}, false
	}
	p := strings.Trim(u.Path, "/")
	var ref, sub string
	for _, marker := range []string{"/-/tree/", "/-/blob/", "/tree/", "/blob/"} {
		if i := strings.Index(p, marker); i >= 0 {
			ref, sub, _ = strings.Cut(p[i+len(marker):], "/")
			p = p[:i]
			break
		}
	}
	p = strings.TrimSuffix(p, ".git")
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return remoteRepo{}, false
	}
	return remoteRepo{host: in.Host, owner: p[:i], name: p[i+1:], ref: ref, subpath: sub}, true
}

// integrationForURL finds the integration a web URL belongs to: by its host
// name, or by the host of its API URL (a self-hosted forge, or a test
// server, serves web and API on one host).
func (t *Templates) integrationForURL(u *url.URL) (Integration, bool) {
	if in, ok := t.integration(u.Host); ok {
		return in, true
	}
	for _, in := range t.Integrations {
		if api, err := url.Parse(in.APIURL); err == nil && in.APIURL != "" && strings.EqualFold(api.Host, u.Host) {
			return in, true
		}
	}
	return Integration{}, false
}

// gitTree reads a repository at ref (or the exact commit) through the cache.
// A URL on a configured integration is looked up through its API (clone URL
// and token); any other URL is cloned anonymously. sub is the folder a
// /tree/<ref>/<path> URL points into.
func (t *Templates) gitTree(ctx context.Context, raw, ref, commit string) (ws *Workspace, resolved, sub string, err error) {
	cloneURL, user, token := raw, "", ""
	if rr, ok := t.parseRemote(raw); ok {
		p, in, err := t.provider(rr.host, "")
		if err != nil {
			return nil, "", "", err
		}
		repo, err := p.GetRepo(ctx, rr.owner, rr.name)
		if err != nil {
			return nil, "", "", err
		}
		cloneURL, user, token, sub = repo.CloneURL, p.GitUsername(), in.Token, rr.subpath
		if ref == "" {
			ref = rr.ref
		}
	}
	if commit == "" {
		t.mu.Lock()
		if h, ok := t.heads[cloneURL+"#"+ref]; ok && time.Since(h.at) < headTTL {
			commit = h.commit
		}
		t.mu.Unlock()
	}
	if commit != "" {
		t.mu.Lock()
		ws = t.trees[cloneURL+"@"+commit]
		t.mu.Unlock()
		if ws != nil {
			return ws, commit, sub, nil
		}
	}
	files, head, err := gitprovider.ReadTree(ctx, cloneURL, user, token, ref, commit, maxTreeBytes)
	if err != nil {
		return nil, "", "", fmt.Errorf("read %s at %q: %w", raw, ref, err)
	}
	data := make(map[string][]byte, len(files))
	exec := map[string]bool{}
	for p, f := range files {
		data[p], exec[p] = f.Data, f.Executable
	}
	if ws, err = workspaceFromFiles(data, exec); err != nil {
		return nil, "", "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.trees == nil {
		t.trees, t.heads = map[string]*Workspace{}, map[string]headEntry{}
	}
	key := cloneURL + "@" + head
	if _, ok := t.trees[key]; !ok {
		t.trees[key] = ws
		t.order = append(t.order, key)
		if len(t.order) > maxCachedTrees {
			delete(t.trees, t.order[0])
			t.order = t.order[1:]
		}
	}
	if commit == "" {
		t.heads[cloneURL+"#"+ref] = headEntry{commit: head, at: time.Now()}
	}
	return ws, head, sub, nil
}

// TemplateEntry is a template found in a location.
type TemplateEntry struct {
	Namespace, Name, Title, Description string
	Path                                string // inside the location
}

// maxTemplateFile skips YAML files too large to be a template.
const maxTemplateFile = 4 << 20

// ListTemplates finds every Template entity in fsys (*.yaml, *.yml).
func ListTemplates(fsys fs.FS) ([]TemplateEntry, error) {
	var out []TemplateEntry
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != "." && (strings.HasPrefix(n, ".") || n == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > maxTemplateFile || !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil || !bytes.Contains(data, []byte("Template")) {
			return nil
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var head struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name, Namespace, Title, Description string
				} `yaml:"metadata"`
			}
			if err := dec.Decode(&head); err != nil {
				break
			}
			if head.Kind == "Template" && head.Metadata.Name != "" {
				ns := head.Metadata.Namespace
				if ns == "" {
					ns = "default"
				}
				out = append(out, TemplateEntry{Namespace: ns, Name: head.Metadata.Name, Title: head.Metadata.Title,
					Description: head.Metadata.Description, Path: p})
			}
		}
		return nil
	})
	return out, err
}

// ErrTemplateNotFound is matched by Find's error when no location has the
// template.
var ErrTemplateNotFound = errors.New("template not found")

// Find looks for namespace/name in the locations in order and returns the
// parsed template, where it was found (pinned) and its files.
func (t *Templates) Find(ctx context.Context, tenant string, locs []store.TemplateLocation, namespace, name string) (*scaffolder.Template, Source, fs.FS, error) {
	for _, loc := range locs {
		src, err := t.Resolve(ctx, loc)
		if err != nil {
			return nil, src, nil, fmt.Errorf("template location %s: %w", loc.Target, err)
		}
		fsys, err := t.Open(ctx, tenant, src)
		if err != nil {
			return nil, src, nil, fmt.Errorf("template location %s: %w", loc.Target, err)
		}
		list, err := t.list(src, fsys)
		if err != nil {
			return nil, src, nil, fmt.Errorf("template location %s: %w", loc.Target, err)
		}
		tmpl, err := findIn(fsys, list, namespace, name)
		if errors.Is(err, ErrTemplateNotFound) {
			continue
		}
		return tmpl, src, fsys, err
	}
	// Last, the templates the assistant drafted and a tenant admin approved.
	src := Source{Type: "drafts", Target: DraftsPrefix}
	if fsys, err := t.Open(ctx, tenant, src); err == nil {
		if tmpl, err := FindIn(fsys, namespace, name); err == nil {
			return tmpl, src, fsys, nil
		}
	}
	return nil, Source{}, nil, fmt.Errorf("%w: template:%s/%s is in none of the tenant's template locations", ErrTemplateNotFound, namespace, name)
}

// list returns the templates of a location through the cache.
func (t *Templates) list(src Source, fsys fs.FS) ([]TemplateEntry, error) {
	key := ""
	switch src.Type {
	case "dir":
		key = "dir:" + src.Target
	case "git":
		key = "git:" + src.Target + "@" + src.Commit
	}
	t.mu.Lock()
	e, ok := t.lists[key]
	t.mu.Unlock()
	if ok && key != "" && (src.Type == "git" || time.Since(e.at) < dirListTTL) {
		return e.list, nil
	}
	list, err := ListTemplates(fsys)
	if err != nil || key == "" {
		return list, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lists == nil || len(t.lists) > 256 {
		t.lists = map[string]listEntry{}
	}
	t.lists[key] = listEntry{list: list, at: time.Now()}
	return list, nil
}

// FindIn parses the template namespace/name of one location.
func FindIn(fsys fs.FS, namespace, name string) (*scaffolder.Template, error) {
	list, err := ListTemplates(fsys)
	if err != nil {
		return nil, err
	}
	return findIn(fsys, list, namespace, name)
}

func findIn(fsys fs.FS, list []TemplateEntry, namespace, name string) (*scaffolder.Template, error) {
	for _, e := range list {
		if e.Name == name && strings.EqualFold(e.Namespace, namespace) {
			data, err := fs.ReadFile(fsys, e.Path)
			if err != nil {
				return nil, err
			}
			return scaffolder.Parse(data, e.Path)
		}
	}
	return nil, fmt.Errorf("%w: template:%s/%s", ErrTemplateNotFound, namespace, name)
}

// readRemoteFile reads one file named by a web URL on an integration
// (https://<host>/<owner>/<repo>/blob/<ref>/<path>, or /-/blob/ on GitLab).
func (t *Templates) readRemoteFile(ctx context.Context, raw string) ([]byte, error) {
	rr, ok := t.parseRemote(raw)
	if !ok || rr.subpath == "" {
		return nil, fmt.Errorf("%s is not a file URL on a configured integration", raw)
	}
	ws, _, _, err := t.gitTree(ctx, raw, "", "")
	if err != nil {
		return nil, err
	}
	return ws.ReadFile(rr.subpath)
}
