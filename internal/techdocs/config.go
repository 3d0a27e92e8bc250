package techdocs

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// config is the part of mkdocs.yml the builder honours. Everything else is
// either irrelevant to a static build (dev_addr, watch, theme palettes) or
// reported as a warning by the plugin/extension checks.
type config struct {
	SiteName        string
	SiteDescription string
	SiteURL         string
	SiteAuthor      string
	Copyright       string
	RepoURL         string
	RepoName        string
	EditURI         string
	EditURISet      bool // an explicit edit_uri, even "", overrides the GitHub/GitLab default
	DocsDir         string
	Nav             []navSpec
	NavSet          bool
	ExcludeDocs     []string
	ExtraCSS        []string
	ExtraJS         []string
	Plugins         []namedEntry
	Extensions      []namedEntry
}

// namedEntry is a plugin or Markdown extension as listed in mkdocs.yml, with
// its line for warnings.
type namedEntry struct {
	Name string
	Line int
}

// navSpec is one nav entry before it is matched against the docs files.
type navSpec struct {
	Title    string // "" when the entry is a bare path
	Target   string // page path, directory or URL; "" for sections
	Children []navSpec
	Section  bool
	Line     int
}

const configFileName = "mkdocs.yml"

// maxYAMLDepth bounds recursion over hostile YAML (deep nesting, alias
// chains) so parsing stays linear in the input.
const maxYAMLDepth = 64

// parseConfig reads mkdocs.yml. Only a document that is not YAML at all is an
// error; wrong types, unknown keys and unknown tags (`!!python/name:...`,
// `!relative`) become warnings or are ignored, as MkDocs' own loader would
// mostly tolerate them.
func parseConfig(data []byte, file string, env map[string]string) (cfg config, warns []Warning, err error) {
	defer func() {
		if r := recover(); r != nil { // a YAML library bug must not take the worker down
			err = fmt.Errorf("%s: unreadable YAML (%v)", file, r)
		}
	}()
	cfg.DocsDir = "docs"
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return cfg, nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return cfg, nil, nil // empty file: all defaults
	}
	root := deref(doc.Content[0], 0)
	if root == nil || root.Kind != yaml.MappingNode {
		return cfg, []Warning{{File: file, Line: doc.Content[0].Line, Message: "mkdocs.yml is not a mapping; using defaults"}}, nil
	}
	p := &cfgParser{file: file, env: env}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1], 0)
		if v == nil {
			continue
		}
		switch k.Value {
		case "site_name":
			cfg.SiteName = p.str(v)
		case "site_description":
			cfg.SiteDescription = p.str(v)
		case "site_url":
			cfg.SiteURL = p.str(v)
		case "site_author":
			cfg.SiteAuthor = p.str(v)
		case "copyright":
			cfg.Copyright = p.str(v)
		case "repo_url":
			cfg.RepoURL = p.str(v)
		case "repo_name":
			cfg.RepoName = p.str(v)
		case "edit_uri":
			cfg.EditURI, cfg.EditURISet = p.str(v), true
		case "docs_dir":
			if s := p.str(v); s != "" {
				cfg.DocsDir = s
			}
		case "nav", "pages": // "pages" is the pre-1.0 name MkDocs still accepted for years
			cfg.Nav, cfg.NavSet = p.nav(v, 0), true
		case "exclude_docs":
			for _, line := range strings.Split(p.str(v), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					cfg.ExcludeDocs = append(cfg.ExcludeDocs, line)
				}
			}
		case "extra_css":
			cfg.ExtraCSS = p.strList(v)
		case "extra_javascript":
			cfg.ExtraJS = p.strList(v)
		case "plugins":
			cfg.Plugins = p.names(v)
		case "markdown_extensions":
			cfg.Extensions = p.names(v)
		case "use_directory_urls":
			if p.str(v) == "false" {
				p.warn(v.Line, "use_directory_urls: false is not supported; TechDocs needs directory URLs, building with them")
			}
		}
	}
	return cfg, p.warns, nil
}

type cfgParser struct {
	file   string
	env    map[string]string
	warns  []Warning
	visits int // nav entries seen; aliases can make a small file a huge tree
}

// maxNavEntries bounds the work an alias-bomb nav (a: &a [*a, *a]) can cause.
const maxNavEntries = 10000

