package scaffold

import (
	"context"
	"fmt"

	"github.com/rigger-platform/rigger/activities/gitprovider"
)

func publishGitHub() *Action {
	return &Action{
		ID:          "publish:github",
		Description: "Creates a GitHub repository and pushes the workspace (or sourcePath inside it) to its default branch. Undo deletes the repository, if this run created it.",
		Input: obj([]string{"repoUrl"}, map[string]any{
			"repoUrl":          str("Repository location: github.com?owner=o&repo=r"),
			"description":      str("Repository description"),
			"homepageUrl":      str("Repository homepage (not set by Rigger)"),
			"defaultBranch":    str("Default branch (default master)"),
			"repoVisibility":   enum("Visibility (default private)", "private", "internal", "public"),
			"sourcePath":       str("Workspace folder to publish"),
			"gitCommitMessage": str("Commit message (default initial commit)"),
			"gitAuthorName":    str("Commit author name"),
			"gitAuthorEmail":   str("Commit author email"),
			"topics":           strList("Repository topics"),
			"token":            tokenInput,
		}),
		Output: obj(nil, map[string]any{
			"remoteUrl":       str("Clone URL of the repository"),
			"repoContentsUrl": str("Web URL of the repository's contents on the default branch"),
			"commitHash":      str("The pushed commit"),
		}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			t, err := a.parseRepoURL(x.Str("repoUrl"), "github")
			if err != nil {
				return err
			}
			return a.publishRepo(ctx, x, t, false)
		},
		DryRun: func(x *Exec) { publishDryRun(x, false) },
		Undo: func(ctx context.Context, a *Activities, u UndoInput) error {
			return a.undoRepo(ctx, u, "github")
		},
	}
}

// publishRepo creates the repository (adopting it when an earlier attempt of
// this run did) and pushes the workspace: both converge, so a retry after a
// crash at any point makes no second repository and no second commit.
func (a *Activities) publishRepo(ctx context.Context, x *Exec, t repoTarget, gitlab bool) error {
	p, _, err := a.templates().provider(t.Host, x.Str("token"))
	if err != nil {
		return err
	}
	repo, created, err := p.EnsureRepo(ctx, gitprovider.RepoSpec{
		Owner: t.Owner, Name: t.Repo, Tenant: x.Tenant, Run: x.TaskID,
		Description: x.Str("description"), Visibility: orDefault(x.Str("repoVisibility"), "private"),
		Private: true, Topics: x.Strings("topics"),
	})
	if err != nil {
		return forgeErr(err)
	}
	if created {
		x.Logf("Created repository %s", repo.FullName)
	} else {
		x.Logf("Repository %s was created by an earlier attempt of this run; reusing it", repo.FullName)
	}
	heartbeat(ctx, "repository ready")
	branch := orDefault(x.Str("defaultBranch"), "master")
	files, exec, err := workspaceFiles(x.WS, x.Str("sourcePath"), "")
	if err != nil {
		return err
	}
	name, email := a.author(x)
	sha, pushed, err := gitprovider.PushFiles(ctx, gitprovider.PushSpec{
		URL: repo.CloneURL, Username: p.GitUsername(), Token: tokenFor(a, t.Host, x.Str("token")), Branch: branch,
		Files: files, Executable: exec, Message: orDefault(x.Str("gitCommitMessage"), "initial commit"),
		AuthorName: orDefault(name, "Scaffolder"), AuthorEmail: orDefault(email, "scaffolder@backstage.io"),
	})
	if err != nil {
		return gitprovider.ClassifyGit(repo.FullName, err)
	}
	if pushed {
		x.Logf("Pushed %d files to %s of %s (%s)", len(files), branch, repo.FullName, shortSHA(sha))
	} else {
		x.Logf("%s of %s already holds these files (%s)", branch, repo.FullName, shortSHA(sha))
	}
	contents := trimGit(repo.WebURL) + "/blob/" + branch
	if gitlab {
		contents = trimGit(repo.WebURL) + "/-/blob/" + branch
	}
	x.Output = map[string]any{"remoteUrl": repo.CloneURL, "repoContentsUrl": contents, "commitHash": sha}
	if gitlab {
		x.Output["projectId"] = float64(repo.ID)
		x.Output["created"] = created
	}
	x.Undo = map[string]any{"repo": repo.FullName, "id": float64(repo.ID)}
	return nil
}

// publishDryRun reports the outputs a publish would have, from its input.
func publishDryRun(x *Exec, gitlab bool) {
	host, owner, repo := repoParts(x.Str("repoUrl"))
	branch := orDefault(x.Str("defaultBranch"), "master")
	web := fmt.Sprintf("https://%s/%s/%s", host, owner, repo)
	x.Output = map[string]any{"remoteUrl": web + ".git", "repoContentsUrl": web + "/blob/" + branch, "commitHash": "0000000000000000000000000000000000000000"}
	if gitlab {
		x.Output["repoContentsUrl"] = web + "/-/blob/" + branch
		x.Output["projectId"] = float64(0)
		x.Output["created"] = true
	}
	x.Logf("Dry run: would create %s and push the workspace to %s", web, branch)
}

