package cache

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// scanBatch is the COUNT hint for SCAN and so roughly the size of each
// UNLINK: large enough to finish millions of keys in minutes, small enough
// that no single command stalls the server.
const scanBatch = 500

// CacheDeleteUser removes the tenant's ACL user, drops its connections and
// deletes its keys. Every step is a no-op when already done, so a retry or a
// repeated compensation converges on the same end state.
func (a *Activities) CacheDeleteUser(ctx context.Context, in DeleteUserInput) (DeleteUserResult, error) {
	if err := tenant.ValidateSlug(in.Slug); err != nil {
		return DeleteUserResult{}, invalidSlug(err)
	}
	if !a.Configured() {
		return DeleteUserResult{}, notConfigured("redis")
	}
	// The user goes first so that nobody writes new keys behind the SCAN.
	deleted, err := a.removeUser(ctx, tenant.RedisUser(in.Slug))
	if err != nil {
		return DeleteUserResult{}, err
	}
	n, err := a.deleteKeys(ctx, keyPattern(in.Slug))
	if err != nil {
		return DeleteUserResult{}, err
	}
	return DeleteUserResult{Deleted: deleted, KeysDeleted: n}, nil
}

// removeUser disables logins, kills live connections, then deletes the user.
// Disabling first closes the window in which a client could authenticate
// again between the kill and the delete.
func (a *Activities) removeUser(ctx context.Context, user string) (bool, error) {
	err := a.Client.Do(ctx, "ACL", "GETUSER", user).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, classify("look up ACL user "+user, err)
	}
	if err := a.Client.Do(ctx, "ACL", "SETUSER", user, "off").Err(); err != nil {
		return false, classify("disable ACL user "+user, err)
	}
	// A concurrent delete may have removed the user since GETUSER.
	if err := a.Client.ClientKillByFilter(ctx, "USER", user).Err(); err != nil && !noSuchUser(err) {
		return false, classify("kill connections of "+user, err)
	}
	if err := a.Client.Do(ctx, "ACL", "DELUSER", user).Err(); err != nil {
		return false, classify("delete ACL user "+user, err)
	}
	return true, nil
}

func noSuchUser(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.Contains(rerr.Error(), "No such user")
}

// deleteKeys SCANs with MATCH and UNLINKs each batch: UNLINK frees memory in
// a background thread, and SCAN never blocks the server the way KEYS does.
// A retry starts over from cursor 0, which is cheap because the keys already
// deleted are gone. (The worker's heartbeat interceptor keeps a long run alive.)
func (a *Activities) deleteKeys(ctx context.Context, pattern string) (int64, error) {
	var cursor uint64
	var total int64
	for {
		keys, next, err := a.Client.Scan(ctx, cursor, pattern, scanBatch).Result()
		if err != nil {
			return total, classify("scan "+pattern, err)
		}
		if len(keys) > 0 {
			n, err := a.Client.Unlink(ctx, keys...).Result()
			if err != nil {
				return total, classify("unlink keys matching "+pattern, err)
			}
			total += n
		}
		if next == 0 {
			return total, nil
		}
		cursor = next
	}
}
