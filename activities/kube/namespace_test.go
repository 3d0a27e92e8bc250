package kube

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/rigger-platform/rigger/internal/tenant"
)

var ctx = context.Background()

func TestEnsureNamespaceCreatesFencedNamespace(t *testing.T) {
	a, cs := newActivities(t)
	res := ensureTenant(t, a, "acme", "bob@acme.io", "alice@acme.io", "bob@acme.io", "")
	if res.Namespace != "tenant-acme" || !res.Created {
		t.Fatalf("result = %+v", res)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "tenant-acme", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, ns, "acme")

	quota, err := cs.CoreV1().ResourceQuotas("tenant-acme").Get(ctx, QuotaName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, quota, "acme")
	team := QuotaForPlan(PlanTeam)
	for name, want := range map[corev1.ResourceName]string{
		corev1.ResourceRequestsCPU: team.RequestsCPU, corev1.ResourceRequestsMemory: team.RequestsMemory,
		corev1.ResourceLimitsCPU: team.LimitsCPU, corev1.ResourceLimitsMemory: team.LimitsMemory,
		corev1.ResourcePods: "50", corev1.ResourcePersistentVolumeClaims: "10", corev1.ResourceServices: "20",
	} {
		wantQuantity(t, quota.Spec.Hard, name, want)
	}

	lr, err := cs.CoreV1().LimitRanges("tenant-acme").Get(ctx, LimitRangeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, lr, "acme")
	if len(lr.Spec.Limits) != 1 || lr.Spec.Limits[0].Type != corev1.LimitTypeContainer {
		t.Fatalf("limit range = %+v", lr.Spec)
	}
	wantQuantity(t, lr.Spec.Limits[0].Default, corev1.ResourceCPU, team.ContainerCPU)
	wantQuantity(t, lr.Spec.Limits[0].DefaultRequest, corev1.ResourceMemory, team.ContainerRequestMemory)

	deny, err := cs.NetworkingV1().NetworkPolicies("tenant-acme").Get(ctx, DenyAllPolicy, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, deny, "acme")
	if len(deny.Spec.PodSelector.MatchLabels)+len(deny.Spec.PodSelector.MatchExpressions) != 0 ||
		len(deny.Spec.PolicyTypes) != 2 || deny.Spec.Ingress != nil || deny.Spec.Egress != nil {
		t.Fatalf("default deny is not deny-all: %+v", deny.Spec)
	}
	allow, err := cs.NetworkingV1().NetworkPolicies("tenant-acme").Get(ctx, AllowTenantPolicy, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkAllowPolicy(t, allow)

	rb, err := cs.RbacV1().RoleBindings("tenant-acme").Get(ctx, RoleBindingName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, rb, "acme")
	if rb.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"}) {
		t.Fatalf("roleRef = %+v", rb.RoleRef)
	}
	if got := subjectNames(rb); !slices.Equal(got, []string{"alice@acme.io", "bob@acme.io"}) {
		t.Fatalf("subjects = %v (want sorted, de-duplicated users)", got)
	}
	for _, s := range rb.Subjects {
		if s.Kind != rbacv1.UserKind || s.Namespace != "" {
			t.Fatalf("subject %+v is not a plain user", s)
		}
	}
}

