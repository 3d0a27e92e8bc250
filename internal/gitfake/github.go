package gitfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// GitHub is a fake GitHub REST v3 API (as GitHub Enterprise serves it, under
// /api/v3; requests without the prefix are accepted too). It answers:
//
//	GET    /user
//	POST   /user/repos, /orgs/{org}/repos
//	GET    /repos/{owner}/{repo}
//	DELETE /repos/{owner}/{repo}
//	PUT    /repos/{owner}/{repo}/topics
//	GET    /repos/{owner}/{repo}/pulls (?state, head=owner:branch, base)
//	POST   /repos/{owner}/{repo}/pulls
//	PATCH  /repos/{owner}/{repo}/pulls/{number}
//	DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}
//
// Requests need "Authorization: Bearer <Token()>"; git over HTTP takes user
// "x-access-token" with the token as password.
type GitHub struct {
	*forge
}

// NewGitHub starts a fake GitHub and its git server, both stopped when the
// test ends. It skips the test when git is not installed.
func NewGitHub(t testing.TB, opts ...Option) *GitHub {
	t.Helper()
	s := settings{token: "ghp_gitfaketoken0123456789", owner: "acme-tenants", login: "rigger-bot"}
	for _, o := range opts {
		o(&s)
	}
	g := &GitHub{}
	g.forge = newForge(t, s, "x-access-token", 1296269, http.HandlerFunc(g.serve))
	return g
}

func (g *GitHub) repoJSON(r *Repo) map[string]any {
	full := r.FullName()
	ownerType := "User"
	if r.Owner == g.owner {
		ownerType = "Organization"
	}
	return map[string]any{
		"id": r.ID, "node_id": "R_kgDO" + strconv.FormatInt(r.ID, 10), "name": r.Name, "full_name": full,
		"owner":   map[string]any{"login": r.Owner, "id": 583231, "type": ownerType},
		"private": r.Private(), "visibility": r.Visibility, "description": r.Description, "fork": false,
		"html_url":       g.srv.URL + "/" + full,
		"url":            g.srv.URL + "/api/v3/repos/" + full,
		"clone_url":      g.git.CloneURL(full),
		"git_url":        "git://example.invalid/" + full + ".git",
		"ssh_url":        "git@example.invalid:" + full + ".git",
		"default_branch": DefaultBranch, "topics": append([]string{}, r.Topics...),
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "pushed_at": nil,
	}
}

var ghNotFound = map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository", "status": "404"}

func ghInvalidName(field string) map[string]any {
	return map[string]any{"message": "Repository creation failed.",
		"errors": []any{map[string]any{"resource": "Repository", "code": "missing_field", "field": field}}}
}

