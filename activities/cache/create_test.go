package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestCreateUserResultNamesButNeverContainsThePassword(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	res := create(t, a, slug)
	want := CreateUserResult{User: "tenant-" + slug, PasswordRef: "redis/" + slug, KeyPattern: "t:" + slug + ":*"}
	if res != want {
		t.Fatalf("got %+v, want %+v", res, want)
	}
	if strings.Contains(fmt.Sprintf("%#v", res), a.Secrets.Secret(res.PasswordRef)) {
		t.Fatal("result contains the password")
	}
	// The server keeps only the hash: not even ACL GETUSER shows the password.
	info := fmt.Sprint(a.Client.Do(ctxT(t), "ACL", "GETUSER", res.User).Val())
	if strings.Contains(info, a.Secrets.Secret(res.PasswordRef)) {
		t.Fatal("ACL GETUSER shows the plaintext password")
	}
}

func TestTenantUsesItsOwnKeysLikeABackstageCache(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	c := connectAs(t, a, create(t, a, slug))
	ctx := ctxT(t)
	k := key(slug, "x")

	// What Keyv/ioredis/node-redis send: handshake, then get/set with TTL,
	// delete, multi-get, transactions.
	mustOK(t, "HELLO", c.Do(ctx, "HELLO", "3").Err())
	mustOK(t, "CLIENT SETNAME", c.Do(ctx, "CLIENT", "SETNAME", "backstage").Err())
	mustOK(t, "SET PX", c.Set(ctx, k, "v", time.Minute).Err())
	if got := c.Get(ctx, k).Val(); got != "v" {
		t.Fatalf("GET %s = %q, want v", k, got)
	}
	mustOK(t, "MGET", c.MGet(ctx, k, key(slug, "y")).Err())
	mustOK(t, "HSET", c.HSet(ctx, key(slug, "h"), "f", "1").Err())
	mustOK(t, "SADD", c.SAdd(ctx, key(slug, "ns"), k).Err())
	mustOK(t, "PEXPIRE", c.PExpire(ctx, k, time.Minute).Err())
	mustOK(t, "RENAME own", c.Rename(ctx, k, key(slug, "x2")).Err())
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, key(slug, "n"))
		p.Expire(ctx, key(slug, "n"), time.Minute)
		return nil
	})
	mustOK(t, "MULTI/EXEC", err)
	mustOK(t, "UNLINK", c.Unlink(ctx, key(slug, "x2")).Err())
}

