package scaffolder

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// PathError is a path that would leave its root: a skeleton url outside the
// template's location, a target outside the workspace, a symlink.
type PathError struct {
	Path string
	Msg  string
}

func (e *PathError) Error() string { return fmt.Sprintf("path %q: %s", e.Path, e.Msg) }

// RemoteURLError says a fetch url is remote (https://...): the action must
// fetch it (e.g. clone the repository) and render from that copy instead.
type RemoteURLError struct{ URL string }

func (e *RemoteURLError) Error() string {
	return fmt.Sprintf("url %q is remote: fetch it before rendering", e.URL)
}

// IsRemoteURL reports whether a fetch url names a remote location.
func IsRemoteURL(u string) bool {
	i := strings.Index(u, "://")
	if i <= 0 {
		return false
	}
	for _, c := range u[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// ResolveLocal resolves a fetch url relative to the template file, inside the
// template's location (the fs.FS root): "./skeleton" next to the template,
// "../../../skeletons/x" elsewhere in the same repository. It refuses
// absolute paths and anything that climbs out of the root, and returns a
// *RemoteURLError for remote urls.
func ResolveLocal(templatePath, u string) (string, error) {
	if IsRemoteURL(u) {
		return "", &RemoteURLError{URL: u}
	}
	if u == "" {
		return "", &PathError{Path: u, Msg: "empty url"}
	}
	if strings.HasPrefix(u, "/") || strings.HasPrefix(u, `\`) || (len(u) > 1 && u[1] == ':') {
		return "", &PathError{Path: u, Msg: "absolute paths are not allowed; use a path relative to the template"}
	}
	if strings.ContainsRune(u, 0) {
		return "", &PathError{Path: u, Msg: "contains a NUL byte"}
	}
	p := path.Join(path.Dir(templatePath), strings.ReplaceAll(u, `\`, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", &PathError{Path: u, Msg: "escapes the template's location"}
	}
	return p, nil
}

// SafeJoin joins rel under base (both slash paths relative to a workspace),
// refusing absolute paths and results outside base, like Backstage's
// resolveSafeChildPath.
func SafeJoin(base, rel string) (string, error) {
	rel = strings.ReplaceAll(rel, `\`, "/")
	if strings.HasPrefix(rel, "/") || (len(rel) > 1 && rel[1] == ':') {
		return "", &PathError{Path: rel, Msg: "absolute paths are not allowed"}
	}
	if strings.ContainsRune(rel, 0) {
		return "", &PathError{Path: rel, Msg: "contains a NUL byte"}
	}
	joined := path.Join(base, rel)
	cleanBase := path.Clean(base)
	if cleanBase == "." {
		if joined == ".." || strings.HasPrefix(joined, "../") {
			return "", &PathError{Path: rel, Msg: "refers to a directory outside the workspace"}
		}
		return joined, nil
	}
	if joined != cleanBase && !strings.HasPrefix(joined, cleanBase+"/") {
		return "", &PathError{Path: rel, Msg: "refers to a directory outside its parent"}
	}
	return joined, nil
}

// checkNoSymlinks refuses a path in src whose components include a symlink,
// so a skeleton cannot reach outside its location through a link. An fs.FS
// that cannot report links (no fs.ReadLinkFS) cannot contain any.
func checkNoSymlinks(src fs.FS, p string) error {
	if _, ok := src.(fs.ReadLinkFS); !ok || p == "." {
		return nil
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fi, err := fs.Lstat(src, sub)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // reported by the caller as missing
			}
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &PathError{Path: sub, Msg: "is a symbolic link; links are refused in skeletons"}
		}
	}
	return nil
}