func checkAllowPolicy(t *testing.T, p *networkingv1.NetworkPolicy) {
	t.Helper()
	wantLabels(t, p, "acme")
	s := p.Spec
	if len(s.Ingress) != 1 || len(s.Ingress[0].From) != 1 || s.Ingress[0].From[0].PodSelector == nil ||
		s.Ingress[0].From[0].NamespaceSelector != nil || len(s.Ingress[0].Ports) != 0 {
		t.Fatalf("ingress must come from the own namespace only: %+v", s.Ingress)
	}
	if len(s.Egress) != 2 {
		t.Fatalf("egress = %+v", s.Egress)
	}
	if peer := s.Egress[0].To; len(peer) != 1 || peer[0].PodSelector == nil || peer[0].NamespaceSelector != nil {
		t.Fatalf("first egress rule must target the own namespace: %+v", s.Egress[0])
	}
	dns := s.Egress[1]
	if len(dns.To) != 1 || dns.To[0].NamespaceSelector == nil ||
		dns.To[0].NamespaceSelector.MatchLabels[corev1.LabelMetadataName] != "kube-system" {
		t.Fatalf("second egress rule must target kube-system: %+v", dns)
	}
	var ports []string
	for _, p := range dns.Ports {
		ports = append(ports, string(*p.Protocol)+"/"+p.Port.String())
	}
	if !slices.Equal(ports, []string{"UDP/53", "TCP/53"}) {
		t.Fatalf("dns ports = %v", ports)
	}
}

func TestEnsureNamespaceGrantsOnlyInsideTheNamespace(t *testing.T) {
	a, cs := newActivities(t)
	ensureTenant(t, a, "acme", "alice@acme.io")
	ensureTenant(t, a, "globex", "hank@globex.io")

	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil || len(crbs.Items) != 0 {
		t.Fatalf("cluster-wide bindings created: %v %v", crbs, err)
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rb := range rbs.Items {
		slug := rb.Labels[tenant.Label]
		if rb.Namespace != tenant.Namespace(slug) {
			t.Fatalf("binding for %s lives in %s", slug, rb.Namespace)
		}
		if slug == "acme" && !slices.Equal(subjectNames(&rb), []string{"alice@acme.io"}) ||
			slug == "globex" && !slices.Equal(subjectNames(&rb), []string{"hank@globex.io"}) {
			t.Fatalf("binding in %s grants %v", rb.Namespace, subjectNames(&rb))
		}
	}
	if len(rbs.Items) != 2 {
		t.Fatalf("want one binding per tenant, got %d", len(rbs.Items))
	}
}

func TestEnsureNamespaceTwiceIsANoOp(t *testing.T) {
	a, cs := newActivities(t)
	ensureTenant(t, a, "acme", "alice@acme.io")
	cs.ClearActions()
	res := ensureTenant(t, a, "acme", "alice@acme.io")
	if res.Created {
		t.Fatal("second call reports Created")
	}
	if w := writes(cs); len(w) != 0 {
		t.Fatalf("second call wrote: %v", w)
	}
}

func TestEnsureNamespaceConvergesDrift(t *testing.T) {
	a, cs := newActivities(t)
	ensureTenant(t, a, "acme", "alice@acme.io")

	// An operator (or the tenant) edits what Rigger owns.
	ns, _ := cs.CoreV1().Namespaces().Get(ctx, "tenant-acme", metav1.GetOptions{})
	delete(ns.Labels, ManagedByLabel)
	ns.Labels["team"] = "platform"
	mustUpdate(t, func() error { _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); return err })
	q, _ := cs.CoreV1().ResourceQuotas("tenant-acme").Get(ctx, QuotaName, metav1.GetOptions{})
	q.Spec.Hard[corev1.ResourcePods] = resource.MustParse("1000")
	mustUpdate(t, func() error {
		_, err := cs.CoreV1().ResourceQuotas("tenant-acme").Update(ctx, q, metav1.UpdateOptions{})
		return err
	})
	np, _ := cs.NetworkingV1().NetworkPolicies("tenant-acme").Get(ctx, DenyAllPolicy, metav1.GetOptions{})
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}} // allow all
	mustUpdate(t, func() error {
		_, err := cs.NetworkingV1().NetworkPolicies("tenant-acme").Update(ctx, np, metav1.UpdateOptions{})
		return err
	})
	rb, _ := cs.RbacV1().RoleBindings("tenant-acme").Get(ctx, RoleBindingName, metav1.GetOptions{})
	rb.RoleRef.Name = "cluster-admin"
	rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory"})
	mustUpdate(t, func() error {
		_, err := cs.RbacV1().RoleBindings("tenant-acme").Update(ctx, rb, metav1.UpdateOptions{})
		return err
	})
	mustUpdate(t, func() error {
		return cs.CoreV1().LimitRanges("tenant-acme").Delete(ctx, LimitRangeName, metav1.DeleteOptions{})
	})

	ensureTenant(t, a, "acme", "alice@acme.io")

	ns, _ = cs.CoreV1().Namespaces().Get(ctx, "tenant-acme", metav1.GetOptions{})
	wantLabels(t, ns, "acme")
	if ns.Labels["team"] != "platform" {
		t.Fatal("a foreign label was dropped; only Rigger's labels are Rigger's")
	}
	q, _ = cs.CoreV1().ResourceQuotas("tenant-acme").Get(ctx, QuotaName, metav1.GetOptions{})
	wantQuantity(t, q.Spec.Hard, corev1.ResourcePods, "50")
	np, _ = cs.NetworkingV1().NetworkPolicies("tenant-acme").Get(ctx, DenyAllPolicy, metav1.GetOptions{})
	if np.Spec.Ingress != nil {
		t.Fatalf("deny-all not restored: %+v", np.Spec)
	}
	rb, _ = cs.RbacV1().RoleBindings("tenant-acme").Get(ctx, RoleBindingName, metav1.GetOptions{})
	if rb.RoleRef.Name != "admin" || !slices.Equal(subjectNames(rb), []string{"alice@acme.io"}) {
		t.Fatalf("binding not restored: %+v %v", rb.RoleRef, subjectNames(rb))
	}
	if _, err := cs.CoreV1().LimitRanges("tenant-acme").Get(ctx, LimitRangeName, metav1.GetOptions{}); err != nil {
		t.Fatalf("limit range not recreated: %v", err)
	}
}

