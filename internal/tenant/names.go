// Package tenant holds the naming rules that every layer derives a tenant's
// resources from, so that the API, the workflows and each integration agree on
// one name per tenant and per layer without passing names around.
package tenant

import (
	"fmt"
	"regexp"
	"strings"
)

// A slug is lowercase letters, digits and single hyphens, starting with a
// letter. The same string must be a valid Kubernetes namespace suffix (DNS
// label), a Git repository name, a Redis key segment and, with '-' mapped to
// '_', a PostgreSQL identifier; hyphens-only-between-alphanumerics keeps that
// mapping injective.
var slugRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

const (
	MinSlugLen = 3
	// 40 keeps "tenant-" + slug within the 63-character DNS label limit and
	// "tenant_" + slug + "_owner" within PostgreSQL's 63-byte identifiers.
	MaxSlugLen = 40
)

// ValidateSlug explains precisely why a slug is unusable, or returns nil.
func ValidateSlug(slug string) error {
	switch {
	case len(slug) < MinSlugLen:
		return fmt.Errorf("slug %q is too short: it needs at least %d characters", slug, MinSlugLen)
	case len(slug) > MaxSlugLen:
		return fmt.Errorf("slug %q is too long: it may have at most %d characters", slug, MaxSlugLen)
	case !slugRE.MatchString(slug):
		return fmt.Errorf("slug %q is invalid: use lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen", slug)
	}
	return nil
}

// Schema is the tenant's PostgreSQL schema.
func Schema(slug string) string { return "tenant_" + strings.ReplaceAll(slug, "-", "_") }

// DBRole is the login role that owns the tenant's schema.
func DBRole(slug string) string { return Schema(slug) + "_owner" }

// Namespace is the tenant's Kubernetes namespace.
func Namespace(slug string) string { return "tenant-" + slug }

// RedisUser is the tenant's Redis ACL user.
func RedisUser(slug string) string { return "tenant-" + slug }

// RedisKeyPrefix is the only key space the tenant's Redis user may touch.
func RedisKeyPrefix(slug string) string { return "t:" + slug + ":" }

// StoragePrefix is the tenant's prefix in object storage (no leading slash).
func StoragePrefix(slug string) string { return "tenants/" + slug + "/" }

// ConfigRepo is the name of the tenant's configuration repository.
func ConfigRepo(slug string) string { return "tenant-" + slug + "-config" }

// ArgoApp is the name of the tenant's ArgoCD Application.
func ArgoApp(slug string) string { return "tenant-" + slug }

// Label is the label key every tenant-owned Kubernetes object carries.
const Label = "rigger.dev/tenant"
