package workers

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/redis/go-redis/v9"

	"github.com/rigger-platform/rigger/activities/argocd"
	"github.com/rigger-platform/rigger/activities/cache"
	"github.com/rigger-platform/rigger/activities/controlplane"
	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/activities/kube"
	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/activities/tenantdb"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/store"
)

// Dependencies are the activity structs a worker registers. Tests build
// them directly (with fake clients); processes build them from config.
type Dependencies struct {
	ControlPlane *controlplane.Activities
	TenantDB     *tenantdb.Activities
	Cache        *cache.Activities
	Storage      *storage.Activities
	Git          *gitprovider.Activities
	Kube         *kube.Activities
	Argo         *argocd.Activities
}

// Capabilities derives what the workflows may use from what is configured.
func (d Dependencies) Capabilities(cfg config.Config) controlplane.Capabilities {
	c := controlplane.Capabilities{
		Redis:           d.Cache.Configured(),
		Git:             d.Git != nil && d.Git.Provider != nil,
		Kube:            d.Kube.Configured(),
		Argo:            d.Argo != nil && d.Argo.Client != nil,
		ArgoSyncTimeout: cfg.ArgoSyncTimeout,
		BackstageImage:  cfg.BackstageImage,
	}
	if c.Git {
		c.GitProvider = d.Git.Provider.Kind()
	}
	return c
}

// SecretDeriver loads the master key from RIGGER_SECRET_KEY or, in
// development, from (or into) the data directory.
func SecretDeriver(cfg config.Config) (*secrets.Deriver, error) {
	var key []byte
	var err error
	if cfg.SecretKey != "" {
		key, err = secrets.DecodeKey(cfg.SecretKey)
	} else {
		key, err = secrets.LoadOrCreateKey(filepath.Join(cfg.DataDir, "secret.key"))
	}
	if err != nil {
		return nil, err
	}
	return secrets.NewDeriver(key)
}

// BuildDependencies creates every client that config asks for. Optional
// integrations left unconfigured stay nil and their steps are skipped.
func BuildDependencies(ctx context.Context, cfg config.Config, st *store.Store, logger *slog.Logger) (Dependencies, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (Dependencies, func(), error) {
		cleanup()
		return Dependencies{}, func() {}, err
	}
	sec, err := SecretDeriver(cfg)
	if err != nil {
		return fail(err)
	}
	d := Dependencies{
		TenantDB: &tenantdb.Activities{Pool: st.Pool, Secrets: sec, RolePrefix: cfg.DBRolePrefix},
		Cache:    &cache.Activities{Secrets: sec},
		Git:      &gitprovider.Activities{},
		Kube:     &kube.Activities{},
		Argo:     &argocd.Activities{Namespace: cfg.ArgoNamespace, Project: cfg.ArgoProject},
	}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fail(fmt.Errorf("RIGGER_REDIS_URL: %w", err))
		}
		rc := redis.NewClient(opts)
		closers = append(closers, func() { _ = rc.Close() })
		d.Cache.Client = rc
	}
	objects, err := storage.FromConfig(storage.Config{
		Backend: cfg.StorageBackend, Dir: cfg.StorageDir, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, Bucket: cfg.S3Bucket,
		AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, PathStyle: cfg.S3PathStyle, Insecure: cfg.S3Insecure,
	})
	if err != nil {
		return fail(fmt.Errorf("storage: %w", err))
	}
	d.Storage = &storage.Activities{Store: objects}
	switch cfg.GitProvider {
	case "github":
		d.Git.Provider = gitprovider.NewGitHub(cfg.GitAPIURL, cfg.GitToken, nil)
	case "gitlab":
		p, err := gitprovider.NewGitLab(cfg.GitAPIURL, cfg.GitToken, nil)
		if err != nil {
			return fail(fmt.Errorf("gitlab: %w", err))
		}
		d.Git.Provider = p
	}
	d.Git.Owner, d.Git.Token = cfg.GitOwner, cfg.GitToken
	if cfg.KubeConfigured() {
		path := cfg.Kubeconfig
		if cfg.KubeInCluster {
			path = ""
		}
		kc, rest, err := kube.NewClient(path)
		if err != nil {
			return fail(fmt.Errorf("kubernetes: %w", err))
		}
		d.Kube.Client = kc
		ac, err := argocd.NewClient(rest)
		if err != nil {
			return fail(fmt.Errorf("argocd: %w", err))
		}
		d.Argo.Client = ac
	}
	d.ControlPlane = &controlplane.Activities{Store: st}
	d.ControlPlane.Capabilities = d.Capabilities(cfg)
	logger.Info("integrations", "redis", d.ControlPlane.Capabilities.Redis, "git", cfg.GitProvider,
		"kubernetes", d.ControlPlane.Capabilities.Kube, "argocd", d.ControlPlane.Capabilities.Argo, "storage", cfg.StorageBackend)
	return d, cleanup, nil
}
