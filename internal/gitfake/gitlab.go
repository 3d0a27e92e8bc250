package gitfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// GitLab is a fake GitLab v4 API (under /api/v4; requests without the
// prefix are accepted too). It answers:
//
//	GET    /user
//	GET    /namespaces/{id or url-encoded path}
//	POST   /projects
//	GET    /projects/{id or url-encoded path}
//	DELETE /projects/{id or url-encoded path}
//	GET    /projects/{id}/merge_requests (?state, source_branch, target_branch)
//	POST   /projects/{id}/merge_requests
//	PUT    /projects/{id}/merge_requests/{iid}
//	DELETE /projects/{id}/repository/branches/{branch}
//
// Requests need "PRIVATE-TOKEN: <Token()>"; git over HTTP takes user
// "oauth2" with the token as password. Namespaces are Owner() (a group, ID
// 42) and Login() (the user, ID 7).
type GitLab struct {
	*forge
	groups map[string]int // namespace full path -> ID; fixed after construction
}

// NewGitLab starts a fake GitLab and its git server, both stopped when the
// test ends. It skips the test when git is not installed.
func NewGitLab(t testing.TB, opts ...Option) *GitLab {
	t.Helper()
	s := settings{token: "glpat-gitfaketoken0123456789", owner: "tenants", login: "rigger-bot"}
	for _, o := range opts {
		o(&s)
	}
	g := &GitLab{groups: map[string]int{s.owner: 42, s.login: 7}}
	g.forge = newForge(t, s, "oauth2", 1000, http.HandlerFunc(g.serve))
	return g
}

// MarkForDeletion sets or clears a project's pending (delayed) deletion,
// reported as marked_for_deletion_at / _on.
func (g *GitLab) MarkForDeletion(name string, marked bool) {
	g.t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repos[g.fullName(name)]
	if r == nil {
		g.t.Fatalf("gitfake: no project %s", name)
	}
	r.MarkedForDeletion = marked
}

func (g *GitLab) projectJSON(p *Repo) map[string]any {
	full := p.FullName()
	// GitLab reports no default branch while the repository is empty.
	var branch any
	if head, _ := g.git.Head(full, DefaultBranch); head != "" {
		branch = DefaultBranch
	}
	var marked any
	if p.MarkedForDeletion {
		marked = "2026-01-02"
	}
	nsKind := "group"
	if p.Owner == g.login {
		nsKind = "user"
	}
	return map[string]any{
		"id": p.ID, "description": p.Description, "name": p.Name, "name_with_namespace": p.Owner + " / " + p.Name,
		"path": p.Name, "path_with_namespace": full, "created_at": "2026-01-01T00:00:00.000Z",
		"default_branch": branch, "tag_list": append([]string{}, p.Topics...), "topics": append([]string{}, p.Topics...),
		"ssh_url_to_repo":  "git@example.invalid:" + full + ".git",
		"http_url_to_repo": g.git.CloneURL(full),
		"web_url":          g.srv.URL + "/" + full,
		"visibility":       p.Visibility,
		"namespace": map[string]any{"id": g.groups[p.Owner], "name": p.Owner, "path": p.Owner,
			"kind": nsKind, "full_path": p.Owner},
		"empty_repo":             branch == nil,
		"marked_for_deletion_at": marked, "marked_for_deletion_on": marked,
	}
}

func (g *GitLab) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Project and namespace IDs arrive URL-encoded ("tenants%2Fname").
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4")
	g.log = append(g.log, r.Method+" "+path)
	if r.Header.Get("PRIVATE-TOKEN") != g.token {
		writeJSON(w, 401, map[string]any{"message": "401 Unauthorized"})
		return
	}
	if g.injected(w, r.Method, path) {
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id := ""
	if len(parts) == 2 {
		id, _ = url.PathUnescape(parts[1])
	}
	switch {
	case r.Method == "GET" && path == "/user":
		writeJSON(w, 200, map[string]any{"id": 7, "username": g.login, "name": "Rigger Bot", "state": "active"})

	case r.Method == "GET" && len(parts) == 2 && parts[0] == "namespaces":
		for p, nsID := range g.groups {
			if p == id || strconv.Itoa(nsID) == id {
				writeJSON(w, 200, map[string]any{"id": nsID, "name": p, "path": p, "kind": "group", "full_path": p})
				return
			}
		}
		writeJSON(w, 404, map[string]any{"message": "404 Namespace Not Found"})

	case r.Method == "POST" && path == "/projects":
		var body struct {
			Name        string   `json:"name"`
			Path        string   `json:"path"`
			NamespaceID int      `json:"namespace_id"`
			Description string   `json:"description"`
			Visibility  string   `json:"visibility"`
			Topics      []string `json:"topics"`
		}
		// Read to the end, so a client that goes away cancels r.Context().
		raw, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(raw, &body)
		}
		if err != nil {
			writeJSON(w, 400, map[string]any{"message": "400 Bad request - " + err.Error()})
			return
		}
		if body.Path == "" {
			body.Path = body.Name
		}
		if !validName(body.Path) {
			writeJSON(w, 400, map[string]any{"message": map[string]any{"path": []string{"is invalid"}}})
			return
		}
		ns := g.login
		if body.NamespaceID != 0 {
			ns = ""
			for p, nsID := range g.groups {
				if nsID == body.NamespaceID {
					ns = p
				}
			}
			if ns == "" {
				writeJSON(w, 404, map[string]any{"message": "404 Namespace Not Found"})
				return
			}
		}
		full := ns + "/" + body.Path
		if !g.awaitCreate(r.Context(), full) {
			writeJSON(w, 503, map[string]any{"message": "503 Service Unavailable"})
			return
		}
		if g.repos[full] != nil {
			writeJSON(w, 400, map[string]any{"message": map[string]any{
				"project_namespace.name": []string{"has already been taken"},
				"name":                   []string{"has already been taken"},
				"path":                   []string{"has already been taken"},
			}})
			return
		}
		vis := body.Visibility
		if vis == "" {
			vis = "private"
		}
		p := &Repo{Owner: ns, Name: body.Path, Description: body.Description, Visibility: vis,
			Topics: append([]string(nil), body.Topics...)}
		if !g.create(w, p) {
			return
		}
		writeJSON(w, 201, g.projectJSON(p))

	case len(parts) > 2 && parts[0] == "projects":
		id, _ := url.PathUnescape(parts[1])
		p := g.project(id)
		if p == nil {
			writeJSON(w, 404, map[string]any{"message": "404 Project Not Found"})
			return
		}
		g.serveMergeRequests(w, r, p, parts[2:])

	case len(parts) == 2 && parts[0] == "projects":
		var p *Repo
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			for _, q := range g.repos {
				if q.ID == n {
					p = q
				}
			}
		} else {
			p = g.repos[id]
		}
		if p == nil {
			writeJSON(w, 404, map[string]any{"message": "404 Project Not Found"})
			return
		}
		switch r.Method {
		case "GET":
			writeJSON(w, 200, g.projectJSON(p))
		case "DELETE":
			g.remove(p.FullName())
			writeJSON(w, 202, map[string]any{"message": "202 Accepted"})
		default:
			writeJSON(w, 405, map[string]any{"message": "405 Method Not Allowed"})
		}

	default:
		writeJSON(w, 404, map[string]any{"error": "404 Not Found"})
	}
}

