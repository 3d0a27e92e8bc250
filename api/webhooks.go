package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

// Push webhooks. They are not behind bearer authentication: GitHub signs
// the raw body with the tenant's webhook secret (X-Hub-Signature-256, an
// HMAC-SHA256), GitLab sends the secret itself (X-Gitlab-Token); both are
// checked in constant time before anything else is looked at, and a bad one
// is 401 with nothing started. Deliveries are remembered for a day by their
// ID (X-GitHub-Delivery; GitLab's Idempotency-Key or X-Gitlab-Event-UUID):
// a replayed delivery is refused. A push builds every entity the tenant's
// source mapping ties to the repository and branch, at the pushed commit;
// the build's workflow ID holds the commit, so a second push of the same
// commit (another delivery) is still one build.

// MaxWebhookBytes bounds a webhook body (GitHub caps payloads at 25 MB,
// but a push of docs is far below this).
const MaxWebhookBytes = 5 << 20

// WebhookResponse says what a delivery did.
type WebhookResponse struct {
	// Status is "accepted" (builds started or found), "ignored" (nothing to
	// build, with the reason) or "pong" (GitHub's ping event).
	Status string                  `json:"status"`
	Reason string                  `json:"reason,omitempty"`
	Builds []TechDocsBuildResponse `json:"builds,omitempty"`
}

// webhook registers a signature-authenticated route with route()'s
// instrumentation: request metrics under the pattern, panic recovery, and a
// rate limit per tenant (a bucket of its own, so unauthenticated traffic
// cannot spend the tenant's API budget). Request IDs come from the mux-wide
// withRequestID.
func (s *Server) webhook(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		nameSpan(r, pattern)
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log(r).Error("panic in handler", "route", pattern, "panic", p)
				writeError(rec, errInternal())
			}
			s.requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
			s.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
		}()
		if ok, wait := s.limits.allow("webhook:" + r.PathValue("tenant")); !ok {
			writeRateLimited(rec, wait)
			return
		}
		h(rec, r)
	})
}

func errBadSignature(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "bad_signature", Message: msg}
}

// readWebhook reads the body after the route's own checks.
func readWebhook(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		if tooLarge(err) {
			return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("webhook body exceeds %d bytes", MaxWebhookBytes)}
		}
		return nil, errInvalid("", "unreadable body")
	}
	return body, nil
}

