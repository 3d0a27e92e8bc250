package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rigger-platform/rigger/starter"
)

// TestStarterCLI runs the `rigger tenant ...` commands against the real API:
// --wait follows the steps and the exit code says whether the run succeeded.
func TestStarterCLI(t *testing.T) {
	git := newGitFixture(t)
	p := newPlatform(t, platformOptions{git: git.activities()})
	c := &starter.Client{BaseURL: p.api.URL, APIKey: p.adminKey}
	run := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var out, errOut bytes.Buffer
		code := starter.Tenant(ctx, c, args, &out, &errOut)
		return code, out.String() + errOut.String()
	}

	code, out := run("onboard", "--slug", "cli-ok", "--owner", "alice", "--plan", "team", "--wait")
	if code != 0 || !strings.Contains(out, "tenant cli-ok is active") || !strings.Contains(out, "git                done") {
		t.Fatalf("onboard --wait = %d:\n%s", code, out)
	}
	if code, out := run("status", "cli-ok"); code != 0 || !strings.Contains(out, "status:   active") {
		t.Fatalf("status = %d:\n%s", code, out)
	}
	if code, out := run("onboard", "--slug", "cli-ok", "--owner", "mallory"); code != 1 || !strings.Contains(out, "already taken") {
		t.Fatalf("conflicting onboard = %d:\n%s", code, out)
	}
	if code, out := run("list"); code != 0 || !strings.Contains(out, "cli-ok") {
		t.Fatalf("list = %d:\n%s", code, out)
	}
	// The forge refuses the token: the git step fails without retries, the
	// saga undoes the earlier steps and --wait exits non-zero.
	git.gh.Fail("POST", "/orgs/"+git.gh.Owner()+"/repos", 401, 1, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`, nil)
	code, out = run("onboard", "--slug", "cli-bad", "--owner", "alice", "--wait")
	if code != 1 || !strings.Contains(out, "failed") || !strings.Contains(out, "compensated") {
		t.Fatalf("failing onboard = %d:\n%s", code, out)
	}
	if code, out := run("offboard", "cli-ok", "--wait"); code != 0 || !strings.Contains(out, "tenant cli-ok is deleted") {
		t.Fatalf("offboard --wait = %d:\n%s", code, out)
	}
	if code, _ := run("frobnicate"); code != 2 {
		t.Fatalf("unknown command = %d", code)
	}
	if code, _ := run("status"); code != 2 {
		t.Fatalf("status without slug = %d", code)
	}
}