// project finds a project by ID or full path; the caller holds g.mu.
func (g *GitLab) project(id string) *Repo {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		for _, q := range g.repos {
			if q.ID == n {
				return q
			}
		}
		return nil
	}
	return g.repos[id]
}

func (g *GitLab) mrJSON(p *Repo, mr *PullRequest) map[string]any {
	return map[string]any{
		"id": 5000 + mr.Number, "iid": mr.Number, "project_id": p.ID, "title": mr.Title, "description": mr.Body,
		"state": mr.State, "source_branch": mr.Head, "target_branch": mr.Base, "draft": mr.Draft,
		"force_remove_source_branch": mr.RemoveSourceBranch,
		"web_url":                    g.srv.URL + "/" + p.FullName() + "/-/merge_requests/" + strconv.Itoa(mr.Number),
	}
}

// serveMergeRequests answers /projects/{id}/<rest>; the caller holds g.mu.
func (g *GitLab) serveMergeRequests(w http.ResponseWriter, r *http.Request, p *Repo, rest []string) {
	full := p.FullName()
	switch {
	case len(rest) >= 3 && rest[0] == "repository" && rest[1] == "branches" && r.Method == "DELETE":
		branch, _ := url.PathUnescape(strings.Join(rest[2:], "/"))
		if err := g.deleteBranch(full, branch); err != nil {
			writeJSON(w, 404, map[string]any{"message": "404 Branch Not Found"})
			return
		}
		w.WriteHeader(204)
	case len(rest) == 1 && rest[0] == "merge_requests" && r.Method == "GET":
		q := r.URL.Query()
		out := []any{}
		for _, mr := range g.pulls[full] {
			if (q.Get("state") == "" || q.Get("state") == "all" || mr.State == q.Get("state")) &&
				(q.Get("source_branch") == "" || mr.Head == q.Get("source_branch")) &&
				(q.Get("target_branch") == "" || mr.Base == q.Get("target_branch")) {
				out = append(out, g.mrJSON(p, mr))
			}
		}
		writeJSON(w, 200, out)
	case len(rest) == 1 && rest[0] == "merge_requests" && r.Method == "POST":
		var body struct {
			Title              string `json:"title"`
			Description        string `json:"description"`
			SourceBranch       string `json:"source_branch"`
			TargetBranch       string `json:"target_branch"`
			RemoveSourceBranch bool   `json:"remove_source_branch"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Title == "" || body.SourceBranch == "" || body.TargetBranch == "" {
			writeJSON(w, 400, map[string]any{"message": "400 Bad request - title, source_branch and target_branch are required"})
			return
		}
		if !g.branchExists(full, body.SourceBranch) || !g.branchExists(full, body.TargetBranch) {
			writeJSON(w, 404, map[string]any{"message": "404 Branch Not Found"})
			return
		}
		if g.openPull(full, body.SourceBranch, "opened") != nil {
			writeJSON(w, 409, map[string]any{"message": []string{"Another open merge request already exists for this source branch"}})
			return
		}
		mr := &PullRequest{Title: body.Title, Body: body.Description, Head: body.SourceBranch, Base: body.TargetBranch, State: "opened",
			Draft: strings.HasPrefix(body.Title, "Draft:"), RemoveSourceBranch: body.RemoveSourceBranch}
		g.addPull(full, mr)
		writeJSON(w, 201, g.mrJSON(p, mr))
	case len(rest) == 2 && rest[0] == "merge_requests" && r.Method == "PUT":
		n, _ := strconv.Atoi(rest[1])
		mr := g.pull(full, n)
		if mr == nil {
			writeJSON(w, 404, map[string]any{"message": "404 Not found"})
			return
		}
		var body struct {
			StateEvent string `json:"state_event"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		switch body.StateEvent {
		case "close":
			mr.State = "closed"
		case "reopen":
			mr.State = "opened"
		}
		writeJSON(w, 200, g.mrJSON(p, mr))
	default:
		writeJSON(w, 404, map[string]any{"error": "404 Not Found"})
	}
}
