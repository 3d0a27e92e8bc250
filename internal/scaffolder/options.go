package scaffolder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rigger-platform/rigger/internal/scaffolder/nunjucks"
)

// TemplateOptions are the inputs of fetch:template and fetch:template:file
// that shape rendering (the url is resolved by the caller).
type TemplateOptions struct {
	// TargetPath is where output goes, relative to the workspace ("./" if
	// empty). For RenderFile it is the output file path and is required.
	TargetPath string
	// Values are exposed as `values` (or `cookiecutter` in compat mode).
	Values map[string]any
	// CopyWithoutTemplating: matching files are copied without rendering
	// their contents; their paths are still rendered.
	CopyWithoutTemplating []string
	// CopyWithoutRender is the deprecated form: matching entries keep both
	// contents and path unrendered.
	CopyWithoutRender []string
	// CookiecutterCompat renders {{ cookiecutter.x }} with {{ }} delimiters,
	// Jinja compatibility and the jsonify filter.
	CookiecutterCompat bool
	// TemplateFileExtension, when set (".njk", or "njk"), renders only files
	// with that extension and strips it; other files are copied.
	TemplateFileExtension string
	// Replace overwrites files that already exist in the workspace.
	Replace      bool
	TrimBlocks   bool
	LStripBlocks bool
}

// DecodeTemplateOptions reads fetch:template / fetch:template:file input
// (already rendered) into TemplateOptions, with Backstage's checks. It
// returns the url too.
func DecodeTemplateOptions(input map[string]any) (url string, o TemplateOptions, err error) {
	url, _ = input["url"].(string)
	o.TargetPath, _ = input["targetPath"].(string)
	if v, ok := input["values"].(map[string]any); ok {
		o.Values = v
	}
	list := func(key string) ([]string, error) {
		raw, ok := input[key]
		if !ok || raw == nil {
			return nil, nil
		}
		arr, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("Fetch action input copyWithoutRender/copyWithoutTemplating must be an Array")
		}
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			out = append(out, nunjucks.ToString(e))
		}
		if out == nil {
			out = []string{}
		}
		return out, nil
	}
	if o.CopyWithoutRender, err = list("copyWithoutRender"); err != nil {
		return "", o, err
	}
	if o.CopyWithoutTemplating, err = list("copyWithoutTemplating"); err != nil {
		return "", o, err
	}
	o.CookiecutterCompat, _ = input["cookiecutterCompat"].(bool)
	o.Replace, _ = input["replace"].(bool)
	o.TrimBlocks, _ = input["trimBlocks"].(bool)
	o.LStripBlocks, _ = input["lstripBlocks"].(bool)
	switch ext := input["templateFileExtension"].(type) {
	case bool:
		if ext {
			o.TemplateFileExtension = ".njk"
		}
	case string:
		o.TemplateFileExtension = ext
	}
	return url, o, o.check()
}

func (o *TemplateOptions) check() error {
	if o.CopyWithoutRender != nil && o.CopyWithoutTemplating != nil {
		return errors.New("Fetch action input copyWithoutRender and copyWithoutTemplating can not be used at the same time")
	}
	if o.TemplateFileExtension != "" && (o.CopyWithoutRender != nil || o.CopyWithoutTemplating != nil || o.CookiecutterCompat) {
		return errors.New("Fetch action input extension incompatible with copyWithoutRender/copyWithoutTemplating and cookiecutterCompat")
	}
	if o.TemplateFileExtension != "" && !strings.HasPrefix(o.TemplateFileExtension, ".") {
		o.TemplateFileExtension = "." + o.TemplateFileExtension
	}
	return nil
}
