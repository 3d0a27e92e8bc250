package techdocs

import "strings"

// What mkdocs.yml may name without a warning. Plugins that only matter to a
// live MkDocs (search is built in here, techdocs-core is what this package
// emulates) are accepted; any other plugin changes output in ways we do not
// reproduce, so the author is told it was ignored.
var supportedPlugins = map[string]bool{
	"search":        true,
	"techdocs-core": true,
}

// supportedExtensions are rendered natively (see newMarkdown). techdocs-core
// turns these on regardless of mkdocs.yml, so naming them is harmless.
var supportedExtensions = map[string]bool{
	"toc": true, "tables": true, "fenced_code": true, "admonition": true, "attr_list": true,
	"def_list": true, "footnotes": true, "abbr": true, "md_in_html": true, "extra": true,
	"meta": true, "codehilite": true, "sane_lists": true, "smarty": false,
	"pymdownx.details": true, "pymdownx.superfences": true, "pymdownx.tabbed": true,
	"pymdownx.tasklist": true, "pymdownx.emoji": true, "pymdownx.highlight": true,
	"pymdownx.extra": true, "pymdownx.tilde": true, "pymdownx.magiclink": true,
}

// checkSupport turns unsupported plugins and extensions into warnings.
func (b *builder) checkSupport() {
	for _, p := range b.cfg.Plugins {
		if !supportedPlugins[p.Name] {
			b.warn(Warning{File: b.cfgFile, Line: p.Line, Message: "plugin " + quote(p.Name) + " is not supported by the Rigger TechDocs builder; ignored"})
		}
	}
	for _, e := range b.cfg.Extensions {
		name := strings.TrimPrefix(e.Name, "markdown.extensions.")
		if !supportedExtensions[name] {
			b.warn(Warning{File: b.cfgFile, Line: e.Line, Message: "Markdown extension " + quote(e.Name) + " is not supported by the Rigger TechDocs builder; ignored"})
		}
	}
}
