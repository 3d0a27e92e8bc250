package techdocs

import (
	"strings"
	"testing"
)

func TestParseConfigTagsAndNav(t *testing.T) {
	yml := `
site_name: !ENV [SITE, "Fallback"]
site_description: !ENV DESC
docs_dir: !relative docs
repo_url: https://github.com/acme/docs
edit_uri: edit/main/docs
markdown_extensions:
  - toc:
      permalink: true
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
  - unknown_ext
plugins:
  - techdocs-core
  - monorepo
nav:
  - index.md
  - Guide:
    - Intro: guide/intro.md
    - External: https://example.com
  - Custom: !custom guide/other.md
`
	cfg, warns, err := parseConfig([]byte(yml), "mkdocs.yml", map[string]string{"DESC": "from env"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if cfg.SiteName != "Fallback" || cfg.SiteDescription != "from env" || cfg.DocsDir != "docs" || cfg.EditURI != "edit/main/docs" {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.Extensions) != 3 || cfg.Extensions[2].Name != "unknown_ext" || cfg.Extensions[2].Line != 13 {
		t.Errorf("extensions = %+v", cfg.Extensions)
	}
	if len(cfg.Nav) != 3 || !cfg.Nav[1].Section || cfg.Nav[1].Children[1].Target != "https://example.com" || cfg.Nav[2].Target != "guide/other.md" {
		t.Errorf("nav = %+v", cfg.Nav)
	}
}

func TestParseConfigEnvIsNotProcessEnv(t *testing.T) {
	t.Setenv("RIGGER_SECRET", "s3cr3t")
	cfg, _, err := parseConfig([]byte("site_name: !ENV RIGGER_SECRET\n"), "mkdocs.yml", nil)
	if err != nil || cfg.SiteName != "" {
		t.Errorf("!ENV read the process environment: %q %v", cfg.SiteName, err)
	}
}

func TestParseConfigMalformed(t *testing.T) {
	for _, in := range []string{"", "- a\n- b\n", "nav: 3\n", "site_name: [unclosed", "a: &x [*x]\n", "nav:\n  - {a: {b: c}}\n"} {
		_, _, err := parseConfig([]byte(in), "mkdocs.yml", nil)
		if strings.Contains(in, "unclosed") != (err != nil) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestEditURL(t *testing.T) {
	for _, c := range []struct {
		cfg  config
		want string
	}{
		{config{RepoURL: "https://github.com/backstage/mkdocs-techdocs-core", EditURI: "edit/main/test-fixtures/docs", EditURISet: true},
			"https://github.com/backstage/mkdocs-techdocs-core/edit/main/test-fixtures/docs/a/b.md"},
		{config{RepoURL: "https://github.com/mkdocs/mkdocs/"}, "https://github.com/mkdocs/mkdocs/edit/master/docs/a/b.md"},
		{config{RepoURL: "https://git.example.com/x"}, ""},
		{config{RepoURL: "https://github.com/x/y", EditURISet: true}, ""},
		{config{RepoURL: "https://gitlab.com/x/y", EditURI: "/x/y/-/edit/main/docs/", EditURISet: true}, "https://gitlab.com/x/y/-/edit/main/docs/a/b.md"},
	} {
		if got := editURL(c.cfg, "docs", "a/b.md"); got != c.want {
			t.Errorf("editURL(%+v) = %q, want %q", c.cfg, got, c.want)
		}
	}
}

func TestRelURL(t *testing.T) {
	for _, c := range []struct{ to, from, want string }{
		{"", "", "./"},
		{"a/", "", "a/"},
		{"", "a/b/", "../../"},
		{"a/c/", "a/b/", "../c/"},
		{"a/b/", "a/b/", "./"},
		{"img/x y.png", "a/", "../img/x%20y.png"},
		{"a/img.png", "a/", "img.png"},
		{"a", "a/", "../a"},
	} {
		if got := relURL(c.to, c.from); got != c.want {
			t.Errorf("relURL(%q, %q) = %q, want %q", c.to, c.from, got, c.want)
		}
	}
}

func TestPageURL(t *testing.T) {
	for src, want := range map[string]string{
		"index.md": "index.html", "README.md": "index.html", "a/b.md": "a/b/index.html",
		"a/index.md": "a/index.html", "a/README.md": "a/index.html", "x.markdown": "x/index.html",
	} {
		if _, got := pageURL(src); got != want {
			t.Errorf("pageURL(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Hello World": "hello-world", "  a -- b  ": "a-b", "Ünïcödé Tëxt": "unicode-text",
		"C++ & Go!": "c-go", "a_b c": "a_b-c", "日本語": "", "foo-": "foo-",
	} {
		if got := slugify(in); got != want {
			t.Errorf("slugify(%q) = %q, want %q", in, got, want)
		}
	}
	ids := idSet{}
	var got []string
	for _, id := range []string{"foo", "foo", "foo_1", "", ""} {
		got = append(got, ids.unique(id))
	}
	if strings.Join(got, ",") != "foo,foo_1,foo_2,_1,_2" {
		t.Errorf("unique ids = %v", got)
	}
}
