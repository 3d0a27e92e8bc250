package scaffold

import (
	"context"
	"fmt"
	"strings"
)

func publishGitLab() *Action {
	return &Action{
		ID:          "publish:gitlab",
		Description: "Creates a GitLab project and pushes the workspace (or sourcePath inside it) to its default branch. Undo deletes the project, if this run created it.",
		Input: obj([]string{"repoUrl"}, map[string]any{
			"repoUrl":          str("Repository location: gitlab.com?owner=group&repo=project"),
			"description":      str("Project description"),
			"defaultBranch":    str("Default branch (default master)"),
			"repoVisibility":   enum("Visibility (default private)", "private", "internal", "public"),
			"sourcePath":       str("Workspace folder to publish"),
			"gitCommitMessage": str("Commit message (default initial commit)"),
			"gitAuthorName":    str("Commit author name"),
			"gitAuthorEmail":   str("Commit author email"),
			"topics":           strList("Project topics"),
			"token":            tokenInput,
		}),
		Output: obj(nil, map[string]any{
			"remoteUrl":       str("Clone URL of the project"),
			"repoContentsUrl": str("Web URL of the project's contents on the default branch"),
			"projectId":       num("Project ID"),
			"commitHash":      str("The pushed commit"),
			"created":         boolean("Whether this run created the project"),
		}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			t, err := a.parseRepoURL(x.Str("repoUrl"), "gitlab")
			if err != nil {
				return err
			}
			return a.publishRepo(ctx, x, t, true)
		},
		DryRun: func(x *Exec) { publishDryRun(x, true) },
		Undo: func(ctx context.Context, a *Activities, u UndoInput) error {
			return a.undoRepo(ctx, u, "gitlab")
		},
	}
}

func publishGitLabMergeRequest() *Action {
	return &Action{
		ID:          "publish:gitlab:merge-request",
		Description: "Pushes the workspace (or sourcePath, placed at targetPath) to a new branch of an existing GitLab project and opens a merge request. Undo closes the merge request and deletes the branch.",
		Input: obj([]string{"repoUrl", "branchName"}, map[string]any{
			"repoUrl":            str("Repository location: gitlab.com?owner=group&repo=project"),
			"branchName":         str("Branch to create"),
			"targetBranchName":   str("Branch to merge into (default: the project's default branch)"),
			"title":              str("Merge request title"),
			"description":        str("Merge request description"),
			"draft":              boolean("Open as a draft"),
			"targetPath":         str("Folder in the project to put the files in"),
			"sourcePath":         str("Workspace folder to publish (default: targetPath, as in Backstage; '.' for the whole workspace)"),
			"commitAction":       enum("create, update or delete the files (default create/update)", "create", "update", "delete", "auto"),
			"removeSourceBranch": boolean("Delete the branch when merged"),
			"assignee":           str("Assignee user name (not set by Rigger)"),
			"gitAuthorName":      str("Commit author name"),
			"gitAuthorEmail":     str("Commit author email"),
			"token":              tokenInput,
		}),
		Output: obj(nil, map[string]any{
			"targetBranchName": str("The branch the merge request merges into"),
			"projectid":        str("Project path"),
			"projectPath":      str("Project path"),
			"mergeRequestUrl":  str("Web URL of the merge request"),
		}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			t, err := a.parseRepoURL(x.Str("repoUrl"), "gitlab")
			if err != nil {
				return err
			}
			if x.Str("assignee") != "" {
				x.Logf("Assignee %s is not set: Rigger does not look up GitLab users", x.Str("assignee"))
			}
			mr, err := a.openChange(ctx, x, t, true)
			if err != nil {
				return err
			}
			x.Output = map[string]any{"targetBranchName": mr.Base, "projectid": t.fullName(), "projectPath": t.fullName(), "mergeRequestUrl": mr.URL}
			return nil
		},
		DryRun: func(x *Exec) {
			host, owner, repo := repoParts(x.Str("repoUrl"))
			base := orDefault(x.Str("targetBranchName"), "main")
			full := strings.Trim(owner+"/"+repo, "/")
			x.Output = map[string]any{"targetBranchName": base, "projectid": full, "projectPath": full,
				"mergeRequestUrl": fmt.Sprintf("https://%s/%s/-/merge_requests/1", host, full)}
			x.Logf("Dry run: would open a merge request from %s into %s", x.Str("branchName"), base)
		},
		Undo: func(ctx context.Context, a *Activities, u UndoInput) error {
			return a.undoPullRequest(ctx, u, "gitlab")
		},
	}
}
