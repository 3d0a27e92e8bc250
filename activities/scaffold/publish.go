package scaffold

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// What the publish actions share: the target repository from repoUrl, the
// forge client for its host, and the workspace files to push.

// repoTarget is a parsed repoUrl.
type repoTarget struct {
	Host, Owner, Repo string
}

func (t repoTarget) fullName() string { return t.Owner + "/" + t.Repo }

func (a *Activities) parseRepoURL(raw, wantType string) (repoTarget, error) {
	types := IntegrationTypes(a.Integrations)
	m, err := scaffolder.ParseRepoURL(raw, func(h string) string { return types[h] })
	if err != nil {
		return repoTarget{}, invalidf("repoUrl: %v", err)
	}
	t := repoTarget{Host: fmt.Sprint(m["host"])}
	t.Owner, _ = m["owner"].(string)
	t.Repo, _ = m["repo"].(string)
	if types[t.Host] != wantType {
		return t, invalidf("repoUrl: host %s is a %s integration, not %s", t.Host, types[t.Host], wantType)
	}
	if t.Owner == "" || t.Repo == "" {
		return t, invalidf("repoUrl %q needs both owner and repo", raw)
	}
	return t, nil
}

// workspaceFiles collects the files below sourcePath, placed below
// targetPath, for a push.
func workspaceFiles(ws *Workspace, sourcePath, targetPath string) (map[string][]byte, map[string]bool, error) {
	files, err := ws.Files(sourcePath)
	if err != nil {
		return nil, nil, invalidf("sourcePath: %v", err)
	}
	prefix := "."
	if targetPath != "" {
		if prefix, err = clean(targetPath); err != nil {
			return nil, nil, invalidf("targetPath: %v", err)
		}
	}
	data, exec := map[string][]byte{}, map[string]bool{}
	for _, f := range files {
		p := path.Join(prefix, f.Path)
		data[p] = f.Data
		exec[p] = f.Mode&0o111 != 0
	}
	return data, exec, nil
}

func (a *Activities) author(x *Exec) (string, string) {
	name, email := x.Str("gitAuthorName"), x.Str("gitAuthorEmail")
	if name == "" {
		name = a.AuthorName
	}
	if email == "" {
		email = a.AuthorEmail
	}
	return name, email
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// forgeErr classifies a forge error for Temporal: a repository that exists
// but is not this run's is the template's problem, reported as Backstage
// does; everything else as gitprovider decides (5xx and 429 retry).
func forgeErr(err error) error {
	var foreign *gitprovider.ForeignRepoError
	if errors.As(err, &foreign) {
		return invalidf("%v", err)
	}
	return gitprovider.Classify(err)
}

// undoRepo deletes the repository a publish step created. It works from the
// step's input alone (the step may have failed after creating it), and
// deletes only a repository that carries this run's marker, so it never
// removes one the run did not create.
func (a *Activities) undoRepo(ctx context.Context, u UndoInput, kind string) error {
	raw, _ := u.Input()["repoUrl"].(string)
	t, err := a.parseRepoURL(raw, kind)
	if err != nil {
		return nil // nothing could have been created
	}
	p, _, err := a.templates().provider(t.Host, "")
	if err != nil {
		return err
	}
	repo, err := p.GetRepo(ctx, t.Owner, t.Repo)
	if errors.Is(err, gitprovider.ErrNotFound) {
		return nil
	}
	if err != nil {
		return gitprovider.Classify(err)
	}
	if !repo.HasRunMarker(u.TaskID) || repo.CheckOwner(u.Tenant) != nil {
		return nil // not ours: leave it
	}
	if repo.PendingDeletion {
		return nil
	}
	if err := p.DeleteRepo(ctx, repo); err != nil && !errors.Is(err, gitprovider.ErrNotFound) {
		return gitprovider.Classify(err)
	}
	return nil
}

// undoPullRequest closes the pull/merge request the step opened and deletes
// its branch.
func (a *Activities) undoPullRequest(ctx context.Context, u UndoInput, kind string) error {
	raw, _ := u.Input()["repoUrl"].(string)
	t, err := a.parseRepoURL(raw, kind)
	if err != nil || u.Data == nil {
		return nil // the step never reported a request: nothing to close
	}
	number, _ := u.Data["number"].(float64)
	branch, _ := u.Data["branch"].(string)
	p, _, err := a.templates().provider(t.Host, "")
	if err != nil {
		return err
	}
	repo, err := p.GetRepo(ctx, t.Owner, t.Repo)
	if errors.Is(err, gitprovider.ErrNotFound) {
		return nil
	}
	if err != nil {
		return gitprovider.Classify(err)
	}
	return gitprovider.Classify(p.ClosePullRequest(ctx, repo, int(number), branch))
}

func trimGit(u string) string { return strings.TrimSuffix(u, ".git") }

// parseRepoLoose reads host, owner and repo from a repoUrl without checking
// the host against the integrations (for dry-run outputs).
func parseRepoLoose(raw string) ([3]string, error) {
	u, err := url.Parse("https://" + raw)
	if err != nil || u.Host == "" {
		return [3]string{}, fmt.Errorf("invalid repoUrl %q", raw)
	}
	q := u.Query()
	return [3]string{u.Host, orDefault(q.Get("owner"), "owner"), orDefault(q.Get("repo"), "repo")}, nil
}
