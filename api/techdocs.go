package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/activities/storage"
	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// TechDocsOptions configures the TechDocs routes. Left zero, builds can
// still be requested with a commit SHA, while serving answers 503 and
// webhooks 503.
type TechDocsOptions struct {
	// Objects is the object store the workers publish sites into.
	Objects storage.Store
	// Secrets derives each tenant's webhook secret ("webhook/<tenant>").
	Secrets *secrets.Deriver
	// Git checks source URLs (the workers' allow-list) and resolves branch
	// names to commits for API requests that name a branch.
	Git techdocsacts.GitAccess
	// PathSources accepts {"path": ...} sources (the workers have a source
	// root).
	PathSources bool
}

func (s *Server) routeTechDocs(mux *http.ServeMux) {
	// Builds and their records name the tenant in the body or the path;
	// the handlers check it with CanAccess (run to start, read to list).
	s.route(mux, "POST /v1/techdocs/builds", authenticated, s.startTechDocsBuild)
	s.route(mux, "GET /v1/techdocs/builds/{tenant}/{namespace}/{kind}/{name}", authenticated, s.listTechDocsBuilds)
	s.route(mux, "GET /v1/tenants/{slug}/techdocs/sources", tenantRead, s.getTechDocsSources)
	s.route(mux, "PUT /v1/tenants/{slug}/techdocs/sources", tenantAdmin, s.putTechDocsSources)
	s.route(mux, "GET /v1/tenants/{slug}/webhook-secret", tenantAdmin, s.getWebhookSecret)
	// What Backstage's TechDocs frontend reads, from the caller's tenant.
	s.route(mux, "GET /api/techdocs/static/docs/{namespace}/{kind}/{name}/{path...}", authenticated, s.serveTechDocsStatic)
	s.route(mux, "GET /api/techdocs/metadata/techdocs/{namespace}/{kind}/{name}", authenticated, s.serveTechDocsMetadata)
	// Push webhooks authenticate by signature, not by bearer token.
	s.webhook(mux, "POST /v1/webhooks/github/{tenant}", s.githubWebhook)
	s.webhook(mux, "POST /v1/webhooks/gitlab/{tenant}", s.gitlabWebhook)
}

// TechDocsBuildRequest is the body of POST /v1/techdocs/builds.
type TechDocsBuildRequest struct {
	Tenant string                `json:"tenant"`
	Entity string                `json:"entity"`
	Source TechDocsSourceRequest `json:"source"`
	Strict bool                  `json:"strict,omitempty"`
}

// TechDocsSourceRequest is a git repository (URL, optional ref and
// commit) or a folder under the workers' source root for the tenant.
type TechDocsSourceRequest struct {
	Git      string `json:"git,omitempty"`
	Ref      string `json:"ref,omitempty"`
	Commit   string `json:"commit,omitempty"`
	Path     string `json:"path,omitempty"`
	DocsPath string `json:"docsPath,omitempty"`
}

// TechDocsBuildResponse is one build the API started or found.
type TechDocsBuildResponse struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	Tenant     string `json:"tenant"`
	Entity     string `json:"entity"`
	Commit     string `json:"commit"`
	// Status is "started" (a run was started or is running) or
	// "already-built" (a run for this commit already completed).
	Status string `json:"status"`
}

// Build statuses of TechDocsBuildResponse.
const (
	BuildStarted      = "started"
	BuildAlreadyBuilt = "already-built"
)

