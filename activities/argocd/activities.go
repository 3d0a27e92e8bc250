// Package argocd deploys each tenant's Backstage through an ArgoCD
// Application: Rigger writes the Application custom resource, and ArgoCD
// does the syncing, pruning and self-healing.
package argocd

import (
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// Activities holds the client for applications.argoproj.io. A nil Client
// means ArgoCD is not configured; calls then fail without retries.
type Activities struct {
	Client versioned.Interface
	// Namespace ArgoCD watches for Applications; "argocd" when empty.
	Namespace string
	// Project the Applications belong to; "default" when empty. A dedicated
	// project restricting destinations to tenant-* is the stronger fence.
	Project string
	// DestinationServer is the cluster the tenants run in; the cluster ArgoCD
	// runs in when empty.
	DestinationServer string
	// PollInterval between status reads in ArgoWaitHealthy; 5s when zero.
	PollInterval time.Duration
}

// Configured reports whether the activities have an ArgoCD to talk to. It is
// not an activity, so register the struct with
// activity.RegisterOptions{SkipInvalidStructFunctions: true}.
func (a *Activities) Configured() bool { return a != nil && a.Client != nil }

const (
	DefaultNamespace         = "argocd"
	DefaultProject           = "default"
	DefaultDestinationServer = "https://kubernetes.default.svc"
	DefaultPollInterval      = 5 * time.Second
)

func (a *Activities) namespace() string { return or(a.Namespace, DefaultNamespace) }
func (a *Activities) project() string   { return or(a.Project, DefaultProject) }
func (a *Activities) server() string    { return or(a.DestinationServer, DefaultDestinationServer) }

func (a *Activities) pollInterval() time.Duration {
	if a.PollInterval > 0 {
		return a.PollInterval
	}
	return DefaultPollInterval
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ManagedByLabel marks objects Rigger created, next to tenant.Label.
const ManagedByLabel = "app.kubernetes.io/managed-by"

func tenantLabels(slug string) map[string]string {
	return map[string]string{tenant.Label: slug, ManagedByLabel: "rigger"}
}
