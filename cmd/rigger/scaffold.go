package main

import (
	"fmt"

	"github.com/rigger-platform/rigger/activities/scaffold"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/config"
	"github.com/rigger-platform/rigger/workers"
)

// configureScaffolderAPI gives the API what its scaffolder routes read: the
// template locations (through the same integrations as the workers) and
// the object storage for dry runs.
func configureScaffolderAPI(cfg config.Config, o *api.ScaffolderOptions) error {
	in, err := workers.ScaffolderIntegrations(cfg)
	if err != nil {
		return fmt.Errorf("scaffolder: %w", err)
	}
	objects, err := workers.ObjectStore(cfg)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	o.Objects = objects
	o.Templates = &scaffold.Templates{Integrations: in, Objects: objects}
	return nil
}
