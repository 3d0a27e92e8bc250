package cache

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/rigger-platform/rigger/internal/tenant"
)

// allowedCategories is what a Backstage cache client (Keyv over ioredis or
// node-redis) and its connection handshake use: data commands of every type,
// transactions, pub/sub and connection management. Key and channel arguments
// of all of these are checked against the user's patterns by Redis itself,
// including the destination of cross-key commands (RENAME, SUNIONSTORE,
// BITOP, LMOVE, ...).
var allowedCategories = []string{
	"+@read", "+@write", "+@keyspace", "+@string", "+@hash", "+@list", "+@set",
	"+@sortedset", "+@stream", "+@bitmap", "+@hyperloglog", "+@geo",
	"+@pubsub", "+@transaction", "+@connection",
}

// deniedCommands are subtracted after the categories above, so they win.
var deniedCommands = []string{
	// Server administration and everything Redis marks dangerous: FLUSHALL,
	// FLUSHDB, KEYS, CONFIG, ACL, DEBUG, SHUTDOWN, MIGRATE, RESTORE, SWAPDB,
	// INFO, MONITOR, CLIENT LIST/KILL, SORT (its BY/GET patterns read keys
	// that are not named as arguments), ...
	"-@admin", "-@dangerous",
	// Scripts and functions: FUNCTION LOAD/FLUSH and SCRIPT FLUSH change state
	// shared by every tenant, and a cache needs none of them.
	"-@scripting",
	// Commands that see the whole keyspace regardless of key patterns: they
	// would reveal other tenants' key names or counts.
	"-scan", "-randomkey", "-dbsize",
	// Other databases: keys there would escape CacheDeleteUser's SCAN of db 0.
	"-select", "-move", "-copy",
	// PUBSUB CHANNELS/NUMSUB/SHARDCHANNELS list every tenant's channels.
	"-pubsub",
	// BCAST tracking without a prefix reports invalidations of every key.
	"-client|tracking",
}

// userRules is the full ACL SETUSER rule list for a tenant. It starts with
// "reset" so that every call converges on exactly these rules, whatever the
// user had before.
func userRules(slug, password string) []any {
	rules := []any{
		"reset", // no passwords, keys, channels or commands; user off
		"on",
		// "#<sha256>" installs the password by its hash: the plaintext never
		// travels to Redis, so no reply, log or trace of this command holds it.
		"#" + passwordHash(password),
		"~" + keyPattern(slug),
		// reset only clears channels when acl-pubsub-default is resetchannels;
		// say it explicitly for servers configured with allchannels.
		"resetchannels",
		"&" + tenant.RedisKeyPrefix(slug) + "*",
		"-@all",
	}
	for _, r := range allowedCategories {
		rules = append(rules, r)
	}
	for _, r := range deniedCommands {
		rules = append(rules, r)
	}
	return rules
}

func passwordHash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}
