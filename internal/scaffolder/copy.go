package scaffolder

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// fetch:plain and fetch:plain:file: copies without rendering, with the same
// path checks as skeleton rendering.

// CopyDir copies dir of src to targetPath without rendering (fetch:plain).
func CopyDir(src fs.FS, dir, targetPath string) ([]File, error) {
	if targetPath == "" {
		targetPath = "./"
	}
	outDir, err := SafeJoin(".", targetPath)
	if err != nil {
		return nil, fmt.Errorf("targetPath: %w", err)
	}
	lim := SkeletonLimits{}.withDefaults()
	entries, err := walkSkeleton(src, dir, lim.MaxFiles)
	if err != nil {
		return nil, err
	}
	var total int64
	files := make([]File, 0, len(entries))
	for _, en := range entries {
		outPath, err := SafeJoin(outDir, en.rel)
		if err != nil {
			return nil, err
		}
		if en.dir {
			files = append(files, File{Path: outPath, Dir: true, Mode: fs.ModeDir | 0o755})
			continue
		}
		p := path.Join(dir, en.rel)
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return nil, err
		}
		if total += int64(len(data)); total > lim.MaxTotalBytes {
			return nil, fmt.Errorf("directory larger than %d bytes", lim.MaxTotalBytes)
		}
		mode := fs.FileMode(0o644)
		if fi, err := fs.Stat(src, p); err == nil && fi.Mode().Perm() != 0 {
			mode = fi.Mode().Perm()
		}
		files = append(files, File{Path: outPath, Mode: mode, Data: data})
	}
	return files, nil
}

// CopyFile copies one file to targetPath without rendering (fetch:plain:file).
func CopyFile(src fs.FS, file, targetPath string) (File, error) {
	if targetPath == "" {
		return File{}, errors.New("targetPath is required")
	}
	outPath, err := SafeJoin(".", targetPath)
	if err != nil {
		return File{}, fmt.Errorf("targetPath: %w", err)
	}
	if err := checkRegularFile(src, file); err != nil {
		return File{}, err
	}
	data, err := fs.ReadFile(src, file)
	if err != nil {
		return File{}, err
	}
	return File{Path: outPath, Mode: 0o644, Data: data}, nil
}
