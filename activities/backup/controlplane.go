package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rigger-platform/rigger/internal/store"
)

// controlPlane is controlplane.json: the tenant's rows in the control-plane
// store, so that a tenant whose record was lost (or offboarded) can be
// re-created as it was. Restores into a scratch schema only verify it.
type controlPlane struct {
	Format        int             `json:"format"`
	Tenant        json.RawMessage `json:"tenant"`        // rigger.tenants row, or null
	Subscriptions json.RawMessage `json:"subscriptions"` // rigger.subscriptions rows
}

func (a *Activities) controlPlaneRows(ctx context.Context, slug string) (controlPlane, error) {
	cp := controlPlane{Format: 1, Tenant: json.RawMessage("null"), Subscriptions: json.RawMessage("[]")}
	if a.Store2 == nil {
		return cp, nil
	}
	t, subs, err := a.Store2.TenantRowsJSON(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return cp, nonRetryable(ErrTypeTenantNotFound, fmt.Errorf("tenant %s is not in the control plane", slug))
	}
	if err != nil {
		return cp, classify(phaseBackup, err)
	}
	cp.Tenant, cp.Subscriptions = t, subs
	return cp, nil
}
