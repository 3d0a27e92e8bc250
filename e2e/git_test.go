package e2e

import (
	"testing"

	"github.com/rigger-platform/rigger/activities/gitprovider"
	"github.com/rigger-platform/rigger/internal/gitfake"
)

// gitFixture is a GitHub (REST v3 over httptest) whose repositories are real
// bare repos served by git http-backend.
type gitFixture struct {
	gh *gitfake.GitHub
}

func newGitFixture(t testing.TB) *gitFixture {
	return &gitFixture{gh: gitfake.NewGitHub(t)}
}

func (g *gitFixture) activities() *gitprovider.Activities {
	return &gitprovider.Activities{
		Provider: gitprovider.NewGitHub(g.gh.URL(), g.gh.Token(), nil),
		Owner:    g.gh.Owner(),
		Token:    g.gh.Token(),
	}
}
