package gitfake

import (
	"fmt"
	"slices"
)

// PullRequest is a pull request (GitHub) or merge request (GitLab) on a
// fake, as its API reports it.
type PullRequest struct {
	Number             int // GitHub number, GitLab IID
	Title, Body        string
	Head, Base         string // branch names
	State              string // "open"/"closed" (GitHub), "opened"/"closed" (GitLab)
	Draft              bool
	RemoveSourceBranch bool
}

// PullRequests returns the pull (merge) requests of repository name
// ("owner/name", or a bare name under Owner()), in creation order.
func (f *forge) PullRequests(name string) []PullRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []PullRequest
	for _, pr := range f.pulls[f.fullName(name)] {
		out = append(out, *pr)
	}
	return out
}

// Branches lists the branches of repository name, sorted.
func (f *forge) Branches(name string) ([]string, error) {
	out, err := f.git.Git(f.git.Dir(f.fullName(name)), "for-each-ref", "--format=%(refname:short)", "refs/heads/")
	if err != nil || out == "" {
		return nil, err
	}
	var names []string
	for _, l := range splitLines(out) {
		names = append(names, l)
	}
	slices.Sort(names)
	return names, nil
}

// BranchFiles returns the files on branch of repository name.
func (f *forge) BranchFiles(name, branch string) (map[string]string, error) {
	return f.git.Files(f.fullName(name), branch)
}

// openPull finds the open request for head in full; the caller holds f.mu.
func (f *forge) openPull(full, head string, open string) *PullRequest {
	for _, pr := range f.pulls[full] {
		if pr.Head == head && pr.State == open {
			return pr
		}
	}
	return nil
}

// addPull records a new request; the caller holds f.mu.
func (f *forge) addPull(full string, pr *PullRequest) {
	pr.Number = len(f.pulls[full]) + 1
	f.pulls[full] = append(f.pulls[full], pr)
}

func (f *forge) pull(full string, n int) *PullRequest {
	for _, pr := range f.pulls[full] {
		if pr.Number == n {
			return pr
		}
	}
	return nil
}

// branchExists reports whether branch exists in full (bare repository).
func (f *forge) branchExists(full, branch string) bool {
	head, err := f.git.Head(full, branch)
	return err == nil && head != ""
}

// deleteBranch removes a branch from full's bare repository.
func (f *forge) deleteBranch(full, branch string) error {
	if !f.branchExists(full, branch) {
		return fmt.Errorf("no branch %s", branch)
	}
	_, err := f.git.Git(f.git.Dir(full), "update-ref", "-d", "refs/heads/"+branch)
	return err
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
