// Package techdocs holds the TechDocs workflow's activities: fetch a source
// (a git clone at a commit, or a folder under a configured root), build it
// with internal/techdocs into a staging prefix of the tenant's storage,
// publish it to the entity's prefix without ever exposing half a site,
// record the build and meter its minutes.
package techdocs

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Entity is a Backstage entity reference, lower-cased as Backstage's
// publishers store sites.
type Entity struct {
	Namespace string
	Kind      string
	Name      string
}

var (
	entityPartRE = regexp.MustCompile(`^[a-z0-9]+(?:[-_.][a-z0-9]+)*$`)
	kindRE       = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// ParseEntity accepts "namespace/kind/name" (any case; Backstage compares
// references case-insensitively) and returns it lower-cased.
func ParseEntity(ref string) (Entity, error) {
	parts := strings.Split(ref, "/")
	if len(parts) != 3 {
		return Entity{}, fmt.Errorf("entity %q must be namespace/kind/name, e.g. default/component/payments", ref)
	}
	return NewEntity(parts[0], parts[1], parts[2])
}

// NewEntity validates and lower-cases the three parts.
func NewEntity(namespace, kind, name string) (Entity, error) {
	e := Entity{strings.ToLower(namespace), strings.ToLower(kind), strings.ToLower(name)}
	switch {
	case len(e.Namespace) > 63 || !entityPartRE.MatchString(e.Namespace):
		return Entity{}, fmt.Errorf("entity namespace %q must be letters and digits separated by single - _ or . (at most 63)", namespace)
	case len(e.Kind) > 63 || !kindRE.MatchString(e.Kind):
		return Entity{}, fmt.Errorf("entity kind %q must be a letter followed by letters, digits or - (at most 63)", kind)
	case len(e.Name) > 63 || !entityPartRE.MatchString(e.Name):
		return Entity{}, fmt.Errorf("entity name %q must be letters and digits separated by single - _ or . (at most 63)", name)
	}
	return e, nil
}

func (e Entity) String() string { return e.Namespace + "/" + e.Kind + "/" + e.Name }

// SitePrefix is where the entity's published site lives inside the tenant's
// storage scope: techdocs/<namespace>/<kind>/<name>/, the layout of
// Backstage's publishers under Rigger's techdocs/ folder, which is also
// where internal/retrieval looks for search indexes.
func SitePrefix(e Entity) string { return "techdocs/" + e.String() + "/" }

// StagingPrefix is where one build's files wait until they are published.
// It is outside techdocs/, so neither the serving routes nor the search
// index loader can see a staged (possibly partial) site.
func StagingPrefix(e Entity, commit string) string {
	return "techdocs-staging/" + e.String() + "/" + commit + "/"
}

// MetadataFile is the file Backstage reads to decide a site exists; it is
// always written last.
const MetadataFile = "techdocs_metadata.json"

// ContentType returns the media type of a site file by extension. It is a
// fixed table rather than mime.TypeByExtension, whose answers depend on the
// host's /etc/mime.types.
func ContentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".xml":
		return "application/xml"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".md":
		return "text/markdown; charset=utf-8"
	case ".yaml", ".yml":
		return "application/yaml"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	case ".ico":
		return "image/x-icon"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".ttf":
		return "font/ttf"
	case ".otf":
		return "font/otf"
	case ".eot":
		return "application/vnd.ms-fontobject"
	case ".pdf":
		return "application/pdf"
	case ".gz":
		return "application/gzip"
	case ".zip":
		return "application/zip"
	case ".mp4":
		return "video/mp4"
	case ".webm":
		return "video/webm"
	case ".mp3":
		return "audio/mpeg"
	case ".wasm":
		return "application/wasm"
	}
	return "application/octet-stream"
}