func (p *cfgParser) warn(line int, format string, args ...any) {
	p.warns = append(p.warns, Warning{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// deref follows aliases with a depth bound; nil for cycles or garbage.
func deref(n *yaml.Node, depth int) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if depth > maxYAMLDepth {
			return nil
		}
		n, depth = n.Alias, depth+1
	}
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return deref(n.Content[0], depth+1)
	}
	return n
}

// str returns a scalar's value, resolving `!ENV`; any other tag is ignored
// and the plain value kept (MkDocs configs carry `!!python/name:` tags that
// only mean something to Python).
func (p *cfgParser) str(n *yaml.Node) string {
	n = deref(n, 0)
	if n == nil {
		return ""
	}
	if n.Tag == "!ENV" {
		return p.env1(n)
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// env1 resolves `!ENV NAME` and `!ENV [NAME1, NAME2, default]` the way
// pyyaml-env-tag does: the first variable that is set wins, otherwise the
// last item of a list is the default.
func (p *cfgParser) env1(n *yaml.Node) string {
	var names []string
	switch n.Kind {
	case yaml.ScalarNode:
		names = []string{n.Value}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c = deref(c, 0); c != nil && c.Kind == yaml.ScalarNode {
				names = append(names, c.Value)
			}
		}
	}
	for _, name := range names {
		if v, ok := p.env[name]; ok {
			return v
		}
	}
	if len(names) > 1 {
		return names[len(names)-1]
	}
	return ""
}

func (p *cfgParser) strList(n *yaml.Node) []string {
	n = deref(n, 0)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if s := p.str(n); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if c = deref(c, 0); c != nil && c.Kind == yaml.ScalarNode {
			if s := p.str(c); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// names lists plugins or extensions, which mkdocs.yml writes as a list of
// names, a list of one-key mappings (name: options) or a mapping.
func (p *cfgParser) names(n *yaml.Node) []namedEntry {
	n = deref(n, 0)
	if n == nil {
		return nil
	}
	var out []namedEntry
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			c = deref(c, 0)
			if c == nil {
				continue
			}
			switch c.Kind {
			case yaml.ScalarNode:
				out = append(out, namedEntry{c.Value, c.Line})
			case yaml.MappingNode:
				for i := 0; i < len(c.Content); i += 2 {
					out = append(out, namedEntry{c.Content[i].Value, c.Content[i].Line})
				}
			}
		}
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			out = append(out, namedEntry{n.Content[i].Value, n.Content[i].Line})
		}
	case yaml.ScalarNode:
		if n.Value != "" {
			out = append(out, namedEntry{n.Value, n.Line})
		}
	}
	return out
}

// nav turns the nav list into specs: "page.md", {Title: "page.md"},
// {Title: "https://..."} and {Section: [...]}.
func (p *cfgParser) nav(n *yaml.Node, depth int) []navSpec {
	n = deref(n, depth)
	if n == nil || depth > maxYAMLDepth {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.warn(n.Line, "nav must be a list; ignoring it")
		return nil
	}
	var out []navSpec
	for _, item := range n.Content {
		if p.visits++; p.visits > maxNavEntries {
			if p.visits == maxNavEntries+1 {
				p.warn(item.Line, "nav has more than %d entries; the rest is ignored", maxNavEntries)
			}
			break
		}
		item = deref(item, depth)
		if item == nil {
			continue
		}
		switch item.Kind {
		case yaml.ScalarNode:
			if s := p.str(item); s != "" {
				out = append(out, navSpec{Target: s, Line: item.Line})
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(item.Content); i += 2 {
				title := p.str(item.Content[i])
				v := deref(item.Content[i+1], depth)
				if v == nil {
					continue
				}
				switch v.Kind {
				case yaml.SequenceNode:
					out = append(out, navSpec{Title: title, Section: true, Children: p.nav(v, depth+1), Line: item.Content[i].Line})
				case yaml.ScalarNode:
					out = append(out, navSpec{Title: title, Target: p.str(v), Line: item.Content[i].Line})
				default:
					p.warn(v.Line, "nav entry %q is neither a path, a URL nor a list; skipped", title)
				}
			}
		case yaml.SequenceNode: // an anonymous nested list: keep its entries
			out = append(out, p.nav(item, depth+1)...)
		}
	}
	return out
}