func TestTenantCannotTouchAnotherTenantsKeys(t *testing.T) {
	a := newActivities(t)
	slugA, slugB := newSlug(t, a), newSlug(t, a)
	create(t, a, slugB)
	c := connectAs(t, a, create(t, a, slugA))
	ctx := ctxT(t)
	if err := a.Client.Set(ctx, key(slugB, "x"), "secret", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	mine, theirs := key(slugA, "x"), key(slugB, "x")
	c.Set(ctx, mine, "v", time.Minute)

	wantNoPerm(t, "GET B", c.Get(ctx, theirs).Err())
	wantNoPerm(t, "SET B", c.Set(ctx, theirs, "v", 0).Err())
	wantNoPerm(t, "DEL B", c.Del(ctx, theirs).Err())
	wantNoPerm(t, "GET unprefixed", c.Get(ctx, "x").Err())
	// Cross-key commands are checked on every key, source and destination.
	wantNoPerm(t, "RENAME to B", c.Rename(ctx, mine, theirs).Err())
	wantNoPerm(t, "SUNIONSTORE into B", c.SUnionStore(ctx, theirs, mine).Err())
	wantNoPerm(t, "MGET with B", c.MGet(ctx, mine, theirs).Err())
	wantNoPerm(t, "LMOVE from B", c.LMove(ctx, theirs, mine, "LEFT", "RIGHT").Err())
	// A prefix that only starts like A's belongs to someone else.
	wantNoPerm(t, "GET A-suffixed", c.Get(ctx, "t:"+slugA+"-x:k").Err())
}

// deniedCommands lists what a tenant must never run. All are checked with
// ACL DRYRUN; the harmless ones are also sent for real on the tenant's
// connection. Destructive ones are only dry-run so that a broken ACL
// cannot wipe or stop the shared test server.
var deniedCases = []struct {
	args        []any
	destructive bool
}{
	{args: []any{"FLUSHALL"}, destructive: true},
	{args: []any{"FLUSHDB"}, destructive: true},
	{args: []any{"SHUTDOWN"}, destructive: true},
	{args: []any{"DEBUG", "SLEEP", "0"}, destructive: true},
	{args: []any{"SWAPDB", "0", "1"}, destructive: true},
	{args: []any{"REPLICAOF", "NO", "ONE"}, destructive: true},
	{args: []any{"SAVE"}, destructive: true},
	{args: []any{"MIGRATE", "127.0.0.1", "1", "", "0", "1000", "KEYS", "t:x:k"}, destructive: true},
	{args: []any{"FUNCTION", "FLUSH"}, destructive: true},
	{args: []any{"SCRIPT", "FLUSH"}, destructive: true},
	{args: []any{"KEYS", "*"}},
	{args: []any{"SCAN", "0"}},
	{args: []any{"RANDOMKEY"}},
	{args: []any{"DBSIZE"}},
	{args: []any{"SELECT", "1"}},
	{args: []any{"CONFIG", "GET", "maxmemory"}},
	{args: []any{"ACL", "LIST"}},
	{args: []any{"ACL", "WHOAMI"}},
	{args: []any{"INFO"}},
	{args: []any{"CLIENT", "LIST"}},
	{args: []any{"CLIENT", "KILL", "ID", "999999999"}},
	{args: []any{"CLIENT", "TRACKING", "ON", "BCAST"}},
	{args: []any{"PUBSUB", "CHANNELS"}},
	{args: []any{"EVAL", "return 1", "0"}},
	{args: []any{"SORT", "t:x:k", "BY", "nosort"}},
	{args: []any{"SLOWLOG", "GET"}},
}

func TestTenantCannotRunAdminOrKeyspaceWideCommands(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	res := create(t, a, slug)
	c := connectAs(t, a, res)
	ctx := ctxT(t)
	for _, tc := range deniedCases {
		name := strings.TrimSpace(fmt.Sprintln(tc.args...))
		// DRYRUN answers OK when allowed and a denial text otherwise.
		dry := append([]any{"ACL", "DRYRUN", res.User}, tc.args...)
		if v, err := a.Client.Do(ctx, dry...).Text(); err != nil || v == "OK" {
			t.Errorf("%s: dry run says allowed (%q, %v)", name, v, err)
		}
		if !tc.destructive {
			wantNoPerm(t, name, c.Do(ctx, tc.args...).Err())
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("connection unusable after denials: %v", err)
	}
}

func TestTenantPubSubConfinedToItsChannels(t *testing.T) {
	a := newActivities(t)
	slugA, slugB := newSlug(t, a), newSlug(t, a)
	create(t, a, slugB)
	c := connectAs(t, a, create(t, a, slugA))
	ctx := ctxT(t)

	for _, ch := range []string{key(slugB, "events"), "events", "t:*"} {
		sub := c.Subscribe(ctx, ch)
		_, err := sub.Receive(ctx)
		wantNoPerm(t, "SUBSCRIBE "+ch, err)
		sub.Close()
	}
	psub := c.PSubscribe(ctx, "t:*")
	_, err := psub.Receive(ctx)
	wantNoPerm(t, "PSUBSCRIBE t:*", err)
	psub.Close()
	wantNoPerm(t, "PUBLISH B", c.Publish(ctx, key(slugB, "events"), "hi").Err())

	// Its own channels work end to end.
	own := key(slugA, "events")
	sub := c.Subscribe(ctx, own)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatalf("SUBSCRIBE %s: %v", own, err)
	}
	if err := a.Client.Publish(ctx, own, "hi").Err(); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "hi" {
		t.Fatalf("receive on own channel: %v %v", msg, err)
	}
}

func TestCreateTwiceKeepsPasswordAndConnections(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	res := create(t, a, slug)
	c := connectAs(t, a, res)
	ctx := ctxT(t)
	mustOK(t, "SET", c.Set(ctx, key(slug, "x"), "v", time.Minute).Err())

	if again := create(t, a, slug); again != res {
		t.Fatalf("second create returned %+v, first %+v", again, res)
	}
	if got, err := c.Get(ctx, key(slug, "x")).Result(); err != nil || got != "v" {
		t.Fatalf("old connection after re-create: %q %v", got, err)
	}
	connectAs(t, a, res) // a fresh login with the same derived password
}

func TestCreateResetsAWidenedUser(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	res := create(t, a, slug)
	ctx := ctxT(t)
	// Someone widened the user by hand; the next create must undo it.
	if err := a.Client.Do(ctx, "ACL", "SETUSER", res.User, "~*", "allchannels", "+@all", ">extra-password").Err(); err != nil {
		t.Fatal(err)
	}
	create(t, a, slug)
	c := connectAs(t, a, res)
	wantNoPerm(t, "GET other", c.Get(ctx, "other").Err())
	wantNoPerm(t, "KEYS", c.Keys(ctx, "*").Err())
	bad := *a.Client.Options()
	bad.Username, bad.Password = res.User, "extra-password"
	old := redis.NewClient(&bad)
	defer old.Close()
	if err := old.Ping(ctx).Err(); !redis.IsAuthError(err) {
		t.Fatalf("login with the hand-added password: want WRONGPASS, got %v", err)
	}
}

func TestInvalidSlugIsNonRetryable(t *testing.T) {
	a := newActivities(t)
	for _, slug := range []string{"", "ab", "A-b", "a:b", "abc*", "../etc", "t-", strings.Repeat("a", 41)} {
		_, err := a.CacheCreateUser(ctxT(t), CreateUserInput{Slug: slug})
		wantAppError(t, err, ErrTypeInvalidSlug, true)
		_, err = a.CacheDeleteUser(ctxT(t), DeleteUserInput{Slug: slug})
		wantAppError(t, err, ErrTypeInvalidSlug, true)
	}
}

func TestNotConfigured(t *testing.T) {
	var a Activities
	if a.Configured() {
		t.Fatal("zero Activities claims to be configured")
	}
	_, err := a.CacheCreateUser(context.Background(), CreateUserInput{Slug: "acme"})
	wantAppError(t, err, ErrTypeNotConfigured, true)
	_, err = a.CacheDeleteUser(context.Background(), DeleteUserInput{Slug: "acme"})
	wantAppError(t, err, ErrTypeNotConfigured, true)
}

func TestUnreachableServerIsRetryable(t *testing.T) {
	// A port that was just free: connections are refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	a := newActivities(t)
	a.Client = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer a.Client.Close()
	_, err = a.CacheCreateUser(ctxT(t), CreateUserInput{Slug: "acme"})
	wantAppError(t, err, ErrTypeUnavailable, false)
}

func TestMissingAdminRightsAreNonRetryable(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	tenantConn := connectAs(t, a, create(t, a, slug))
	weak := &Activities{Client: tenantConn, Secrets: a.Secrets}
	_, err := weak.CacheCreateUser(ctxT(t), CreateUserInput{Slug: "acme"})
	wantAppError(t, err, ErrTypePermissionDenied, true)
}

type fakeRedisErr string

func (e fakeRedisErr) Error() string { return string(e) }
func (fakeRedisErr) RedisError()     {}

func TestClassify(t *testing.T) {
	cases := []struct {
		err          error
		typ          string
		nonRetryable bool
	}{
		{fakeRedisErr("NOPERM User x has no permissions"), ErrTypePermissionDenied, true},
		{fakeRedisErr("WRONGPASS invalid username-password pair"), ErrTypePermissionDenied, true},
		{fakeRedisErr("LOADING Redis is loading the dataset in memory"), ErrTypeUnavailable, false},
		{fakeRedisErr("BUSY Redis is busy running a script"), ErrTypeUnavailable, false},
		{fakeRedisErr("READONLY You can't write against a read only replica."), ErrTypeUnavailable, false},
		{fakeRedisErr("ERR Error in ACL SETUSER modifier '&t:x:*': Syntax error"), ErrTypeCommandFailed, true},
		{errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"), ErrTypeUnavailable, false},
		{redis.ErrPoolTimeout, ErrTypeUnavailable, false},
	}
	for _, tc := range cases {
		wantAppError(t, classify("op", tc.err), tc.typ, tc.nonRetryable)
	}
	if err := classify("op", context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation must stay a context error, got %v", err)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
