package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/tenant"
	"github.com/rigger-platform/rigger/workflows"
)

func onboardRequest(slug string) api.TenantRequest {
	return api.TenantRequest{Slug: slug, DisplayName: "Tenant " + slug, Plan: "team", Owner: "alice", Admins: []string{"alice", "bob"}, Plugins: []string{"@backstage/plugin-techdocs"}}
}

// TestOnboardAndOffboardEndToEnd drives the real API, worker and Temporal:
// a tenant becomes active with every resource in place, then offboarding
// removes every one of them.
func TestOnboardAndOffboardEndToEnd(t *testing.T) {
	git := newGitFixture(t)
	p := newPlatform(t, platformOptions{git: git.activities()})
	slug := "e2e-" + pgtest4()
	req := onboardRequest(slug)

	var first, second api.TenantResponse
	if code := p.call("POST", "/v1/tenants", req, &first); code != http.StatusAccepted {
		t.Fatalf("POST /v1/tenants = %d %+v", code, first)
	}
	// The same request again joins the same run rather than starting another.
	if code := p.call("POST", "/v1/tenants", req, &second); code != http.StatusAccepted && code != http.StatusOK {
		t.Fatalf("repeat POST = %d", code)
	}
	if second.RunID != "" && second.RunID != first.RunID {
		t.Fatalf("repeat started a second run: %s vs %s", second.RunID, first.RunID)
	}
	got := p.waitStatus(slug, "active", 90*time.Second)
	for _, s := range got.Steps {
		if s.State != "done" {
			t.Fatalf("step %s = %s (%s)", s.Name, s.State, s.Error)
		}
	}
	p.assertProvisioned(slug)
	repo := "tenant-" + slug + "-config"
	files, err := git.gh.Files(repo)
	if err != nil || files["app-config.yaml"] == "" || files["deploy/kustomization.yaml"] == "" {
		t.Fatalf("config repo not seeded by a push: %v %v", keys(files), err)
	}
	if n := git.gh.Creates(repo); n != 1 {
		t.Fatalf("repo created %d times", n)
	}
	p.assertReplays(first.WorkflowID, "onboarding")

	if code := p.call("DELETE", "/v1/tenants/"+slug, nil, nil); code != http.StatusAccepted {
		t.Fatalf("DELETE = %d", code)
	}
	p.waitStatus(slug, "deleted", 90*time.Second)
	p.assertRemoved(slug)
	p.assertReplays(workflows.OffboardWorkflowID(slug), "offboarding")
	if git.gh.Exists(repo) {
		t.Fatalf("config repo left behind")
	}
	if code := p.call("GET", "/v1/tenants?status=active", nil, nil); code != http.StatusOK {
		t.Fatalf("list = %d", code)
	}
}

func pgtest4() string { return fmt.Sprint(time.Now().UnixNano() % 1_000_000) }

func (p *platform) assertProvisioned(slug string) {
	t := p.t
	t.Helper()
	ctx := context.Background()
	var n int
	if err := p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, tenant.Schema(slug)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema %s: n=%d err=%v", tenant.Schema(slug), n, err)
	}
	if err := p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE rolname = $1`, p.rolePfx+tenant.DBRole(slug)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("role: n=%d err=%v", n, err)
	}
	if err := p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM rigger.subscriptions WHERE tenant_slug = $1 AND ended_at IS NULL`, slug).Scan(&n); err != nil || n != 1 {
		t.Fatalf("open subscriptions: n=%d err=%v", n, err)
	}
	users, err := p.redis.Do(ctx, "ACL", "USERS").StringSlice()
	if err != nil || !contains(users, tenant.RedisUser(slug)) {
		t.Fatalf("redis user missing: %v %v", users, err)
	}
	if _, err := os.Stat(filepath.Join(p.storeDir, tenant.StoragePrefix(slug))); err != nil {
		t.Fatalf("storage prefix: %v", err)
	}
	ns, err := p.kube.CoreV1().Namespaces().Get(ctx, tenant.Namespace(slug), metav1.GetOptions{})
	if err != nil || ns.Labels[tenant.Label] != slug {
		t.Fatalf("namespace: %v %v", ns, err)
	}
	if _, err := p.argo.ArgoprojV1alpha1().Applications("argocd").Get(ctx, tenant.ArgoApp(slug), metav1.GetOptions{}); err != nil {
		t.Fatalf("argo application: %v", err)
	}
}

func (p *platform) assertRemoved(slug string) {
	t := p.t
	t.Helper()
	ctx := context.Background()
	var n int
	_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, tenant.Schema(slug)).Scan(&n)
	if n != 0 {
		t.Fatalf("schema %s left behind", tenant.Schema(slug))
	}
	_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE rolname = $1`, p.rolePfx+tenant.DBRole(slug)).Scan(&n)
	if n != 0 {
		t.Fatalf("role left behind")
	}
	_ = p.store.Pool.QueryRow(ctx, `SELECT count(*) FROM rigger.subscriptions WHERE tenant_slug = $1 AND ended_at IS NULL`, slug).Scan(&n)
	if n != 0 {
		t.Fatalf("open subscription left behind")
	}
	users, _ := p.redis.Do(ctx, "ACL", "USERS").StringSlice()
	if contains(users, tenant.RedisUser(slug)) {
		t.Fatalf("redis user left behind")
	}
	entries, _ := os.ReadDir(filepath.Join(p.storeDir, tenant.StoragePrefix(slug)))
	if len(entries) != 0 {
		t.Fatalf("storage objects left behind: %v", entries)
	}
	if _, err := p.kube.CoreV1().Namespaces().Get(ctx, tenant.Namespace(slug), metav1.GetOptions{}); err == nil {
		t.Fatalf("namespace left behind")
	}
	if _, err := p.argo.ArgoprojV1alpha1().Applications("argocd").Get(ctx, tenant.ArgoApp(slug), metav1.GetOptions{}); err == nil {
		t.Fatalf("argo application left behind")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