func (s *Server) startTechDocsBuild(w http.ResponseWriter, r *http.Request) {
	var req TechDocsBuildRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	ctx := r.Context()
	if tenant.ValidateSlug(req.Tenant) != nil {
		writeError(w, errNoTenant(req.Tenant))
		return
	}
	if e := PrincipalFrom(ctx).CanAccess(req.Tenant, store.ScopeRun); e != nil {
		if e.Status == http.StatusNotFound {
			e = errNoTenant(req.Tenant)
		}
		writeError(w, e)
		return
	}
	ent, err := techdocsacts.ParseEntity(req.Entity)
	if err != nil {
		writeError(w, errInvalid("entity", err.Error()))
		return
	}
	in := workflows.TechDocsBuildInput{Tenant: req.Tenant, Namespace: ent.Namespace, Kind: ent.Kind, Name: ent.Name,
		Strict: req.Strict, Trigger: workflows.TriggerAPI}
	src := req.Source
	switch {
	case (src.Git == "") == (src.Path == ""):
		writeError(w, errInvalid("source", "source needs exactly one of git (a clone URL) or path"))
		return
	case src.DocsPath != "" && !plainRelPath(src.DocsPath):
		writeError(w, errInvalid("source.docsPath", "docsPath must be a relative folder without . or .. segments"))
		return
	case src.Git != "":
		if err := s.TechDocs.Git.CheckURL(src.Git); err != nil {
			writeError(w, sourceAPIError("source.git", err))
			return
		}
		if src.Ref != "" && !techdocsacts.ValidRef(src.Ref) {
			writeError(w, errInvalid("source.ref", "ref must be a branch or tag name, a full ref, or a commit SHA"))
			return
		}
		if src.Commit != "" && !techdocsacts.IsCommitSHA(src.Commit) {
			writeError(w, errInvalid("source.commit", "commit must be a full lower-case commit SHA"))
			return
		}
		in.Source = techdocsacts.Source{GitURL: src.Git, Ref: src.Ref, DocsPath: src.DocsPath}
		in.Commit = src.Commit
	default:
		if !s.TechDocs.PathSources {
			writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Code: "path_sources_disabled", Field: "source.path",
				Message: "path sources are disabled on this platform (RIGGER_TECHDOCS_SOURCE_ROOT); use a git source"})
			return
		}
		if !plainRelPath(src.Path) || src.Ref != "" {
			writeError(w, errInvalid("source.path", "path must be a relative folder under the tenant's source root, without . or .. segments (and no ref)"))
			return
		}
		if src.Commit != "" && !techdocsacts.ValidCommitLabel(src.Commit) {
			writeError(w, errInvalid("source.commit", "commit labels a path build: lower-case letters, digits, . _ - (at most 64)"))
			return
		}
		in.Source = techdocsacts.Source{Path: src.Path, DocsPath: src.DocsPath}
		in.Commit = src.Commit
		if in.Commit == "" {
			// A folder has no commit: each request is a build of its own
			// (an Idempotency-Key makes a retry the same request).
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			in.Commit = "path-" + hex.EncodeToString(b)
		}
	}
	if e := s.docsTenantActive(ctx, req.Tenant); e != nil {
		writeError(w, e)
		return
	}
	if in.Commit == "" {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		commit, err := s.TechDocs.Git.ResolveRef(rctx, src.Git, src.Ref)
		cancel()
		if err != nil {
			s.log(r).Warn("resolve techdocs ref", "tenant", req.Tenant, "ref", src.Ref, "error", err)
			writeError(w, sourceAPIError("source.ref", err))
			return
		}
		in.Commit = commit
	}
	resp, e := s.startTechDocs(ctx, in)
	if e != nil {
		s.log(r).Error("start techdocs build", "tenant", in.Tenant, "entity", in.Entity(), "error", e.Message)
		writeError(w, e)
		return
	}
	status := http.StatusAccepted
	if resp.Status == BuildAlreadyBuilt {
		status = http.StatusOK
	}
	s.log(r).Info("techdocs build requested", "tenant", in.Tenant, "workflow_id", resp.WorkflowID, "status", resp.Status)
	writeJSON(w, status, resp)
}

// startTechDocs starts the build's workflow, or finds the run that already
// has its ID. Completed runs are never repeated (a duplicate push is one
// build); failed ones may be (a fixed push, or a transient failure).
func (s *Server) startTechDocs(ctx context.Context, in workflows.TechDocsBuildInput) (TechDocsBuildResponse, *apiError) {
	id := workflows.TechDocsWorkflowID(in.Tenant, in.Namespace, in.Kind, in.Name, in.Commit)
	resp := TechDocsBuildResponse{WorkflowID: id, Tenant: in.Tenant, Entity: in.Entity(), Commit: in.Commit, Status: BuildStarted}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                workflows.TaskQueueTechDocs,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		WorkflowExecutionTimeout:                 workflows.TechDocsRunTimeout,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchTenant.ValueSet(in.Tenant), workflows.SearchKind.ValueSet(workflows.KindTechDocs),
			workflows.SearchStage.ValueSet("queued")),
		StaticSummary: fmt.Sprintf("TechDocs %s @ %.12s for tenant %s", in.Entity(), in.Commit, in.Tenant),
	}, workflows.TechDocsBuildWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		resp.Status, resp.RunID = BuildAlreadyBuilt, started.RunId
		return resp, nil
	case err != nil:
		return resp, &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "could not start the TechDocs build; retry the same request"}
	}
	resp.RunID = run.GetRunID()
	return resp, nil
}

// docsTenantActive is nil for an active tenant; another tenant's, a missing or
// a deleted one is the usual 404, one still provisioning or failed a 409.
func (s *Server) docsTenantActive(ctx context.Context, slug string) *apiError {
	t, err := s.Store.GetTenant(ctx, slug)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && t.Status == store.StatusDeleted):
		return errNoTenant(slug)
	case err != nil:
		s.Logger.Error("get tenant", "tenant", slug, "error", err, "request_id", RequestID(ctx))
		return errInternal()
	case t.Status != store.StatusActive:
		return errConflict(fmt.Sprintf("tenant %q is %s, not active", slug, t.Status))
	}
	return nil
}

