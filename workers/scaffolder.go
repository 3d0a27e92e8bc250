package workers

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/worker"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/workflows"
)

// ScaffolderIntegrations reads the git hosts templates may publish to:
// RIGGER_SCAFFOLDER_INTEGRATIONS, or else the platform's own git provider
// (RIGGER_GIT_*) as github.com or gitlab.com.
func ScaffolderIntegrations(cfg config.Config) ([]scaffold.Integration, error) {
	if strings.TrimSpace(cfg.ScaffolderIntegrations) != "" {
		return scaffold.ParseIntegrations(cfg.ScaffolderIntegrations)
	}
	switch cfg.GitProvider {
	case "github", "gitlab":
		return []scaffold.Integration{{Host: cfg.GitProvider + ".com", Type: cfg.GitProvider, APIURL: cfg.GitAPIURL, Token: cfg.GitToken}}, nil
	}
	return nil, nil
}

// NewScaffolder builds the scaffolder activities from config.
func NewScaffolder(cfg config.Config, st *store.Store, objects storage.Store, argo *argocd.Activities) (*scaffold.Activities, error) {
	in, err := ScaffolderIntegrations(cfg)
	if err != nil {
		return nil, fmt.Errorf("scaffolder: %w", err)
	}
	return &scaffold.Activities{Store: st, Objects: objects, Argo: argo, Integrations: in, Concurrency: cfg.ScaffolderConcurrency}, nil
}

// ObjectStore opens the configured object storage (the API reads dry-run
// results and writes dry-run uploads there).
func ObjectStore(cfg config.Config) (storage.Store, error) {
	return storage.FromConfig(storage.Config{
		Backend: cfg.StorageBackend, Dir: cfg.StorageDir, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, Bucket: cfg.S3Bucket,
		AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, PathStyle: cfg.S3PathStyle, Insecure: cfg.S3Insecure,
	})
}

func registerScaffolder(w worker.Worker, d Dependencies) {
	workflows.RegisterScaffolder(w)
	acts := d.Scaffolder
	if acts == nil { // unconfigured: steps needing a store or storage fail as ScaffoldNotConfigured
		acts = &scaffold.Activities{}
	}
	acts.Register(w)
}
