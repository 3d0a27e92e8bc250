package cache

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestDeleteRemovesOnlyThatTenant(t *testing.T) {
	a := newActivities(t)
	slugA := newSlug(t, a)
	slugB := newSlug(t, a)
	// Shares A's slug as a prefix: its keys must survive A's deletion.
	slugAx := slugA + "-x"
	cleanup(t, a, slugAx)
	resA := create(t, a, slugA)
	connA := connectAs(t, a, resA)
	connB := connectAs(t, a, create(t, a, slugB))
	ctx := ctxT(t)

	// More keys than one SCAN batch, so the loop has to continue.
	const n = 3*scanBatch + 7
	p := a.Client.Pipeline()
	for i := range n {
		p.Set(ctx, key(slugA, fmt.Sprint(i)), "v", time.Hour)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	mustOK(t, "B SET", connB.Set(ctx, key(slugB, "x"), "b", time.Hour).Err())
	mustOK(t, "Ax SET", a.Client.Set(ctx, key(slugAx, "x"), "ax", time.Hour).Err())

	res, err := a.CacheDeleteUser(ctx, DeleteUserInput{Slug: slugA})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Deleted || res.KeysDeleted != n {
		t.Fatalf("got %+v, want Deleted and %d keys", res, n)
	}
	if err := a.Client.Do(ctx, "ACL", "GETUSER", resA.User).Err(); err != redis.Nil {
		t.Fatalf("user %s still exists (%v)", resA.User, err)
	}
	if err := connA.Ping(ctx).Err(); err == nil {
		t.Fatal("A's connection survived the deletion")
	}
	if left := a.Client.Keys(ctx, key(slugA, "*")).Val(); len(left) != 0 {
		t.Fatalf("%d of A's keys left", len(left))
	}
	if got := connB.Get(ctx, key(slugB, "x")).Val(); got != "b" {
		t.Fatalf("B's key = %q after deleting A", got)
	}
	if got := a.Client.Get(ctx, key(slugAx, "x")).Val(); got != "ax" {
		t.Fatalf("%s's key = %q after deleting A", slugAx, got)
	}

	again, err := a.CacheDeleteUser(ctx, DeleteUserInput{Slug: slugA})
	if err != nil || again != (DeleteUserResult{}) {
		t.Fatalf("second delete: %+v %v, want nothing deleted", again, err)
	}
}

func TestDeleteWithoutUserStillDeletesKeys(t *testing.T) {
	a := newActivities(t)
	slug := newSlug(t, a)
	ctx := ctxT(t)
	// A create that failed after keys appeared, or keys written by an admin.
	mustOK(t, "SET", a.Client.Set(ctx, key(slug, "orphan"), "v", time.Hour).Err())
	res, err := a.CacheDeleteUser(ctx, DeleteUserInput{Slug: slug})
	if err != nil || res != (DeleteUserResult{Deleted: false, KeysDeleted: 1}) {
		t.Fatalf("got %+v %v", res, err)
	}
}
