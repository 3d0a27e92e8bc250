// Package cache provisions each tenant's slice of the shared Redis: an ACL
// user that can touch only the tenant's key prefix and pub/sub channels, and
// the cleanup that removes both when the tenant goes away.
package cache

import (
	"github.com/redis/go-redis/v9"

	"github.com/rigger-platform/rigger/internal/secrets"
	"github.com/rigger-platform/rigger/internal/tenant"
)

// Activities are registered on the worker; Client is an administrative
// connection (it needs ACL, CLIENT KILL, SCAN and UNLINK).
type Activities struct {
	// Client is nil when the deployment has no Redis: workflows check
	// Configured and skip the cache step instead of failing.
	Client  *redis.Client
	Secrets *secrets.Deriver
}

// Configured reports whether a Redis server was set up for tenant caches.
func (a *Activities) Configured() bool { return a != nil && a.Client != nil }

type CreateUserInput struct {
	Slug string
}

// CreateUserResult names the credentials without containing them: the
// password is re-derived from PasswordRef by whoever needs it (the tenant's
// Backstage deployment), so it never enters a workflow history.
type CreateUserResult struct {
	User        string
	PasswordRef string
	KeyPattern  string
}

type DeleteUserInput struct {
	Slug string
}

type DeleteUserResult struct {
	// Deleted is true when this call found and removed the ACL user.
	Deleted     bool
	KeysDeleted int64
}

// passwordRef is the one reference both the activity and the tenant's
// deployment derive the Redis password from.
func passwordRef(slug string) string { return secrets.Ref("redis", slug) }

// keyPattern is the ACL/SCAN glob for the tenant's keys. Slugs contain no glob
// metacharacters and no ':', so "t:ab:*" never matches "t:ab-c:x".
func keyPattern(slug string) string { return tenant.RedisKeyPrefix(slug) + "*" }