func publishGitHubPullRequest() *Action {
	return &Action{
		ID:          "publish:github:pull-request",
		Description: "Pushes the workspace (or sourcePath, placed at targetPath) to a new branch of an existing GitHub repository and opens a pull request. Undo closes the pull request and deletes the branch.",
		Input: obj([]string{"repoUrl", "branchName", "title", "description"}, map[string]any{
			"repoUrl":          str("Repository location: github.com?owner=o&repo=r"),
			"branchName":       str("Branch to create"),
			"targetBranchName": str("Branch to merge into (default: the repository's default branch)"),
			"title":            str("Pull request title"),
			"description":      str("Pull request body"),
			"draft":            boolean("Open as a draft"),
			"targetPath":       str("Folder in the repository to put the files in"),
			"sourcePath":       str("Workspace folder to publish"),
			"commitMessage":    str("Commit message (default: the title)"),
			"gitAuthorName":    str("Commit author name"),
			"gitAuthorEmail":   str("Commit author email"),
			"token":            tokenInput,
		}),
		Output: obj(nil, map[string]any{
			"remoteUrl":         str("Web URL of the pull request"),
			"pullRequestNumber": num("Pull request number"),
			"targetBranchName":  str("The branch the pull request merges into"),
		}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			t, err := a.parseRepoURL(x.Str("repoUrl"), "github")
			if err != nil {
				return err
			}
			pr, err := a.openChange(ctx, x, t, false)
			if err != nil {
				return err
			}
			x.Output = map[string]any{"remoteUrl": pr.URL, "pullRequestNumber": float64(pr.Number), "targetBranchName": pr.Base}
			return nil
		},
		DryRun: func(x *Exec) {
			host, owner, repo := repoParts(x.Str("repoUrl"))
			base := orDefault(x.Str("targetBranchName"), "main")
			x.Output = map[string]any{"remoteUrl": fmt.Sprintf("https://%s/%s/%s/pull/1", host, owner, repo), "pullRequestNumber": float64(1), "targetBranchName": base}
			x.Logf("Dry run: would open a pull request from %s into %s", x.Str("branchName"), base)
		},
		Undo: func(ctx context.Context, a *Activities, u UndoInput) error {
			return a.undoPullRequest(ctx, u, "github")
		},
	}
}

// openChange pushes the files to the branch (from the target branch) and
// opens the pull/merge request, reusing both on a retry.
func (a *Activities) openChange(ctx context.Context, x *Exec, t repoTarget, gitlab bool) (gitprovider.PullRequest, error) {
	p, _, err := a.templates().provider(t.Host, x.Str("token"))
	if err != nil {
		return gitprovider.PullRequest{}, err
	}
	repo, err := p.GetRepo(ctx, t.Owner, t.Repo)
	if err != nil {
		return gitprovider.PullRequest{}, forgeErr(err)
	}
	base := orDefault(x.Str("targetBranchName"), orDefault(repo.DefaultBranch, "main"))
	branch := x.Str("branchName")
	source := x.Str("sourcePath")
	if source == "" && gitlab {
		// GitLab's action reads from targetPath when no sourcePath is
		// given, for backward compatibility; "." reads the whole workspace.
		source = x.Str("targetPath")
	}
	files, exec, err := workspaceFiles(x.WS, source, x.Str("targetPath"))
	if err != nil {
		return gitprovider.PullRequest{}, err
	}
	spec := gitprovider.PushSpec{
		URL: repo.CloneURL, Username: p.GitUsername(), Token: tokenFor(a, t.Host, x.Str("token")), Branch: branch, Base: base,
		Files: files, Executable: exec, Message: orDefault(x.Str("commitMessage"), x.Str("title")),
	}
	spec.AuthorName, spec.AuthorEmail = a.author(x)
	if x.Str("commitAction") == "delete" {
		for f := range files {
			spec.Delete = append(spec.Delete, f)
		}
		spec.Files, spec.Executable = nil, nil
	}
	sha, _, err := gitprovider.PushFiles(ctx, spec)
	if err != nil {
		return gitprovider.PullRequest{}, gitprovider.ClassifyGit(repo.FullName, err)
	}
	x.Logf("Pushed %d files to branch %s of %s (%s)", len(files), branch, repo.FullName, shortSHA(sha))
	heartbeat(ctx, "branch pushed")
	pr, err := p.CreatePullRequest(ctx, repo, gitprovider.PullRequestSpec{
		Head: branch, Base: base, Title: x.Str("title"), Body: x.Str("description"), Draft: x.Bool("draft"),
		RemoveSourceBranch: x.Bool("removeSourceBranch"),
	})
	if err != nil {
		return pr, forgeErr(err)
	}
	x.Logf("Opened %s", pr.URL)
	x.Undo = map[string]any{"repo": repo.FullName, "number": float64(pr.Number), "branch": branch}
	return pr, nil
}

func tokenFor(a *Activities, host, override string) string {
	if override != "" {
		return override
	}
	in, _ := a.templates().integration(host)
	return in.Token
}

func repoParts(raw string) (host, owner, repo string) {
	m, err := parseRepoLoose(raw)
	if err != nil {
		return "example.invalid", "owner", "repo"
	}
	return m[0], m[1], m[2]
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
