package scaffold

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/rigger-platform/rigger/activities/gitprovider"
)

// Integration is a git host templates publish to and fetch from, named in
// repoUrl the way Backstage's integrations config names it ("github.com",
// "gitlab.example.com"), with the API Rigger calls and the token it uses.
type Integration struct {
	Host string `json:"host"`
	// Type is "github" or "gitlab".
	Type string `json:"type"`
	// APIURL is the API base (GitHub Enterprise / self-managed GitLab / a
	// test server); "" means the public service of Type.
	APIURL string `json:"apiUrl,omitempty"`
	Token  string `json:"token"`
}

// ParseIntegrations reads RIGGER_SCAFFOLDER_INTEGRATIONS: a JSON list of
// integrations.
func ParseIntegrations(text string) ([]Integration, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var out []Integration
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("scaffolder integrations: %w", err)
	}
	for i, in := range out {
		if in.Host == "" || strings.ContainsAny(in.Host, "/?# ") {
			return nil, fmt.Errorf("scaffolder integrations[%d]: host %q must be a bare host name", i, in.Host)
		}
		if in.Type != "github" && in.Type != "gitlab" {
			return nil, fmt.Errorf("scaffolder integrations[%d]: type %q must be github or gitlab", i, in.Type)
		}
		if in.APIURL != "" {
			if u, err := url.Parse(in.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("scaffolder integrations[%d]: apiUrl is not an http(s) URL", i)
			}
		}
		out[i].Host = strings.ToLower(in.Host)
	}
	return out, nil
}

// IntegrationTypes maps each configured host to its type, as the
// parseRepoUrl filter needs; the public SaaS hosts are always known.
func IntegrationTypes(list []Integration) map[string]string {
	out := map[string]string{"github.com": "github", "gitlab.com": "gitlab", "dev.azure.com": "azure", "bitbucket.org": "bitbucket"}
	for _, in := range list {
		out[in.Host] = in.Type
	}
	return out
}

// hosts holds one Provider per configured host, built on first use.
type hosts struct {
	mu        sync.Mutex
	providers map[string]gitprovider.Provider
}

func (t *Templates) integration(host string) (Integration, bool) {
	for _, in := range t.Integrations {
		if strings.EqualFold(in.Host, host) {
			return in, true
		}
	}
	return Integration{}, false
}

// provider returns the forge for host, or a non-retryable error naming the
// host when no integration is configured for it.
func (t *Templates) provider(host string, token string) (gitprovider.Provider, Integration, error) {
	in, ok := t.integration(host)
	if !ok {
		return nil, in, invalidf("no integration is configured for host %q (configure RIGGER_SCAFFOLDER_INTEGRATIONS)", host)
	}
	if token != "" && token != in.Token {
		// A token from the template (e.g. the user's own) gets its own
		// client; it is never cached.
		in.Token = token
		p, err := newProvider(in)
		return p, in, err
	}
	t.hosts.mu.Lock()
	defer t.hosts.mu.Unlock()
	if p := t.hosts.providers[in.Host]; p != nil {
		return p, in, nil
	}
	p, err := newProvider(in)
	if err != nil {
		return nil, in, err
	}
	if t.hosts.providers == nil {
		t.hosts.providers = map[string]gitprovider.Provider{}
	}
	t.hosts.providers[in.Host] = p
	return p, in, nil
}

func newProvider(in Integration) (gitprovider.Provider, error) {
	switch in.Type {
	case "github":
		return gitprovider.NewGitHub(in.APIURL, in.Token, http.DefaultClient), nil
	case "gitlab":
		return gitprovider.NewGitLab(in.APIURL, in.Token, http.DefaultClient)
	}
	return nil, invalidf("integration %s has unknown type %q", in.Host, in.Type)
}
