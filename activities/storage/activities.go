package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// Activities are registered on the worker.
type Activities struct {
	Store Store
}

// MarkerKey is the object, relative to the tenant's prefix, that records who
// owns the prefix; a prefix exists once its marker does.
const MarkerKey = ".rigger-tenant.json"

type CreatePrefixInput struct {
	Slug        string
	DisplayName string
}

type CreatePrefixResult struct {
	Prefix string // tenant.StoragePrefix(slug), e.g. "tenants/acme/"
	// Created is true when this call wrote the first marker. A retry after a
	// lost result reports false; compensation should not depend on it.
	Created bool
}

type DeletePrefixInput struct {
	Slug string
}

type DeletePrefixResult struct {
	Deleted int // objects removed by this call
}

// marker is the content of MarkerKey. It holds nothing time- or
// attempt-dependent, so every write of the same input yields the same bytes.
type marker struct {
	Version     int    `json:"version"`
	Tenant      string `json:"tenant"`
	DisplayName string `json:"displayName,omitempty"`
	Prefix      string `json:"prefix"`
}

func markerJSON(slug, displayName string) []byte {
	b, _ := json.MarshalIndent(marker{Version: 1, Tenant: slug, DisplayName: displayName, Prefix: tenant.StoragePrefix(slug)}, "", "  ")
	return append(b, '\n')
}

// StorageCreatePrefix writes the tenant's marker object. It always writes,
// so a changed display name is picked up and a repeat converges on the same
// content.
func (a *Activities) StorageCreatePrefix(ctx context.Context, in CreatePrefixInput) (CreatePrefixResult, error) {
	s, err := a.scope(in.Slug)
	if err != nil {
		return CreatePrefixResult{}, err
	}
	_, err = s.Stat(ctx, MarkerKey)
	existed := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return CreatePrefixResult{}, classify(err)
	}
	body := markerJSON(in.Slug, in.DisplayName)
	if err := s.Put(ctx, MarkerKey, bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		return CreatePrefixResult{}, classify(err)
	}
	return CreatePrefixResult{Prefix: tenant.StoragePrefix(in.Slug), Created: !existed}, nil
}

// StorageDeletePrefix removes every object under the tenant's prefix,
// marker included. A retry deletes what is left; a repeat finds nothing.
func (a *Activities) StorageDeletePrefix(ctx context.Context, in DeletePrefixInput) (DeletePrefixResult, error) {
	s, err := a.scope(in.Slug)
	if err != nil {
		return DeletePrefixResult{}, err
	}
	n, err := s.DeletePrefix(ctx, "")
	if err != nil {
		return DeletePrefixResult{}, classify(err)
	}
	return DeletePrefixResult{Deleted: n}, nil
}

func (a *Activities) scope(slug string) (Store, error) {
	if err := tenant.ValidateSlug(slug); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidSlug, err)
	}
	if a == nil || a.Store == nil {
		return nil, temporal.NewNonRetryableApplicationError("storage is not configured", ErrTypeNotConfigured, nil)
	}
	return Scoped(a.Store, slug), nil
}
