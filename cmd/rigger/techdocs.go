package main

import (
	"fmt"

	"github.com/rigger-platform/rigger/activities/storage"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/workers"
)

// techdocsAPIOptions gives the API what its TechDocs routes need: the
// object store the workers publish to (to serve sites), the secret deriver
// (webhook secrets) and the workers' git allow-list (to check sources and
// resolve branches).
func techdocsAPIOptions(cfg config.Config) (api.TechDocsOptions, error) {
	objects, err := storage.FromConfig(workers.StorageConfig(cfg))
	if err != nil {
		return api.TechDocsOptions{}, fmt.Errorf("storage: %w", err)
	}
	sec, err := workers.SecretDeriver(cfg)
	if err != nil {
		return api.TechDocsOptions{}, err
	}
	return api.TechDocsOptions{
		Objects:     objects,
		Secrets:     sec,
		Git:         workers.TechDocsGitAccess(cfg),
		PathSources: cfg.TechDocsSourceRoot != "",
	}, nil
}
