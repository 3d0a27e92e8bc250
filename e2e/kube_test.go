package e2e

// The `make test-kube` tier: a real kube-apiserver and controller manager
// (internal/kubetest). Without RIGGER_KUBE_BIN these tests skip.

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	argov1 "github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	argoclient "github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/rigger-platform/rigger/internal/kubetest"
	"github.com/rigger-platform/rigger/internal/tenant"
)

const workerServiceAccount = "rigger-kube"

// TestKubeDeployManifestsApplyServerSide applies every kustomization under
// deploy/kubernetes with server-side apply and strict field validation, the
// way an operator would, on a cluster where ArgoCD and the Prometheus
// Operator's CRDs are installed.
func TestKubeDeployManifestsApplyServerSide(t *testing.T) {
	c := kubetest.ForTest(t)
	ctx := context.Background()
	installPrerequisites(t, c, true)
	cs := kubeClient(t, c.Admin)
	for i, dir := range []string{"base", "overlays/dev", "overlays/production"} {
		objs := kustomize(t, filepath.Join("..", "deploy", "kubernetes", dir))
		if i > 0 {
			// A Job's pod template is immutable: deploy/README.md's upgrade
			// step deletes the finished migrate and setup Jobs first.
			bg := metav1.DeletePropagationBackground
			if err := cs.BatchV1().Jobs("rigger").DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg},
				metav1.ListOptions{LabelSelector: "app.kubernetes.io/part-of=rigger"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := kubetest.Apply(ctx, c.Admin, objs); err != nil {
			t.Fatalf("apply %s: %v", dir, err)
		}
		t.Logf("%s: %d objects applied", dir, len(objs))
	}
	// What was applied is what the cluster serves: the last overlay's
	// replicas and the admission policies that fence the worker.
	hpa, err := cs.AutoscalingV2().HorizontalPodAutoscalers("rigger").Get(ctx, "rigger-api", metav1.GetOptions{})
	if err != nil || hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != 3 {
		t.Fatalf("production HPA rigger-api: %+v %v", hpa, err)
	}
	for _, name := range []string{"rigger-tenant-namespaces-only", "rigger-tenant-admin-bindings-only"} {
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Fatalf("admission policy %s: %v", name, err)
		}
	}
	// A manifest with a field the API does not know is refused, so the
	// applies above would have caught one.
	bad := kustomize(t, filepath.Join("..", "deploy", "kubernetes", "base"))[0].DeepCopy()
	bad.Object["spek"] = map[string]any{"x": 1}
	if err := kubetest.Apply(ctx, c.Admin, []*unstructured.Unstructured{bad}); err == nil || !strings.Contains(err.Error(), "spek") {
		t.Fatalf("strict apply accepted an unknown field: %v", err)
	}
}

