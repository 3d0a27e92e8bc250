package cache

import (
	"context"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// CacheCreateUser creates or resets the tenant's ACL user. The password is
// derived, not generated, so every retry and every repeat installs the same
// one: connections the tenant already holds keep working.
func (a *Activities) CacheCreateUser(ctx context.Context, in CreateUserInput) (CreateUserResult, error) {
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return CreateUserResult{}, invalidSlug(err)
	}
	if !a.Configured() {
		return CreateUserResult{}, notConfigured("redis")
	}
	if a.Secrets == nil {
		return CreateUserResult{}, notConfigured("the secret deriver")
	}
	user := tenant.RedisUser(in.Slug)
	ref := passwordRef(in.Slug)

	// One ACL SETUSER applies all rules atomically: a half-configured user
	// is never visible, even if this attempt dies midway.
	args := append([]any{"ACL", "SETUSER", user}, userRules(in.Slug, a.Secrets.Secret(ref))...)
	if err := a.Client.Do(ctx, args...).Err(); err != nil {
		return CreateUserResult{}, classify("create ACL user "+user, err)
	}
	return CreateUserResult{User: user, PasswordRef: ref, KeyPattern: keyPattern(in.Slug)}, nil
}