func (g *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	g.log = append(g.log, r.Method+" "+path)
	if r.Header.Get("Authorization") != "Bearer "+g.token {
		writeJSON(w, 401, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return
	}
	if g.injected(w, r.Method, path) {
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == "GET" && path == "/user":
		writeJSON(w, 200, map[string]any{"login": g.login, "id": 583231, "type": "User"})

	case r.Method == "POST" && (path == "/user/repos" || len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos"):
		owner := g.login
		if parts[0] == "orgs" {
			owner = parts[1]
			if owner != g.owner {
				writeJSON(w, 404, ghNotFound)
				return
			}
		}
		var body struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Private     bool   `json:"private"`
			Visibility  string `json:"visibility"`
			// auto_init is not modelled: repositories start empty.
		}
		// Read to the end, so a client that goes away cancels r.Context().
		raw, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(raw, &body)
		}
		if err != nil || body.Name == "" {
			writeJSON(w, 422, ghInvalidName("name"))
			return
		}
		if !validName(body.Name) {
			writeJSON(w, 422, map[string]any{"message": "Repository creation failed.",
				"errors": []any{map[string]any{"resource": "Repository", "code": "custom", "field": "name", "message": "name is invalid"}}})
			return
		}
		full := owner + "/" + body.Name
		if !g.awaitCreate(r.Context(), full) {
			writeJSON(w, 503, map[string]any{"message": "Service Unavailable"})
			return
		}
		if g.repos[full] != nil {
			writeJSON(w, 422, map[string]any{"message": "Repository creation failed.",
				"errors":            []any{map[string]any{"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}},
				"documentation_url": "https://docs.github.com/rest/repos/repos#create-an-organization-repository", "status": "422"})
			return
		}
		vis := body.Visibility
		if vis == "" {
			vis = "public"
			if body.Private {
				vis = "private"
			}
		}
		repo := &Repo{Owner: owner, Name: body.Name, Description: body.Description, Visibility: vis}
		if !g.create(w, repo) {
			return
		}
		writeJSON(w, 201, g.repoJSON(repo))

	case len(parts) == 3 && parts[0] == "repos":
		full := parts[1] + "/" + parts[2]
		repo := g.repos[full]
		if repo == nil {
			writeJSON(w, 404, ghNotFound)
			return
		}
		switch r.Method {
		case "GET":
			writeJSON(w, 200, g.repoJSON(repo))
		case "DELETE":
			g.remove(full)
			w.WriteHeader(204)
		default:
			writeJSON(w, 405, map[string]any{"message": "Method Not Allowed"})
		}

	case len(parts) >= 4 && parts[0] == "repos" && (parts[3] == "pulls" || parts[3] == "git"):
		g.servePulls(w, r, parts)

	case r.Method == "PUT" && len(parts) == 4 && parts[0] == "repos" && parts[3] == "topics":
		repo := g.repos[parts[1]+"/"+parts[2]]
		if repo == nil {
			writeJSON(w, 404, ghNotFound)
			return
		}
		var body struct {
			Names []string `json:"names"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		repo.Topics = body.Names
		writeJSON(w, 200, map[string]any{"names": repo.Topics})

	default:
		writeJSON(w, 404, ghNotFound)
	}
}

func (g *GitHub) pullJSON(full string, pr *PullRequest) map[string]any {
	return map[string]any{
		"id": 9000 + pr.Number, "number": pr.Number, "state": pr.State, "title": pr.Title, "body": pr.Body, "draft": pr.Draft,
		"html_url": g.srv.URL + "/" + full + "/pull/" + strconv.Itoa(pr.Number),
		"url":      g.srv.URL + "/api/v3/repos/" + full + "/pulls/" + strconv.Itoa(pr.Number),
		"head":     map[string]any{"ref": pr.Head, "label": strings.Split(full, "/")[0] + ":" + pr.Head},
		"base":     map[string]any{"ref": pr.Base},
	}
}

// servePulls answers the pull request and branch-deletion endpoints; the
// caller holds g.mu.
func (g *GitHub) servePulls(w http.ResponseWriter, r *http.Request, parts []string) {
	full := parts[1] + "/" + parts[2]
	if g.repos[full] == nil {
		writeJSON(w, 404, ghNotFound)
		return
	}
	switch {
	case parts[3] == "git" && r.Method == "DELETE" && len(parts) >= 7 && parts[4] == "refs" && parts[5] == "heads":
		if err := g.deleteBranch(full, strings.Join(parts[6:], "/")); err != nil {
			writeJSON(w, 422, map[string]any{"message": "Reference does not exist"})
			return
		}
		w.WriteHeader(204)
	case parts[3] == "pulls" && len(parts) == 4 && r.Method == "GET":
		q := r.URL.Query()
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		_, head, _ := strings.Cut(q.Get("head"), ":")
		out := []any{}
		for _, pr := range g.pulls[full] {
			if (state == "all" || pr.State == state) && (head == "" || pr.Head == head) && (q.Get("base") == "" || pr.Base == q.Get("base")) {
				out = append(out, g.pullJSON(full, pr))
			}
		}
		writeJSON(w, 200, out)
	case parts[3] == "pulls" && len(parts) == 4 && r.Method == "POST":
		var body struct {
			Title, Head, Base, Body string
			Draft                   bool
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Title == "" || body.Head == "" || body.Base == "" {
			writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"resource": "PullRequest", "code": "missing_field"}}})
			return
		}
		if !g.branchExists(full, body.Head) || !g.branchExists(full, body.Base) {
			writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"resource": "PullRequest", "field": "head", "code": "invalid"}}})
			return
		}
		if g.openPull(full, body.Head, "open") != nil {
			writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []any{map[string]any{"resource": "PullRequest", "code": "custom",
				"message": "A pull request already exists for " + parts[1] + ":" + body.Head + "."}}})
			return
		}
		pr := &PullRequest{Title: body.Title, Body: body.Body, Head: body.Head, Base: body.Base, State: "open", Draft: body.Draft}
		g.addPull(full, pr)
		writeJSON(w, 201, g.pullJSON(full, pr))
	case parts[3] == "pulls" && len(parts) == 5 && r.Method == "PATCH":
		n, _ := strconv.Atoi(parts[4])
		pr := g.pull(full, n)
		if pr == nil {
			writeJSON(w, 404, ghNotFound)
			return
		}
		var body struct{ State string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.State == "closed" || body.State == "open" {
			pr.State = body.State
		}
		writeJSON(w, 200, g.pullJSON(full, pr))
	default:
		writeJSON(w, 404, ghNotFound)
	}
}
