package storage

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// Scoped is a view of s confined to tenant.StoragePrefix(slug). Keys are
// validated first and only then joined under the prefix, so no key a tenant
// can write ("../b/x", "/tenants/b/x", ...) names another tenant's object;
// List returns keys relative to the prefix. An invalid slug makes every call
// fail rather than fall back to an unscoped key.
func Scoped(s Store, slug string) Store { return &scoped{inner: s, slug: slug} }

type scoped struct {
	inner Store
	slug  string
}

func (s *scoped) prefix() (string, error) {
	if err := tenant.ValidateSlug(s.slug); err != nil {
		return "", fmt.Errorf("storage: tenant scope: %w", err)
	}
	return tenant.StoragePrefix(s.slug), nil
}

func (s *scoped) key(key string) (string, error) {
	p, err := s.prefix()
	if err != nil {
		return "", err
	}
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return p + key, nil
}

func (s *scoped) dir(prefix string) (string, error) {
	p, err := s.prefix()
	if err != nil {
		return "", err
	}
	if err := ValidatePrefix(prefix); err != nil {
		return "", err
	}
	return p + prefix, nil
}

func (s *scoped) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	return s.inner.Put(ctx, k, r, size, contentType)
}

func (s *scoped) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, err
	}
	return s.inner.Get(ctx, k)
}

func (s *scoped) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	k, err := s.key(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.inner.Stat(ctx, k)
	if err != nil {
		return ObjectInfo{}, err
	}
	info.Key = key
	return info, nil
}

func (s *scoped) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	p, err := s.dir(prefix)
	if err != nil {
		return nil, err
	}
	objs, err := s.inner.List(ctx, p)
	if err != nil {
		return nil, err
	}
	root, _ := s.prefix()
	out := objs[:0]
	for _, o := range objs {
		if rel, ok := strings.CutPrefix(o.Key, root); ok {
			o.Key = rel
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *scoped) Delete(ctx context.Context, key string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	return s.inner.Delete(ctx, k)
}

func (s *scoped) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	p, err := s.dir(prefix)
	if err != nil {
		return 0, err
	}
	return s.inner.DeletePrefix(ctx, p)
}