// checkGitHubSignature verifies X-Hub-Signature-256 ("sha256=<hex>") over
// the raw body.
func checkGitHubSignature(secret string, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// checkToken compares digests, so neither content nor length leaks.
func checkToken(secret, token string) bool {
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(token))
	return token != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s *Server) githubWebhook(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("tenant")
	if s.TechDocs.Secrets == nil {
		writeError(w, errWebhooksOff())
		return
	}
	body, e := readWebhook(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	// A slug that cannot exist fails like a wrong signature: unsigned
	// callers learn nothing about which tenants exist.
	if tenant.ValidateSlug(slug) != nil || !checkGitHubSignature(s.webhookSecret(slug), body, r.Header.Get("X-Hub-Signature-256")) {
		s.log(r).Warn("webhook signature refused", "provider", "github", "tenant", slug)
		writeError(w, errBadSignature("missing or invalid X-Hub-Signature-256 for this tenant's webhook secret"))
		return
	}
	event := r.Header.Get("X-GitHub-Event")
	switch event {
	case "ping":
		writeJSON(w, http.StatusOK, WebhookResponse{Status: "pong"})
		return
	case "push":
	default:
		writeJSON(w, http.StatusOK, WebhookResponse{Status: "ignored", Reason: fmt.Sprintf("event %q is not a push", event)})
		return
	}
	push, err := decodeGitHubPush(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeError(w, errInvalid("", "push payload: "+err.Error()))
		return
	}
	s.handlePush(w, r, slug, workflows.TriggerGitHub, r.Header.Get("X-GitHub-Delivery"), push)
}

func (s *Server) gitlabWebhook(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("tenant")
	if s.TechDocs.Secrets == nil {
		writeError(w, errWebhooksOff())
		return
	}
	body, e := readWebhook(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	if tenant.ValidateSlug(slug) != nil || !checkToken(s.webhookSecret(slug), r.Header.Get("X-Gitlab-Token")) {
		s.log(r).Warn("webhook token refused", "provider", "gitlab", "tenant", slug)
		writeError(w, errBadSignature("missing or invalid X-Gitlab-Token for this tenant's webhook secret"))
		return
	}
	if event := r.Header.Get("X-Gitlab-Event"); event != "Push Hook" {
		writeJSON(w, http.StatusOK, WebhookResponse{Status: "ignored", Reason: fmt.Sprintf("event %q is not a Push Hook", event)})
		return
	}
	push, err := decodeGitLabPush(body)
	if err != nil {
		writeError(w, errInvalid("", "push payload: "+err.Error()))
		return
	}
	delivery := r.Header.Get("Idempotency-Key")
	if delivery == "" {
		delivery = r.Header.Get("X-Gitlab-Event-UUID")
	}
	s.handlePush(w, r, slug, workflows.TriggerGitLab, delivery, push)
}

// handlePush is the provider-independent part of a verified push delivery.
func (s *Server) handlePush(w http.ResponseWriter, r *http.Request, slug, provider, delivery string, push pushEvent) {
	ctx := r.Context()
	if delivery == "" || len(delivery) > 200 {
		writeError(w, errInvalid("delivery", "the delivery ID header (X-GitHub-Delivery, or GitLab's Idempotency-Key / X-Gitlab-Event-UUID) is required, at most 200 characters"))
		return
	}
	if e := s.docsTenantActive(ctx, slug); e != nil {
		writeError(w, e)
		return
	}
	fresh, err := s.Store.ClaimWebhookDelivery(ctx, provider, slug, delivery)
	if err != nil {
		s.log(r).Error("claim webhook delivery", "tenant", slug, "error", err)
		writeError(w, errInternal())
		return
	}
	if !fresh {
		writeError(w, &apiError{Status: http.StatusConflict, Code: "replayed_delivery", Field: "delivery",
			Message: "this delivery was already received in the last 24 hours"})
		return
	}
	resp, e := s.buildsForPush(r, slug, provider, push)
	if e != nil {
		// Let the sender's redelivery (same ID) through.
		if err := s.Store.ForgetWebhookDelivery(ctx, provider, slug, delivery); err != nil {
			s.log(r).Error("forget webhook delivery", "tenant", slug, "error", err)
		}
		writeError(w, e)
		return
	}
	status := http.StatusOK
	if resp.Status == "accepted" {
		status = http.StatusAccepted
	}
	s.log(r).Info("push webhook", "provider", provider, "tenant", slug, "delivery", delivery, "status", resp.Status, "builds", len(resp.Builds))
	writeJSON(w, status, resp)
}

func (s *Server) buildsForPush(r *http.Request, slug, provider string, push pushEvent) (WebhookResponse, *apiError) {
	switch {
	case push.Deleted:
		return WebhookResponse{Status: "ignored", Reason: "the push deleted " + push.Ref}, nil
	case push.Branch == "":
		return WebhookResponse{Status: "ignored", Reason: push.Ref + " is not a branch"}, nil
	}
	sources, err := s.Store.TechDocsSources(r.Context(), slug, push.RepoKeys...)
	if err != nil {
		s.log(r).Error("techdocs sources", "tenant", slug, "error", err)
		return WebhookResponse{}, errInternal()
	}
	resp := WebhookResponse{Status: "accepted"}
	for _, src := range sources {
		branch := src.Branch
		if branch == "" {
			branch = push.DefaultBranch
		}
		if branch != push.Branch {
			continue
		}
		ent, err := techdocsacts.ParseEntity(src.Entity)
		if err != nil || s.TechDocs.Git.CheckURL(src.RepoURL) != nil {
			s.log(r).Warn("skipping an unusable techdocs source", "tenant", slug, "entity", src.Entity)
			continue
		}
		b, e := s.startTechDocs(r.Context(), workflows.TechDocsBuildInput{
			Tenant: slug, Namespace: ent.Namespace, Kind: ent.Kind, Name: ent.Name, Commit: push.Commit,
			Source:  techdocsacts.Source{GitURL: src.RepoURL, Ref: "refs/heads/" + push.Branch, DocsPath: src.DocsPath},
			Trigger: provider,
		})
		if e != nil {
			return WebhookResponse{}, e
		}
		resp.Builds = append(resp.Builds, b)
	}
	if len(resp.Builds) == 0 {
		return WebhookResponse{Status: "ignored", Reason: "no TechDocs source of this tenant maps this repository and branch " + push.Branch}, nil
	}
	return resp, nil
}

// pushEvent is what a push delivery means to TechDocs.
type pushEvent struct {
	Ref           string
	Branch        string // empty when Ref is not a branch
	Commit        string
	Deleted       bool
	DefaultBranch string
	RepoKeys      []string
}

const zeroSHA = "0000000000000000000000000000000000000000"

func newPushEvent(ref, commit string, deleted bool, defaultBranch string, urls ...string) (pushEvent, error) {
	p := pushEvent{Ref: ref, Commit: strings.ToLower(commit), DefaultBranch: defaultBranch}
	if ref == "" || len(ref) > 255 {
		return p, errors.New("ref is missing")
	}
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok && techdocsacts.ValidRef(b) {
		p.Branch = b
	}
	p.Deleted = deleted || p.Commit == "" || strings.Trim(p.Commit, "0") == ""
	if !p.Deleted && !techdocsacts.IsCommitSHA(p.Commit) {
		return p, fmt.Errorf("commit %q is not a commit SHA", commit)
	}
	seen := map[string]bool{}
	for _, u := range urls {
		if k := repoKey(u); k != "" && !seen[k] {
			seen[k] = true
			p.RepoKeys = append(p.RepoKeys, k)
		}
	}
	if len(p.RepoKeys) == 0 {
		return p, errors.New("the repository has no URL")
	}
	return p, nil
}

// githubPush is the part of GitHub's push event payload TechDocs reads.
type githubPush struct {
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Deleted    bool   `json:"deleted"`
	Repository struct {
		CloneURL      string `json:"clone_url"`
		HTMLURL       string `json:"html_url"`
		SSHURL        string `json:"ssh_url"`
		GitURL        string `json:"git_url"`
		URL           string `json:"url"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// decodeGitHubPush reads a push event sent as application/json or, as
// GitHub also offers, application/x-www-form-urlencoded with the JSON in
// the "payload" field.
func decodeGitHubPush(contentType string, body []byte) (pushEvent, error) {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return pushEvent{}, errors.New("form body does not parse")
		}
		body = []byte(form.Get("payload"))
	}
	var p githubPush
	if err := json.Unmarshal(body, &p); err != nil {
		return pushEvent{}, errors.New("not a JSON push event")
	}
	rp := p.Repository
	return newPushEvent(p.Ref, p.After, p.Deleted, rp.DefaultBranch, rp.CloneURL, rp.HTMLURL, rp.SSHURL, rp.GitURL, rp.URL)
}

// gitlabPush is the part of GitLab's Push Hook payload TechDocs reads.
type gitlabPush struct {
	ObjectKind  string  `json:"object_kind"`
	Ref         string  `json:"ref"`
	After       string  `json:"after"`
	CheckoutSHA *string `json:"checkout_sha"`
	Project     struct {
		GitHTTPURL    string `json:"git_http_url"`
		GitSSHURL     string `json:"git_ssh_url"`
		WebURL        string `json:"web_url"`
		DefaultBranch string `json:"default_branch"`
	} `json:"project"`
	Repository struct {
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
		Homepage   string `json:"homepage"`
	} `json:"repository"`
}

func decodeGitLabPush(body []byte) (pushEvent, error) {
	var p gitlabPush
	if err := json.Unmarshal(body, &p); err != nil {
		return pushEvent{}, errors.New("not a JSON push event")
	}
	if p.ObjectKind != "" && p.ObjectKind != "push" {
		return pushEvent{}, fmt.Errorf("object_kind %q is not push", p.ObjectKind)
	}
	commit, deleted := p.After, false
	if p.CheckoutSHA != nil && *p.CheckoutSHA != "" {
		commit = *p.CheckoutSHA
	} else if p.CheckoutSHA == nil && strings.Trim(p.After, "0") == "" {
		deleted = true
	}
	pr, rp := p.Project, p.Repository
	return newPushEvent(p.Ref, commit, deleted, pr.DefaultBranch, pr.GitHTTPURL, pr.WebURL, pr.GitSSHURL, rp.GitHTTPURL, rp.Homepage, rp.GitSSHURL)
}

// repoKey normalises the spellings of one repository's address — https
// clone URL, web URL, scp-like ssh, git:// — to "host/path": lower case, no
// scheme, credentials, ".git" or trailing slash. An ssh port is dropped
// (it is not part of the repository's name); an http(s) port is kept.
func repoKey(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2048 {
		return ""
	}
	var host, p string
	if !strings.Contains(raw, "://") {
		// scp-like: [user@]host:path
		at := strings.LastIndex(raw, "@")
		h, rest, ok := strings.Cut(raw[at+1:], ":")
		if !ok || h == "" || strings.Contains(h, "/") {
			return ""
		}
		host, p = h, rest
	} else {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return ""
		}
		host, p = u.Host, u.Path
		if u.Scheme == "ssh" || u.Scheme == "git+ssh" {
			host = u.Hostname()
		}
	}
	p = strings.Trim(p, "/")
	p = strings.TrimSuffix(p, ".git")
	if p == "" || strings.Contains(p, "..") {
		return ""
	}
	return strings.ToLower(host + "/" + p)
}
