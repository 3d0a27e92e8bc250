package scaffold

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing/fstest"

	"github.com/rigger-platform/rigger/activities/storage"
)

// DraftsPrefix is where the AI assistant commits approved templates in a
// tenant's storage (templates/<name>/template.yaml). Every tenant has this
// location implicitly, after its configured ones, so an approved draft can
// be run by name. Committed drafts are never overwritten with different
// content, so re-reading the prefix during a run sees the same files.
const DraftsPrefix = "templates/"

// maxDraftBytes bounds what one drafts location may hold.
const maxDraftBytes = 16 << 20

// openDrafts reads the tenant's committed drafts into a read-only FS.
func (t *Templates) openDrafts(ctx context.Context, tenant string) (fs.FS, error) {
	if t.Objects == nil {
		return fstest.MapFS{}, nil
	}
	scoped := storage.Scoped(t.Objects, tenant)
	objs, err := scoped.List(ctx, DraftsPrefix)
	if err != nil {
		return nil, err
	}
	files := fstest.MapFS{}
	var total int64
	for _, o := range objs {
		total += o.Size
		if total > maxDraftBytes {
			return nil, errors.New("the tenant's committed templates exceed 16 MiB")
		}
		r, err := scoped.Get(ctx, o.Key)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(r, maxDraftBytes))
		r.Close()
		if err != nil {
			return nil, err
		}
		files[strings.TrimPrefix(o.Key, DraftsPrefix)] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return files, nil
}
