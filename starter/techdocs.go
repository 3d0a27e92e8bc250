package starter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/api"
	"github.com/rigger-platform/rigger/internal/store"
	"github.com/rigger-platform/rigger/internal/techdocs"
)

const techdocsUsage = `usage:
  rigger techdocs build <dir|git-url> --entity namespace/kind/name [--out dir] [--strict]
                        [--ref branch|tag] [--commit sha] [--docs-path dir] [--etag e]
  rigger techdocs publish <git-url|path> --tenant T --entity namespace/kind/name
                        [--ref branch|tag] [--commit sha] [--docs-path dir] [--strict] [--wait]`

// TechDocs runs `rigger techdocs build|publish`.
//
// build makes a TechDocs site on this machine, with no server: from a
// folder with mkdocs.yml, or from a git URL it clones (shallow, at --ref
// or --commit) into a temporary folder first. The site goes to --out
// (default ./site/<namespace>/<kind>/<name>, the layout Backstage's
// publishers use).
//
// publish asks the Rigger API (c) to build and publish the site for a
// tenant: a git URL is cloned by the workers; any other argument is a
// folder under the platform's TechDocs source root for the tenant. With
// --wait it follows the build until it is published or fails.
func TechDocs(ctx context.Context, c *Client, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, techdocsUsage)
		return 2
	}
	var err error
	switch args[0] {
	case "build":
		err = techdocsBuild(ctx, args[1:], stdout, stderr)
	case "publish":
		if c == nil {
			err = errors.New("publish needs the Rigger API (RIGGER_API_URL, RIGGER_API_KEY)")
			break
		}
		err = techdocsPublish(ctx, c, args[1:], stdout)
	default:
		err = usageError(fmt.Sprintf("unknown techdocs command %q (want build or publish)\n%s", args[0], techdocsUsage))
	}
	return exitCode(err, stderr)
}

// entityRefRE is a Backstage entity reference in its full form.
var entityRefRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)

func isGitURL(src string) bool { return strings.Contains(src, "://") || strings.HasPrefix(src, "git@") }

func techdocsBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("techdocs build", flag.ContinueOnError)
	entity := fs.String("entity", "", "entity reference namespace/kind/name (required)")
	out := fs.String("out", "", "output folder (default site/<namespace>/<kind>/<name>)")
	strict := fs.Bool("strict", false, "fail on any warning, writing nothing")
	etag := fs.String("etag", "", "etag for techdocs_metadata.json (default: the commit of a git source, else a hash of the sources)")
	ref := fs.String("ref", "", "git source: branch or tag to build (default: the default branch)")
	commit := fs.String("commit", "", "git source: full commit SHA to build")
	docsPath := fs.String("docs-path", "", "folder inside the source that holds mkdocs.yml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("techdocs build needs exactly one source: a folder with mkdocs.yml, or a git URL")
	}
	src := fs.Arg(0)
	if !entityRefRE.MatchString(*entity) {
		return usageError("--entity must be namespace/kind/name, e.g. default/component/payments")
	}
	if *out == "" {
		// Backstage's publishers store sites under lower-cased entity paths.
		*out = filepath.Join("site", filepath.FromSlash(strings.ToLower(*entity)))
	}
	start := time.Now()
	dir := src
	if isGitURL(src) {
		if strings.HasPrefix(src, "git@") || strings.HasPrefix(src, "ssh://") {
			return usageError("only http(s) git URLs are supported; use the repository's https clone URL")
		}
		if *commit != "" && !techdocsacts.IsCommitSHA(*commit) {
			return usageError("--commit must be a full commit SHA")
		}
		tmp, err := os.MkdirTemp("", "rigger-techdocs-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "src")
		// A local build clones with the user's own rights: no allow-list,
		// credentials from the environment when the repository needs them.
		access := techdocsacts.GitAccess{Unrestricted: true, Username: os.Getenv("RIGGER_TECHDOCS_GIT_USERNAME"), Token: os.Getenv("RIGGER_TECHDOCS_GIT_TOKEN")}
		res, err := access.Fetch(ctx, src, *ref, *commit, dir, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "cloned %s at %s (%d bytes)\n", src, res.Commit, res.Bytes)
		if *etag == "" {
			*etag = res.Commit
		}
	} else if *ref != "" || *commit != "" {
		return usageError("--ref and --commit apply to git URL sources only")
	}
	if *docsPath != "" {
		d, err := techdocsacts.CheckSubdir(dir, *docsPath)
		if err != nil {
			return usageError(err.Error())
		}
		dir = d
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usageError(fmt.Sprintf("%s is not a folder", dir))
	}
	res, err := techdocs.Build(ctx, techdocs.Options{
		SourceDir:       dir,
		OutDir:          *out,
		Strict:          *strict,
		Etag:            *etag,
		Env:             environ(), // a local build may use the caller's own !ENV values
		DefaultSiteName: strings.SplitN(*entity, "/", 3)[2],
	})
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintln(stderr, "WARNING:", w)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %q: %d pages, %d files, %d warnings in %s -> %s\n",
		res.SiteName, len(res.Pages), len(res.Files), len(res.Warnings), time.Since(start).Round(time.Millisecond), *out)
	return nil
}