func sourceAPIError(field string, err error) *apiError {
	code := "git_unavailable"
	status := http.StatusBadGateway
	switch {
	case errors.Is(err, techdocsacts.ErrSourceNotAllowed):
		code, status = "source_not_allowed", http.StatusUnprocessableEntity
	case errors.Is(err, techdocsacts.ErrSourceNotFound):
		code, status = "source_not_found", http.StatusUnprocessableEntity
	case errors.Is(err, techdocsacts.ErrSourceDenied):
		code, status = "source_access_denied", http.StatusUnprocessableEntity
	}
	return &apiError{Status: status, Code: code, Field: field, Message: err.Error()}
}

// plainRelPath accepts "a/b" folders: no leading slash, no empty, . or ..
// segments, no backslashes or control characters.
func plainRelPath(p string) bool {
	if p == "" || len(p) > 512 || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return false
		}
	}
	return true
}

// entityFromPath reads {namespace}/{kind}/{name}; an invalid one is 404.
func entityFromPath(r *http.Request) (techdocsacts.Entity, *apiError) {
	e, err := techdocsacts.NewEntity(r.PathValue("namespace"), r.PathValue("kind"), r.PathValue("name"))
	if err != nil {
		return e, errNotFound("no such entity")
	}
	return e, nil
}