// TestKubeOnboardingOnRealCluster runs onboarding and offboarding through
// the API with the worker authenticated as its service account under the
// RBAC and admission policies of deploy/: the namespace and its fence, the
// ArgoCD Application, then their removal, with the controller manager
// finishing the namespace's deletion.
func TestKubeOnboardingOnRealCluster(t *testing.T) {
	c := kubetest.ForTest(t)
	ctx := context.Background()
	worker := deployWorker(t, c)
	git := newGitFixture(t)
	p := newPlatform(t, platformOptions{git: git.activities(), kube: &realKube{admin: c.Admin, worker: worker}})
	slug := "kube-" + pgtest4()
	if code := p.call("POST", "/v1/tenants", onboardRequest(slug), nil); code != http.StatusAccepted {
		t.Fatalf("POST /v1/tenants = %d", code)
	}
	got := p.waitStatus(slug, "active", 2*time.Minute)
	for _, s := range got.Steps {
		if s.State != "done" {
			t.Fatalf("step %s = %s (%s)", s.Name, s.State, s.Error)
		}
	}
	p.assertProvisioned(slug)
	ns := tenant.Namespace(slug)
	cs := kubeClient(t, c.Admin)

	// The quota controller reports usage against the quota Rigger wrote.
	waitFor(t, time.Minute, "resource quota status", func() bool {
		qs, err := cs.CoreV1().ResourceQuotas(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(qs.Items) == 1 && len(qs.Items[0].Status.Hard) > 0
	})
	// The tenant's admins are admins in their namespace and nowhere else.
	other := "tenant-other-" + pgtest4()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	alice := impersonate(c.Admin, "alice")
	if _, err := kubeClient(t, alice).CoreV1().ConfigMaps(ns).Create(ctx, configMap("alice-notes"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("tenant admin cannot write in the tenant namespace: %v", err)
	}
	if _, err := kubeClient(t, alice).CoreV1().ConfigMaps(other).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("tenant admin read another namespace: %v", err)
	}
	// The pods the Application will deploy are bounded by the LimitRange.
	lr, err := cs.CoreV1().LimitRanges(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(lr.Items) != 1 {
		t.Fatalf("limit ranges: %v %v", lr, err)
	}
	app, err := p.argo.ArgoprojV1alpha1().Applications("argocd").Get(ctx, tenant.ArgoApp(slug), metav1.GetOptions{})
	if err != nil || app.Spec.Destination.Namespace != ns || app.Labels[tenant.Label] != slug {
		t.Fatalf("application: %+v %v", app, err)
	}

	if code := p.call("DELETE", "/v1/tenants/"+slug, nil, nil); code != http.StatusAccepted {
		t.Fatalf("DELETE = %d", code)
	}
	p.waitStatus(slug, "deleted", 2*time.Minute)
	// Deleting a namespace is asynchronous: the namespace controller empties
	// it, then it goes.
	waitFor(t, 2*time.Minute, "namespace "+ns+" gone", func() bool {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	p.assertRemoved(slug)
	if _, err := cs.CoreV1().Namespaces().Get(ctx, other, metav1.GetOptions{}); err != nil {
		t.Fatalf("offboarding touched another namespace: %v", err)
	}
}

// TestKubeWorkerServiceAccountIsFenced makes, as the worker's service
// account, the requests a compromised or buggy worker might: each is refused
// by RBAC or by the admission policies, and nothing changes.
func TestKubeWorkerServiceAccountIsFenced(t *testing.T) {
	c := kubetest.ForTest(t)
	ctx := context.Background()
	cfg := deployWorker(t, c)
	admin, sa := kubeClient(t, c.Admin), kubeClient(t, cfg)
	for _, name := range []string{"tenant-acme", "victim"} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	argo, err := argoclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bindAdmin := func(ns, role string) error {
		_, err := sa.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "x-" + role},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "mallory"}},
		}, metav1.CreateOptions{})
		return err
	}
	app := func(ns string) error {
		_, err := argo.ArgoprojV1alpha1().Applications(ns).Create(ctx, &argov1.Application{
			ObjectMeta: metav1.ObjectMeta{Name: "probe"},
			Spec: argov1.ApplicationSpec{
				Project:     "default",
				Destination: argov1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "tenant-acme"},
				Source:      &argov1.ApplicationSource{RepoURL: "https://example.com/repo.git", Path: "deploy"},
			},
		}, metav1.CreateOptions{})
		return err
	}
	denied := []struct {
		name string
		do   func() error
	}{
		{"create a namespace outside tenant-*", func() error {
			_, err := sa.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "not-a-tenant"}}, metav1.CreateOptions{})
			return err
		}},
		{"delete a namespace outside tenant-*", func() error {
			return sa.CoreV1().Namespaces().Delete(ctx, "victim", metav1.DeleteOptions{})
		}},
		{"delete kube-system", func() error {
			return sa.CoreV1().Namespaces().Delete(ctx, "kube-system", metav1.DeleteOptions{})
		}},
		{"write a quota outside tenant-*", func() error {
			_, err := sa.CoreV1().ResourceQuotas("victim").Create(ctx, &corev1.ResourceQuota{
				ObjectMeta: metav1.ObjectMeta{Name: "squeeze"},
				Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"bind admin outside tenant-*", func() error { return bindAdmin("victim", "admin") }},
		{"bind cluster-admin in a tenant namespace", func() error { return bindAdmin("tenant-acme", "cluster-admin") }},
		{"bind edit in a tenant namespace", func() error { return bindAdmin("tenant-acme", "edit") }},
		{"read secrets in a tenant namespace", func() error {
			_, err := sa.CoreV1().Secrets("tenant-acme").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"create a config map in a tenant namespace", func() error {
			_, err := sa.CoreV1().ConfigMaps("tenant-acme").Create(ctx, configMap("x"), metav1.CreateOptions{})
			return err
		}},
		{"list pods in kube-system", func() error {
			_, err := sa.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
			return err
		}},
		{"create a cluster role binding", func() error {
			_, err := sa.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "escalate"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: workerServiceAccount, Namespace: "rigger"}},
			}, metav1.CreateOptions{})
			return err
		}},
		{"create an Application outside the argocd namespace", func() error { return app("default") }},
		{"read the platform's secrets", func() error {
			_, err := sa.CoreV1().Secrets("rigger").Get(ctx, "rigger-secrets", metav1.GetOptions{})
			return err
		}},
	}
	for _, d := range denied {
		err := d.do()
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s: want 403 Forbidden, got %v", d.name, err)
		}
	}
	if _, err := admin.CoreV1().Namespaces().Get(ctx, "victim", metav1.GetOptions{}); err != nil {
		t.Fatalf("victim namespace: %v", err)
	}
	if ns, err := admin.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{}); err != nil || ns.DeletionTimestamp != nil {
		t.Fatalf("kube-system: %v %v", ns, err)
	}
	// What the Role does allow, so the denials above are not a blanket 403.
	if err := bindAdmin("tenant-acme", "admin"); err != nil {
		t.Fatalf("binding admin in a tenant namespace: %v", err)
	}
	if err := app("argocd"); err != nil {
		t.Fatalf("creating an Application in argocd: %v", err)
	}
	if err := sa.CoreV1().Namespaces().Delete(ctx, "tenant-acme", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting a tenant namespace: %v", err)
	}
}