func techdocsPublish(ctx context.Context, c *Client, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("techdocs publish", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "tenant slug (required)")
	entity := fs.String("entity", "", "entity reference namespace/kind/name (required)")
	ref := fs.String("ref", "", "git source: branch or tag (default: the default branch)")
	commit := fs.String("commit", "", "git source: full commit SHA; path source: a label for the build")
	docsPath := fs.String("docs-path", "", "folder inside the source that holds mkdocs.yml")
	strict := fs.Bool("strict", false, "fail on any warning, publishing nothing")
	wait := fs.Bool("wait", false, "follow the build until it is published or fails")
	timeout := fs.Duration("timeout", 10*time.Minute, "with --wait, how long to wait")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *tenant == "" || !entityRefRE.MatchString(*entity) {
		return usageError("techdocs publish needs one source and --tenant and --entity namespace/kind/name")
	}
	req := api.TechDocsBuildRequest{Tenant: *tenant, Entity: *entity, Strict: *strict,
		Source: api.TechDocsSourceRequest{Ref: *ref, Commit: *commit, DocsPath: *docsPath}}
	if src := fs.Arg(0); isGitURL(src) {
		req.Source.Git = src
	} else {
		if filepath.IsAbs(src) {
			return usageError("a path source is a folder relative to the platform's TechDocs source root for the tenant, not a local path; to publish a local folder, push it to git")
		}
		req.Source.Path = filepath.ToSlash(src)
	}
	var resp api.TechDocsBuildResponse
	sent := time.Now()
	code, err := c.Do(ctx, http.MethodPost, "/v1/techdocs/builds", req, &resp)
	if err != nil {
		return err
	}
	state := "started"
	if code == http.StatusOK {
		state = "already built"
	}
	fmt.Fprintf(stdout, "%s %s at %s: %s (workflow %s)\n", *tenant, resp.Entity, resp.Commit, state, resp.WorkflowID)
	if !*wait {
		return nil
	}
	deadline := time.Now().Add(*timeout)
	parts := strings.Split(resp.Entity, "/")
	path := "/v1/techdocs/builds/" + url.PathEscape(*tenant) + "/" + url.PathEscape(parts[0]) + "/" + url.PathEscape(parts[1]) + "/" + url.PathEscape(parts[2])
	for {
		var list struct {
			Builds []store.TechDocsBuild `json:"builds"`
		}
		if _, err := c.Do(ctx, http.MethodGet, path, nil, &list); err != nil {
			return err
		}
		for _, b := range list.Builds {
			if b.Commit != resp.Commit {
				continue
			}
			switch b.Status {
			case store.TechDocsPublished, store.TechDocsSuperseded:
				fmt.Fprintf(stdout, "%s: %d pages, %d files, %d warnings\n", b.Status, b.Pages, b.Files, len(b.Warnings))
				return nil
			case store.TechDocsFailed:
				// A new run of a commit whose earlier run failed: that
				// earlier record shows until the new run records its start.
				if code == http.StatusOK || b.RequestedAt.After(sent.Add(-30*time.Second)) {
					return fmt.Errorf("build failed: %s", b.Error)
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the build did not finish within %s (workflow %s)", *timeout, resp.WorkflowID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
