package kube

import (
	"context"
	"fmt"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// EnsureNamespaceInput describes the tenant namespace to converge. A zero
// Quota (or any zero field of it) takes the values of QuotaForPlan(Plan).
// Admins are Kubernetes user names as the cluster's authenticator reports
// them (usually the OIDC e-mail or subject).
type EnsureNamespaceInput struct {
	Slug   string
	Plan   string
	Admins []string
	Quota  Quota
}

type EnsureNamespaceResult struct {
	Namespace string
	// Created is true when this workflow run created the namespace, in this
	// attempt or an earlier one (see CreatedByAnnotation), so deleting it is
	// a compensation the run owns; false when it existed before the run.
	// Called outside a workflow, it reports whether this call created it.
	Created bool
}

// KubeEnsureNamespace creates or converges the tenant's namespace and the
// objects fencing it in. Every step is create-or-update, so retries and
// repeated onboarding runs converge instead of failing on AlreadyExists.
func (a *Activities) KubeEnsureNamespace(ctx context.Context, in EnsureNamespaceInput) (EnsureNamespaceResult, error) {
	if !a.Configured() {
		return EnsureNamespaceResult{}, notConfigured()
	}
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return EnsureNamespaceResult{}, invalid(err.Error(), nil)
	}
	ns := tenant.Namespace(in.Slug)
	q := in.Quota.withDefaults(QuotaForPlan(in.Plan))
	// Build everything before touching the cluster, so a bad quota fails the
	// step without leaving half a namespace behind.
	quota, err := desiredQuota(ns, in.Slug, q)
	if err != nil {
		return EnsureNamespaceResult{}, err
	}
	limits, err := desiredLimitRange(ns, in.Slug, q)
	if err != nil {
		return EnsureNamespaceResult{}, err
	}

	c := a.Client
	run, createdBy := currentRun(ctx), ""
	created, err := ensure(ctx, c.CoreV1().Namespaces(), desiredNamespace(ns, in.Slug, run), convergeNamespace(in.Slug, &createdBy))
	if err != nil {
		return EnsureNamespaceResult{}, classify("ensure namespace "+ns, err)
	}
	created = created || (run != "" && createdBy == run)
	// Network policies first: the fence stands before anything can run inside.
	for _, np := range networkPolicies(ns, in.Slug) {
		if _, err := ensure(ctx, c.NetworkingV1().NetworkPolicies(ns), np, convergeNetworkPolicy); err != nil {
			return EnsureNamespaceResult{}, classify(what("network policy", ns, np.Name), err)
		}
	}
	if _, err := ensure(ctx, c.CoreV1().ResourceQuotas(ns), quota, convergeQuota); err != nil {
		return EnsureNamespaceResult{}, classify(what("resource quota", ns, quota.Name), err)
	}
	if _, err := ensure(ctx, c.CoreV1().LimitRanges(ns), limits, convergeLimitRange); err != nil {
		return EnsureNamespaceResult{}, classify(what("limit range", ns, limits.Name), err)
	}
	rb := desiredRoleBinding(ns, in.Slug, in.Admins)
	if _, err := ensure(ctx, c.RbacV1().RoleBindings(ns), rb, convergeRoleBinding); err != nil {
		return EnsureNamespaceResult{}, classify(what("role binding", ns, rb.Name), err)
	}
	return EnsureNamespaceResult{Namespace: ns, Created: created}, nil
}

func what(kind, ns, name string) string { return fmt.Sprintf("ensure %s %s/%s", kind, ns, name) }
