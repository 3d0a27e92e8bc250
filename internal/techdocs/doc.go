// Package techdocs builds a TechDocs site natively: it reads a directory with
// an mkdocs.yml and its docs_dir, renders the Markdown the way Python-Markdown
// with mkdocs-techdocs-core's extensions does, and writes the files that
// MkDocs + techdocs-core would write and that Backstage's TechDocs reader (in
// "external builder" mode) reads: one index.html per page, 404.html,
// sitemap.xml, search/search_index.json, techdocs_metadata.json and the
// copied assets.
//
// The package has no Temporal, network or process-environment access on
// purpose: it is the pure core that the TechDocs workflow's build activity and
// the offline `rigger techdocs build` command share. Everything that varies
// between runs (clock, !ENV values, etag) comes in through Options, so the
// same input gives byte-identical output.
package techdocs