func (s *Server) listTechDocsBuilds(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("tenant")
	if tenant.ValidateSlug(slug) != nil {
		writeError(w, errNoTenant(slug))
		return
	}
	if e := PrincipalFrom(r.Context()).CanAccess(slug, store.ScopeRead); e != nil {
		if e.Status == http.StatusNotFound {
			e = errNoTenant(slug)
		}
		writeError(w, e)
		return
	}
	ent, e := entityFromPath(r)
	if e != nil {
		writeError(w, e)
		return
	}
	builds, err := s.Store.LatestTechDocsBuilds(r.Context(), slug, ent.String(), 20)
	if err != nil {
		s.log(r).Error("list techdocs builds", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	if builds == nil {
		builds = []store.TechDocsBuild{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": slug, "entity": ent.String(), "builds": builds})
}

// TechDocsSourcesRequest is the body of PUT /v1/tenants/{slug}/techdocs/sources.
type TechDocsSourcesRequest struct {
	Sources []store.TechDocsSource `json:"sources"`
}

const maxTechDocsSources = 200

func (s *Server) getTechDocsSources(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	srcs, err := s.Store.TechDocsSources(r.Context(), slug)
	if err != nil {
		s.log(r).Error("list techdocs sources", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	if srcs == nil {
		srcs = []store.TechDocsSource{}
	}
	writeJSON(w, http.StatusOK, TechDocsSourcesRequest{Sources: srcs})
}

// putTechDocsSources replaces the tenant's repository → entity mapping that
// push webhooks use.
func (s *Server) putTechDocsSources(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	var req TechDocsSourcesRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if len(req.Sources) > maxTechDocsSources {
		writeError(w, errInvalid("sources", fmt.Sprintf("at most %d sources", maxTechDocsSources)))
		return
	}
	seen := map[string]bool{}
	for i := range req.Sources {
		src := &req.Sources[i]
		field := fmt.Sprintf("sources[%d]", i)
		if err := s.TechDocs.Git.CheckURL(src.RepoURL); err != nil {
			writeError(w, sourceAPIError(field+".repo", err))
			return
		}
		ent, err := techdocsacts.ParseEntity(src.Entity)
		if err != nil {
			writeError(w, errInvalid(field+".entity", err.Error()))
			return
		}
		if src.DocsPath != "" && !plainRelPath(src.DocsPath) {
			writeError(w, errInvalid(field+".path", "path must be a relative folder without . or .. segments"))
			return
		}
		if src.Branch != "" && !techdocsacts.ValidRef(src.Branch) {
			writeError(w, errInvalid(field+".branch", "branch must be a branch name"))
			return
		}
		src.Entity, src.DocsPath = ent.String(), strings.TrimSuffix(src.DocsPath, "/")
		src.Branch = strings.TrimPrefix(src.Branch, "refs/heads/")
		src.RepoKey = repoKey(src.RepoURL)
		if seen[src.Entity] {
			writeError(w, errInvalid(field+".entity", "entity "+src.Entity+" is mapped twice: one entity has one source"))
			return
		}
		seen[src.Entity] = true
	}
	if e := s.docsTenantActive(r.Context(), slug); e != nil {
		writeError(w, e)
		return
	}
	if err := s.Store.ReplaceTechDocsSources(r.Context(), slug, req.Sources); err != nil {
		s.log(r).Error("replace techdocs sources", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	if req.Sources == nil {
		req.Sources = []store.TechDocsSource{}
	}
	writeJSON(w, http.StatusOK, req)
}

// WebhookSecretResponse tells a tenant admin how to configure push webhooks.
type WebhookSecretResponse struct {
	Secret    string `json:"secret"`
	GitHubURL string `json:"githubUrl"`
	GitLabURL string `json:"gitlabUrl"`
}

func (s *Server) getWebhookSecret(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if s.TechDocs.Secrets == nil {
		writeError(w, errWebhooksOff())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, WebhookSecretResponse{
		Secret:    s.webhookSecret(slug),
		GitHubURL: "/v1/webhooks/github/" + slug,
		GitLabURL: "/v1/webhooks/gitlab/" + slug,
	})
}

// webhookSecret is derived from the master key, so the API keeps nothing
// and every API process agrees on it.
func (s *Server) webhookSecret(slug string) string {
	return s.TechDocs.Secrets.Secret(secrets.Ref("webhook", slug))
}

func errWebhooksOff() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "not_configured", Message: "webhooks are not configured on this API (no secret key)"}
}

// docsTenant is the tenant whose docs a serving request reads: the
// caller's own; the platform admin names it with ?tenant=.
func docsTenant(r *http.Request) (string, *apiError) {
	p := PrincipalFrom(r.Context())
	slug := r.URL.Query().Get("tenant")
	switch {
	case p.Admin && slug == "":
		return "", errInvalid("tenant", "the platform admin reads a tenant's docs with ?tenant=<slug>")
	case !p.Admin && slug == "":
		slug = p.Tenant
	}
	if tenant.ValidateSlug(slug) != nil {
		return "", errNotFound("not found")
	}
	if e := p.CanAccess(slug, store.ScopeRead); e != nil {
		return "", e
	}
	return slug, nil
}

// docsSite resolves what both TechDocs reader routes read: the caller's
// tenant storage and the entity's site prefix in it.
func (s *Server) docsSite(r *http.Request) (storage.Store, string, *apiError) {
	slug, e := docsTenant(r)
	if e != nil {
		return nil, "", e
	}
	ent, e := entityFromPath(r)
	if e != nil {
		return nil, "", e
	}
	if s.TechDocs.Objects == nil {
		return nil, "", &apiError{Status: http.StatusServiceUnavailable, Code: "not_configured", Message: "TechDocs storage is not configured on this API"}
	}
	return storage.Scoped(s.TechDocs.Objects, slug), techdocsacts.SitePrefix(ent), nil
}

func (s *Server) serveTechDocsStatic(w http.ResponseWriter, r *http.Request) {
	objects, prefix, e := s.docsSite(r)
	if e != nil {
		writeError(w, e)
		return
	}
	rel := r.PathValue("path")
	if rel == "" || strings.HasSuffix(rel, "/") {
		rel += "index.html"
	}
	key := prefix + rel
	rc, err := objects.Get(r.Context(), key)
	if errors.Is(err, storage.ErrNotFound) && path.Ext(rel) == "" {
		// "guide" for the page at guide/index.html.
		rel += "/index.html"
		key += "/index.html"
		rc, err = objects.Get(r.Context(), key)
	}
	s.sendObject(w, r, rc, err, rel)
}

func (s *Server) serveTechDocsMetadata(w http.ResponseWriter, r *http.Request) {
	objects, prefix, e := s.docsSite(r)
	if e != nil {
		writeError(w, e)
		return
	}
	rc, err := objects.Get(r.Context(), prefix+techdocsacts.MetadataFile)
	s.sendObject(w, r, rc, err, techdocsacts.MetadataFile)
}

// sendObject streams a site file. Keys that could leave the tenant's site
// (storage.ErrInvalidKey: "..", absolute, control characters) look exactly
// like missing files.
func (s *Server) sendObject(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, err error, name string) {
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalidKey):
		writeError(w, errNotFound("no such TechDocs file"))
		return
	case err != nil:
		s.log(r).Error("read techdocs object", "error", err)
		writeError(w, errInternal())
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", techdocsacts.ContentType(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	// Tenant-written HTML must not run as the API's origin if opened
	// directly; Backstage fetches it and renders it itself.
	h.Set("Content-Security-Policy", "sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		s.log(r).Warn("send techdocs object", "error", err)
	}
}
