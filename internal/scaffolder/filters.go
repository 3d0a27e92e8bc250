package scaffolder

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
)

// Backstage's own template filters (plugins/scaffolder-backend
// lib/templating/filters), rebuilt from their documented behaviour.

// IntegrationType tells parseRepoUrl which SCM a host is ("github", "gitlab",
// "azure", "bitbucket", "gitea", "gerrit"), or "" for an unknown host. In
// Backstage this comes from the integrations config; in Rigger from the
// tenant's configured git hosts.
type IntegrationType func(host string) string

// DefaultIntegrations knows the public SaaS hosts.
func DefaultIntegrations(host string) string {
	switch strings.ToLower(host) {
	case "github.com":
		return "github"
	case "gitlab.com":
		return "gitlab"
	case "dev.azure.com":
		return "azure"
	case "bitbucket.org", "www.bitbucket.org":
		return "bitbucket"
	}
	return ""
}

// ParseRepoURL is the parseRepoUrl filter: "github.com?owner=o&repo=r" ->
// {host, owner, repo} plus organization, workspace and project when given.
// Absent parts are absent keys, as after Backstage's JSON round trip.
func ParseRepoURL(repoURL string, integrations IntegrationType) (map[string]any, error) {
	u, err := url.Parse("https://" + repoURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("Invalid repo URL passed to publisher, got %s", repoURL)
	}
	host := strings.ToLower(u.Host)
	if integrations == nil {
		integrations = DefaultIntegrations
	}
	typ := integrations(host)
	if typ == "" {
		return nil, fmt.Errorf("No matching integration configuration for host %s, please check your integrations config", host)
	}
	q := u.Query()
	out := map[string]any{"host": host}
	for _, k := range []string{"owner", "organization", "workspace", "project", "repo"} {
		if q.Has(k) {
			out[k] = strings.Trim(q.Get(k), "/")
		}
	}
	require := func(params ...string) error {
		for _, p := range params {
			if q.Get(p) == "" {
				return fmt.Errorf("Invalid repo URL passed to publisher: https://%s, missing %s", repoURL, p)
			}
		}
		return nil
	}
	switch typ {
	case "bitbucket":
		if host == "www.bitbucket.org" {
			if err := require("workspace"); err != nil {
				return nil, err
			}
		}
		err = require("project", "repo")
	case "azure":
		err = require("project", "repo")
	case "gitlab":
		if q.Get("project") == "" {
			err = require("owner", "repo")
		}
	case "gitea", "gerrit":
		err = require("repo")
	default:
		err = require("repo", "owner")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseEntityRef is catalog-model's parseEntityRef: "[kind:][namespace/]name"
// or {kind, namespace, name}, with defaultKind / defaultNamespace.
func ParseEntityRef(ref any, defaults map[string]any) (map[string]any, error) {
	defKind, _ := defaults["defaultKind"].(string)
	defNS, _ := defaults["defaultNamespace"].(string)
	if defNS == "" {
		defNS = "default"
	}
	var kind, ns, name string
	switch r := ref.(type) {
	case string:
		if r == "" {
			return nil, fmt.Errorf("Entity reference must not be empty")
		}
		colon := strings.Index(r, ":")
		slash := strings.Index(r, "/")
		if slash != -1 && slash < colon {
			colon = -1
		}
		hasKind, hasNS := colon != -1, slash != -1
		if hasKind {
			kind = r[:colon]
		}
		if hasNS {
			ns = r[colon+1 : slash]
		}
		name = r[max(colon+1, slash+1):]
		if (hasKind && kind == "") || (hasNS && ns == "") || name == "" {
			return nil, fmt.Errorf(`Entity reference "%s" was not on the form [<kind>:][<namespace>/]<name>`, r)
		}
		if !hasKind {
			kind = defKind
		}
		if !hasNS {
			ns = defNS
		}
	case map[string]any:
		kind, _ = r["kind"].(string)
		ns, _ = r["namespace"].(string)
		name, _ = r["name"].(string)
		if kind == "" {
			kind = defKind
		}
		if ns == "" {
			ns = defNS
		}
	default:
		return nil, fmt.Errorf("Entity reference must not be empty")
	}
	switch {
	case kind == "":
		return nil, fmt.Errorf(`Entity reference %s had missing or empty kind (e.g. did not start with "component:" or similar)`, jsonText(ref))
	case name == "":
		return nil, fmt.Errorf("Entity reference %s had missing or empty name", jsonText(ref))
	}
	return map[string]any{"kind": kind, "namespace": ns, "name": name}, nil
}

func jsonText(v any) string {
	s, _, _ := nunjucks.Stringify(v, "")
	return s
}

var pathPart = regexp.MustCompile(`[^.\[\]]+|\[(?:"([^"]*)"|'([^']*)'|(\d+))\]`)

// Pick is lodash get(obj, path): "a.b[0].c" or "a['x']".
func Pick(obj any, path string) any {
	cur := obj
	for _, m := range pathPart.FindAllStringSubmatch(path, -1) {
		key := m[0]
		switch {
		case m[1] != "" || strings.HasPrefix(m[0], `["`):
			key = m[1]
		case m[2] != "" || strings.HasPrefix(m[0], `['`):
			key = m[2]
		case m[3] != "":
			key = m[3]
		}
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[key]
			if !ok {
				return nunjucks.Undefined
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(c) {
				return nunjucks.Undefined
			}
			cur = c[i]
		default:
			return nunjucks.Undefined
		}
	}
	return cur
}

// addBackstageFilters registers parseRepoUrl, parseEntityRef, pick and
// projectSlug on env.
func addBackstageFilters(env *nunjucks.Env, integrations IntegrationType) {
	env.AddFilter("parseRepoUrl", func(v any, _ []any, _ map[string]any) (any, error) {
		return ParseRepoURL(nunjucks.ToString(v), integrations)
	})
	env.AddFilter("parseEntityRef", func(v any, args []any, _ map[string]any) (any, error) {
		var defaults map[string]any
		if len(args) > 0 {
			defaults, _ = args[0].(map[string]any)
		}
		return ParseEntityRef(v, defaults)
	})
	env.AddFilter("pick", func(v any, args []any, _ map[string]any) (any, error) {
		if len(args) == 0 {
			return nunjucks.Undefined, nil
		}
		return Pick(v, nunjucks.ToString(args[0])), nil
	})
	env.AddFilter("projectSlug", func(v any, _ []any, _ map[string]any) (any, error) {
		r, err := ParseRepoURL(nunjucks.ToString(v), integrations)
		if err != nil {
			return nil, err
		}
		owner, ok := r["owner"]
		if !ok {
			owner = nunjucks.Undefined
		}
		return nunjucks.ToString(owner) + "/" + nunjucks.ToString(r["repo"]), nil
	})
}
