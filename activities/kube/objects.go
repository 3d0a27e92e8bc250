package kube

import (
	"slices"

	"go.temporal.io/sdk/temporal"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Names of the objects Rigger keeps in every tenant namespace.
const (
	QuotaName       = "rigger-quota"
	LimitRangeName  = "rigger-container-defaults"
	RoleBindingName = "rigger-tenant-admins"
	// AdminClusterRole is Kubernetes' built-in namespace-admin role. Bound by
	// a RoleBinding it grants nothing outside the binding's namespace, and it
	// cannot edit ResourceQuotas, so tenants cannot lift their own limits.
	AdminClusterRole = "admin"
)

func objectMeta(name, ns, slug string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: tenantLabels(slug)}
}

// semanticEqual compares as the API server does: "1000m" equals "1".
func semanticEqual(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }

func desiredNamespace(ns, slug, run string) *corev1.Namespace {
	obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: tenantLabels(slug)}}
	if run != "" {
		obj.Annotations = map[string]string{CreatedByAnnotation: run}
	}
	return obj
}

// convergeNamespace adopts only the tenant's own namespace, and only while it
// is alive: objects created in a terminating namespace are rejected, and the
// namespace is gone soon, so the next attempt recreates it. It reports the
// run that created the namespace through createdBy and leaves that
// annotation alone: it is history, not desired state.
func convergeNamespace(slug string, createdBy *string) converge[*corev1.Namespace] {
	return func(live, desired *corev1.Namespace) (bool, error) {
		if err := checkOwner(live, slug); err != nil {
			return false, err
		}
		*createdBy = live.Annotations[CreatedByAnnotation]
		if live.DeletionTimestamp != nil || live.Status.Phase == corev1.NamespaceTerminating {
			return false, temporal.NewApplicationError("namespace "+live.Name+" is still being deleted", ErrTypeTerminating)
		}
		return mergeLabels(live, desired.Labels), nil
	}
}

func desiredQuota(ns, slug string, q Quota) (*corev1.ResourceQuota, error) {
	hard, err := q.hard()
	if err != nil {
		return nil, err
	}
	return &corev1.ResourceQuota{
		ObjectMeta: objectMeta(QuotaName, ns, slug),
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
	}, nil
}

func convergeQuota(live, desired *corev1.ResourceQuota) (bool, error) {
	changed := mergeLabels(live, desired.Labels)
	if !semanticEqual(live.Spec, desired.Spec) {
		live.Spec = desired.Spec
		changed = true
	}
	return changed, nil
}

func desiredLimitRange(ns, slug string, q Quota) (*corev1.LimitRange, error) {
	limits, requests, err := q.containerDefaults()
	if err != nil {
		return nil, err
	}
	return &corev1.LimitRange{
		ObjectMeta: objectMeta(LimitRangeName, ns, slug),
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type:           corev1.LimitTypeContainer,
			Default:        limits,
			DefaultRequest: requests,
		}}},
	}, nil
}

func convergeLimitRange(live, desired *corev1.LimitRange) (bool, error) {
	changed := mergeLabels(live, desired.Labels)
	if !semanticEqual(live.Spec, desired.Spec) {
		live.Spec = desired.Spec
		changed = true
	}
	return changed, nil
}

// desiredRoleBinding binds the tenant's admins, as users, to the admin role in
// the tenant namespace only. A RoleBinding, never a ClusterRoleBinding: that
// is what keeps the grant inside the namespace. Subjects are sorted and
// de-duplicated so the same admins in another order are no change.
func desiredRoleBinding(ns, slug string, admins []string) *rbacv1.RoleBinding {
	users := slices.Clone(admins)
	users = slices.DeleteFunc(users, func(u string) bool { return u == "" })
	slices.Sort(users)
	users = slices.Compact(users)
	var subjects []rbacv1.Subject
	for _, u := range users {
		subjects = append(subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u})
	}
	return &rbacv1.RoleBinding{
		ObjectMeta: objectMeta(RoleBindingName, ns, slug),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: AdminClusterRole},
		Subjects:   subjects,
	}
}

// convergeRoleBinding asks for a replacement when the role differs, because
// the API server refuses to change a binding's roleRef.
func convergeRoleBinding(live, desired *rbacv1.RoleBinding) (bool, error) {
	if live.RoleRef != desired.RoleRef {
		return false, errReplace
	}
	changed := mergeLabels(live, desired.Labels)
	if !semanticEqual(live.Subjects, desired.Subjects) {
		live.Subjects = desired.Subjects
		changed = true
	}
	return changed, nil
}
