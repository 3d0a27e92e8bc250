package scaffold

import (
	"context"
	"path"
	"strings"
)

// The fs actions change the workspace in place.

func fsRename() *Action {
	return &Action{
		ID:          "fs:rename",
		Description: "Renames files and directories in the workspace.",
		Input: obj([]string{"files"}, map[string]any{
			"files": map[string]any{"type": "array", "title": "Files to rename", "items": obj([]string{"from", "to"}, map[string]any{
				"from":      str("The source path"),
				"to":        str("The destination path"),
				"overwrite": boolean("Replace an existing destination"),
			})},
		}),
		Output: obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			files, _ := x.Input["files"].([]any)
			for _, f := range files {
				m, _ := f.(map[string]any)
				from, _ := m["from"].(string)
				to, _ := m["to"].(string)
				overwrite, _ := m["overwrite"].(bool)
				if from == "" || to == "" {
					return invalidf("each file needs from and to")
				}
				if err := x.WS.Rename(from, to, overwrite); err != nil {
					return invalidf("rename %s to %s: %v", from, to, err)
				}
				x.Changed = true
				x.Logf("Renamed %s to %s", from, to)
			}
			return nil
		},
	}
}

func fsDelete() *Action {
	return &Action{
		ID:          "fs:delete",
		Description: "Deletes files and directories (glob patterns) from the workspace.",
		Input:       obj([]string{"files"}, map[string]any{"files": strList("Paths or globs to delete")}),
		Output:      obj(nil, map[string]any{}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			for _, pattern := range x.Strings("files") {
				matches, err := x.WS.Glob(pattern)
				if err != nil {
					return invalidf("%v", err)
				}
				for _, m := range matches {
					if _, err := x.WS.Remove(m); err != nil {
						return invalidf("%v", err)
					}
					x.Changed = true
				}
				x.Logf("Deleted %d entries matching %s", len(matches), pattern)
			}
			return nil
		},
	}
}

func fsReaddir() *Action {
	entry := obj(nil, map[string]any{"name": str("Base name"), "path": str("Path relative to the workspace"), "fullPath": str("Path inside the workspace root")})
	return &Action{
		ID:          "fs:readdir",
		Description: "Lists the files and directories of workspace paths.",
		Input: obj([]string{"paths"}, map[string]any{
			"paths":     strList("Paths to list"),
			"recursive": boolean("List subdirectories too"),
		}),
		Output: obj(nil, map[string]any{
			"files":   map[string]any{"type": "array", "items": entry},
			"folders": map[string]any{"type": "array", "items": entry},
		}),
		Run: func(ctx context.Context, a *Activities, x *Exec) error {
			files, folders := []any{}, []any{}
			recursive := x.Bool("recursive")
			for _, p := range x.Strings("paths") {
				dir, err := clean(p)
				if err != nil {
					return invalidf("%v", err)
				}
				if !x.WS.IsDir(dir) {
					return invalidf("%s is not a directory in the workspace", p)
				}
				for _, e := range x.WS.Entries() {
					rel := e.Path
					if dir != "." {
						var ok bool
						if rel, ok = strings.CutPrefix(e.Path, dir+"/"); !ok {
							continue
						}
					}
					if !recursive && strings.Contains(rel, "/") {
						continue
					}
					item := map[string]any{"name": path.Base(e.Path), "path": rel, "fullPath": "/workspace/" + e.Path}
					if e.Dir {
						folders = append(folders, item)
					} else {
						files = append(files, item)
					}
				}
			}
			x.Output = map[string]any{"files": files, "folders": folders}
			x.Logf("Listed %d files and %d folders", len(files), len(folders))
			return nil
		},
	}
}
