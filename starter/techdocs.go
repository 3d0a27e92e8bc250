package starter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rigger-platform/rigger/internal/techdocs"
)

// TechDocs runs `rigger techdocs build <dir> --entity ns/kind/name [--out
// dir] [--strict]`: it builds a TechDocs site on this machine, with no
// server, into --out (default ./site/<namespace>/<kind>/<name>, the layout
// Backstage's publishers use), and prints the warnings. Git URLs are the
// TechDocs workflow's job (clone at a commit, then build and publish).
func TechDocs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "build" {
		fmt.Fprintln(stderr, "usage: rigger techdocs build <dir> --entity namespace/kind/name [--out dir] [--strict]")
		return 2
	}
	err := techdocsBuild(ctx, args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "rigger:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "rigger:", err)
		return 1
	}
}

// entityRefRE is a Backstage entity reference in its full form.
var entityRefRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)

func techdocsBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("techdocs build", flag.ContinueOnError)
	entity := fs.String("entity", "", "entity reference namespace/kind/name (required)")
	out := fs.String("out", "", "output folder (default site/<namespace>/<kind>/<name>)")
	strict := fs.Bool("strict", false, "fail on any warning, writing nothing")
	etag := fs.String("etag", "", "etag for techdocs_metadata.json (default: a hash of the sources)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("techdocs build needs exactly one source: a folder with mkdocs.yml")
	}
	src := fs.Arg(0)
	if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
		return usageError("git URL sources are built by the TechDocs workflow (the API or a push webhook); clone the repository and pass its folder to build locally")
	}
	if !entityRefRE.MatchString(*entity) {
		return usageError("--entity must be namespace/kind/name, e.g. default/component/payments")
	}
	if *out == "" {
		// Backstage's publishers store sites under lower-cased entity paths.
		*out = filepath.Join("site", filepath.FromSlash(strings.ToLower(*entity)))
	}
	if info, err := os.Stat(src); err != nil || !info.IsDir() {
		return usageError(fmt.Sprintf("%s is not a folder", src))
	}
	start := time.Now()
	res, err := techdocs.Build(ctx, techdocs.Options{
		SourceDir:       src,
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

func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
