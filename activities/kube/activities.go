// Package kube gives every tenant its own Kubernetes namespace and fences it
// off: a quota and container defaults so one tenant cannot starve the others,
// network policies so its pods talk only to each other and to DNS, and admin
// rights for the tenant's people in that namespace and nowhere else.
package kube

import (
	"k8s.io/client-go/kubernetes"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// Activities holds the cluster client. A nil Client means Kubernetes is not
// configured; workers then skip registering these activities, and a call that
// slips through fails without retries instead of panicking.
type Activities struct {
	Client kubernetes.Interface
}

// Configured reports whether the activities have a cluster to talk to. It is
// not an activity, so register the struct with
// activity.RegisterOptions{SkipInvalidStructFunctions: true}.
func (a *Activities) Configured() bool { return a != nil && a.Client != nil }

// fieldManager names Rigger in managedFields, so an operator reading an object
// sees who wrote it.
const fieldManager = "rigger"

// ManagedByLabel marks objects Rigger created, next to tenant.Label.
const ManagedByLabel = "app.kubernetes.io/managed-by"

// tenantLabels is the label set every object Rigger creates for slug carries.
func tenantLabels(slug string) map[string]string {
	return map[string]string{tenant.Label: slug, ManagedByLabel: "rigger"}
}