func TestEnsureNamespaceRefusesForeignNamespace(t *testing.T) {
	for name, labels := range map[string]map[string]string{
		"unlabelled":     nil,
		"other tenant's": {tenant.Label: "globex"},
	} {
		t.Run(name, func(t *testing.T) {
			a, cs := newActivities(t)
			seed(t, cs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tenant-acme", Labels: labels}})
			_, err := a.KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: "acme"})
			appError(t, err, ErrTypeForeignNamespace, false)
			if w := writes(cs); len(w) != 0 {
				t.Fatalf("wrote into a foreign namespace: %v", w)
			}
		})
	}
}

func TestEnsureNamespaceWaitsOutTermination(t *testing.T) {
	a, cs := newActivities(t)
	now := metav1.Now()
	seed(t, cs, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "tenant-acme", Labels: tenantLabels("acme"), DeletionTimestamp: &now, Finalizers: []string{"kubernetes"}},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
	})
	_, err := a.KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: "acme"})
	appError(t, err, ErrTypeTerminating, true)
}

func TestEnsureNamespaceQuota(t *testing.T) {
	a, cs := newActivities(t)
	// Zero fields take the plan's values; an unknown plan is the free plan.
	_, err := a.KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: "acme", Plan: "platinum-typo", Quota: Quota{Pods: 3}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := cs.CoreV1().ResourceQuotas("tenant-acme").Get(ctx, QuotaName, metav1.GetOptions{})
	wantQuantity(t, q.Spec.Hard, corev1.ResourcePods, "3")
	wantQuantity(t, q.Spec.Hard, corev1.ResourceLimitsCPU, QuotaForPlan(PlanFree).LimitsCPU)

	// A bad quantity fails before anything is written.
	a, cs = newActivities(t)
	_, err = a.KubeEnsureNamespace(ctx, EnsureNamespaceInput{Slug: "acme", Quota: Quota{LimitsMemory: "lots"}})
	appError(t, err, ErrTypeInvalid, false)
	if w := writes(cs); len(w) != 0 {
		t.Fatalf("wrote despite invalid quota: %v", w)
	}
}

