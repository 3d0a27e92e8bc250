package argocd

import (
	"errors"
	"fmt"

	"github.com/argoproj/argo-cd/v2/pkg/client/clientset/versioned"
	"k8s.io/client-go/rest"
)

// NewClient builds the Application client from the same rest.Config as the
// Kubernetes client (kube.NewClient): Applications are plain custom
// resources, so Rigger needs no ArgoCD API token, only RBAC on
// applications.argoproj.io in ArgoCD's namespace.
func NewClient(cfg *rest.Config) (versioned.Interface, error) {
	if cfg == nil {
		return nil, errors.New("argocd client: no kubernetes config")
	}
	c, err := versioned.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("argocd client: %w", err)
	}
	return c, nil
}
