package scaffold

import (
	"context"
	"errors"
	"io/fs"

	"github.com/rigger-platform/rigger/internal/scaffolder"
)

// The fetch actions bring files into the workspace: rendered (fetch:template,
// fetch:template:file) or copied (fetch:plain, fetch:plain:file). A url is
// relative to the template file ("./skeleton") or a repository URL on a
// configured integration (https://github.com/o/r/tree/main/dir).

var tokenInput = map[string]any{"type": "string", "title": "Token", "description": "An optional token for a remote url; the integration's token is used otherwise"}

func templateInputs(required ...string) map[string]any {
	return obj(required, map[string]any{
		"url":                   str("Fetch URL: relative to the template, or a repository URL"),
		"targetPath":            str("Target path inside the workspace"),
		"values":                anyObj("Template values, seen as ${{ values.x }}"),
		"copyWithoutRender":     strList("Deprecated: globs of files copied without rendering contents or names"),
		"copyWithoutTemplating": strList("Globs of files copied without rendering their contents"),
		"cookiecutterCompat":    boolean("Render {{ cookiecutter.x }} with Jinja compatibility"),
		"templateFileExtension": map[string]any{"type": []any{"string", "boolean"}, "title": "Only render files with this extension (true means .njk)"},
		"replace":               boolean("Overwrite files already in the workspace"),
		"trimBlocks":            boolean("Remove the first newline after a block"),
		"lstripBlocks":          boolean("Strip leading whitespace before a block tag"),
		"token":                 tokenInput,
	})
}

func fetchTemplate() *Action {
	return &Action{
		ID:          "fetch:template",
		Description: "Downloads a skeleton, renders its file names and contents with the values, and writes the result into the workspace (or targetPath inside it).",
		Input:       templateInputs("url"),
		Output:      obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			url, opts, err := scaffolder.DecodeTemplateOptions(x.Input)
			if err != nil {
				return invalidf("%v", err)
			}
			src, dir, ok, err := x.fetchSource(ctx, a, url)
			if err != nil || !ok {
				return err
			}
			files, err := a.Engine().RenderDir(ctx, src, dir, opts)
			if err != nil {
				return renderErr(err)
			}
			written, err := scaffolder.WriteFiles(x.WS, files, opts.Replace)
			if err != nil {
				return renderErr(err)
			}
			x.Changed = true
			x.Logf("Fetched template %s: wrote %d files", url, len(written))
			return nil
		},
	}
}

func fetchTemplateFile() *Action {
	return &Action{
		ID:          "fetch:template:file",
		Description: "Downloads one template file, renders it with the values, and writes it to targetPath in the workspace.",
		Input:       templateInputs("url", "targetPath"),
		Output:      obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			url, opts, err := scaffolder.DecodeTemplateOptions(x.Input)
			if err != nil {
				return invalidf("%v", err)
			}
			src, file, ok, err := x.fetchSource(ctx, a, url)
			if err != nil || !ok {
				return err
			}
			f, err := a.Engine().RenderFile(ctx, src, file, opts)
			if err != nil {
				return renderErr(err)
			}
			written, err := scaffolder.WriteFiles(x.WS, []scaffolder.File{f}, opts.Replace)
			if err != nil {
				return renderErr(err)
			}
			x.Changed = true
			x.Logf("Fetched template file %s: wrote %d files", url, len(written))
			return nil
		},
	}
}

func plainInputs(required ...string) map[string]any {
	return obj(required, map[string]any{
		"url":        str("Fetch URL: relative to the template, or a repository URL"),
		"targetPath": str("Target path inside the workspace"),
		"token":      tokenInput,
	})
}

func fetchPlain() *Action {
	return &Action{
		ID:          "fetch:plain",
		Description: "Downloads a directory and copies it, unrendered, into the workspace (or targetPath inside it).",
		Input:       plainInputs("url"),
		Output:      obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			url := x.Str("url")
			src, dir, ok, err := x.fetchSource(ctx, a, url)
			if err != nil || !ok {
				return err
			}
			files, err := scaffolder.CopyDir(src, dir, x.Str("targetPath"))
			if err != nil {
				return renderErr(err)
			}
			written, err := scaffolder.WriteFiles(x.WS, files, false)
			if err != nil {
				return renderErr(err)
			}
			x.Changed = true
			x.Logf("Fetched %s: wrote %d files", url, len(written))
			return nil
		},
	}
}

func fetchPlainFile() *Action {
	return &Action{
		ID:          "fetch:plain:file",
		Description: "Downloads one file and copies it, unrendered, to targetPath in the workspace.",
		Input:       plainInputs("url", "targetPath"),
		Output:      obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			url := x.Str("url")
			src, file, ok, err := x.fetchSource(ctx, a, url)
			if err != nil || !ok {
				return err
			}
			f, err := scaffolder.CopyFile(src, file, x.Str("targetPath"))
			if err != nil {
				return renderErr(err)
			}
			if _, err := scaffolder.WriteFiles(x.WS, []scaffolder.File{f}, false); err != nil {
				return renderErr(err)
			}
			x.Changed = true
			x.Logf("Fetched %s to %s", url, f.Path)
			return nil
		},
	}
}

// fetchSource resolves a fetch url to the files it names and the path inside
// them. ok is false when a dry run skips a remote url (a dry run reaches no
// network).
func (x *Exec) fetchSource(ctx context.Context, a *Activities, url string) (fs.FS, string, bool, error) {
	p, err := scaffolder.ResolveLocal(x.TemplatePath, url)
	var remote *scaffolder.RemoteURLError
	switch {
	case errors.As(err, &remote):
		if x.DryRun {
			x.Logf("Dry run: not fetching remote url %s", url)
			return nil, "", false, nil
		}
		ws, _, sub, err := a.templates().gitTree(ctx, url, "", "")
		if err != nil {
			return nil, "", false, retryable(err)
		}
		if sub == "" {
			sub = "."
		}
		return ws.FS(), sub, true, nil
	case err != nil:
		return nil, "", false, invalidf("url: %v", err)
	}
	if x.Src == nil {
		return nil, "", false, invalidf("url %s: the template has no location to fetch from", url)
	}
	return x.Src, p, true, nil
}

// renderErr: rendering and path errors are the template's fault; retrying
// renders the same thing again.
func renderErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return invalidf("%v", err)
}