func TestQuotaForPlanGrowsWithPlan(t *testing.T) {
	free, team, ent := QuotaForPlan(PlanFree), QuotaForPlan(PlanTeam), QuotaForPlan(PlanEnterprise)
	if !(free.Pods < team.Pods && team.Pods < ent.Pods) {
		t.Fatalf("pods do not grow: %d %d %d", free.Pods, team.Pods, ent.Pods)
	}
	for _, q := range []Quota{free, team, ent} {
		hard, err := q.hard()
		if err != nil {
			t.Fatal(err)
		}
		// Requests never exceed limits, or the quota could never be used up.
		if hard.Name(corev1.ResourceRequestsCPU, resource.DecimalSI).Cmp(*hard.Name(corev1.ResourceLimitsCPU, resource.DecimalSI)) > 0 {
			t.Fatalf("requests.cpu > limits.cpu in %+v", q)
		}
	}
}

func TestEnsureNamespaceSurvivesRaces(t *testing.T) {
	a, cs := newActivities(t)
	ensureTenant(t, a, "acme")
	// Another attempt of the same activity creates the limit range between our
	// Get and our Create; we must converge theirs, not fail.
	_ = cs.CoreV1().LimitRanges("tenant-acme").Delete(ctx, LimitRangeName, metav1.DeleteOptions{})
	raced := false
	cs.PrependReactor("create", "limitranges", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if raced {
			return false, nil, nil
		}
		raced = true
		other := action.(k8stesting.CreateAction).GetObject().DeepCopyObject().(*corev1.LimitRange)
		other.Labels = nil // theirs drifted
		if err := cs.Tracker().Add(other); err != nil {
			t.Error(err)
		}
		return true, nil, apierrors.NewAlreadyExists(schema.GroupResource{Resource: "limitranges"}, other.Name)
	})
	// And someone writes the quota between our Get and our Update.
	q, _ := cs.CoreV1().ResourceQuotas("tenant-acme").Get(ctx, QuotaName, metav1.GetOptions{})
	q.Spec.Hard[corev1.ResourcePods] = resource.MustParse("999")
	mustUpdate(t, func() error {
		_, err := cs.CoreV1().ResourceQuotas("tenant-acme").Update(ctx, q, metav1.UpdateOptions{})
		return err
	})
	conflicted := false
	cs.PrependReactor("update", "resourcequotas", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicted {
			return false, nil, nil
		}
		conflicted = true
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "resourcequotas"}, QuotaName, nil)
	})

	ensureTenant(t, a, "acme")
	if !raced || !conflicted {
		t.Fatal("races were not exercised")
	}
	lr, err := cs.CoreV1().LimitRanges("tenant-acme").Get(ctx, LimitRangeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels(t, lr, "acme")
	q, _ = cs.CoreV1().ResourceQuotas("tenant-acme").Get(ctx, QuotaName, metav1.GetOptions{})
	wantQuantity(t, q.Spec.Hard, corev1.ResourcePods, "50")
}

func wantLabels(t *testing.T, obj metav1.Object, slug string) {
	t.Helper()
	if l := obj.GetLabels(); l[tenant.Label] != slug || l[ManagedByLabel] != "rigger" {
		t.Fatalf("%s labels = %v", obj.GetName(), l)
	}
}

func wantQuantity(t *testing.T, list corev1.ResourceList, name corev1.ResourceName, want string) {
	t.Helper()
	got, ok := list[name]
	if !ok || got.Cmp(resource.MustParse(want)) != 0 {
		t.Fatalf("%s = %v, want %s", name, got.String(), want)
	}
}

func subjectNames(rb *rbacv1.RoleBinding) []string {
	var out []string
	for _, s := range rb.Subjects {
		out = append(out, s.Name)
	}
	return out
}

func seed(t *testing.T, cs interface {
	Tracker() k8stesting.ObjectTracker
}, obj runtime.Object) {
	t.Helper()
	if err := cs.Tracker().Add(obj); err != nil {
		t.Fatal(err)
	}
}

func mustUpdate(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}