// installPrerequisites does what an operator does before applying Rigger:
// install ArgoCD's Application CRD and namespace and, for the production
// overlay, the Prometheus Operator's ServiceMonitor CRD. The CRDs come from
// the projects' own Go modules, at the versions go.mod pins.
func installPrerequisites(t *testing.T, c *kubetest.Cluster, monitoring bool) {
	t.Helper()
	files := []string{filepath.Join(moduleDir(t, "github.com/argoproj/argo-cd/v2", ""), "manifests", "crds", "application-crd.yaml")}
	if monitoring {
		v := moduleVersion(t, "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring")
		dir := moduleDir(t, "github.com/prometheus-operator/prometheus-operator", v)
		files = append(files, filepath.Join(dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_servicemonitors.yaml"))
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := kubetest.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs = append(objs, o...)
	}
	objs = append(objs, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "argocd"},
	}})
	if err := kubetest.Apply(context.Background(), c.Admin, objs); err != nil {
		t.Fatalf("install prerequisites: %v", err)
	}
}

// deployWorker applies deploy/kubernetes/base as an operator would and
// returns the credentials the worker runs with: its service account's.
func deployWorker(t *testing.T, c *kubetest.Cluster) *rest.Config {
	t.Helper()
	installPrerequisites(t, c, false)
	if err := kubetest.Apply(context.Background(), c.Admin, kustomize(t, filepath.Join("..", "deploy", "kubernetes", "base"))); err != nil {
		t.Fatalf("apply deploy/kubernetes/base: %v", err)
	}
	cfg, err := c.ServiceAccount(context.Background(), "rigger", workerServiceAccount)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kubetest.Decode(y)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// moduleDir downloads a module (at version, or the version go.mod selects)
// and returns its directory in the module cache.
func moduleDir(t *testing.T, path, version string) string {
	t.Helper()
	var out []byte
	var err error
	if version == "" {
		out, err = exec.Command("go", "list", "-m", "-json", path).Output()
	} else {
		out, err = exec.Command("go", "mod", "download", "-json", path+"@"+version).Output()
	}
	if err != nil {
		t.Fatalf("locate module %s: %v %s", path, err, out)
	}
	var m struct{ Dir, Version string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("module %s: no directory in %s (%v)", path, out, err)
	}
	return m.Dir
}

func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", path).Output()
	if err != nil {
		t.Fatalf("version of %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

func kubeClient(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func impersonate(admin *rest.Config, user string) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
