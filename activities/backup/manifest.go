package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rigger-platform/rigger/activities/storage"
)

// Names inside a backup's directory.
const (
	manifestFile     = "manifest.json"
	schemaFile       = "schema.json"
	controlPlaneFile = "controlplane.json"
)

// Format and algorithm identifiers written into every manifest; a restore
// refuses a manifest with other values rather than misread it.
const (
	ManifestFormat    = 1
	DataFormat        = "copy-text+zstd"
	ChecksumAlgorithm = "rowsum-sha256-v1"
)

// Manifest describes one complete backup.
type Manifest struct {
	Format   int    `json:"format"`
	Tenant   string `json:"tenant"`
	BackupID string `json:"backupId"`
	Schema   string `json:"schema"` // the source schema
	// TakenAt is the time the backup stands for (the schedule's time).
	TakenAt time.Time `json:"takenAt"`
	// SnapshotAt is the server's clock when the snapshot was taken: the age
	// of the data, which is what an RPO measures.
	SnapshotAt time.Time `json:"snapshotAt"`
	FinishedAt time.Time `json:"finishedAt"`
	SnapshotID string    `json:"snapshotId"`
	// SourceLSN is the WAL insert position just after the snapshot.
	SourceLSN         string          `json:"sourceLsn"`
	ServerVersion     string          `json:"serverVersion"`
	DataFormat        string          `json:"dataFormat"`
	ChecksumAlgorithm string          `json:"checksumAlgorithm"`
	Tables            []TableEntry    `json:"tables"`
	Sequences         []SequenceEntry `json:"sequences"`
	Files             []FileEntry     `json:"files"`
	// DataBytes is the uncompressed size of all COPY data; Bytes the stored
	// size of all files but the manifest.
	DataBytes int64 `json:"dataBytes"`
	Bytes     int64 `json:"bytes"`
}

// TableEntry is one table's data.
type TableEntry struct {
	Name      string   `json:"name"`
	Columns   []string `json:"columns"` // copied columns, in COPY order (generated ones excluded)
	Rows      int64    `json:"rows"`
	Checksum  string   `json:"checksum"` // hex, see ChecksumAlgorithm
	File      string   `json:"file"`
	DataBytes int64    `json:"dataBytes"`
}

// SequenceEntry is a sequence's state, restored with setval.
type SequenceEntry struct {
	Name      string `json:"name"`
	LastValue int64  `json:"lastValue"`
	IsCalled  bool   `json:"isCalled"`
}

// FileEntry is one stored file, relative to the backup's directory.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func (m *Manifest) file(name string) (FileEntry, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return FileEntry{}, false
}

// readManifest loads a backup's manifest: storage.ErrNotFound (wrapped) when
// the backup is absent or incomplete, BackupCorrupt when it does not parse or
// belongs to another backup.
func readManifest(ctx context.Context, st storage.Store, slug, id string) (Manifest, error) {
	body, err := readAll(ctx, st, backupDir(id)+manifestFile)
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return Manifest{}, corruptf("manifest of %s does not parse: %v", id, err)
	}
	if m.Tenant != slug || m.BackupID != id {
		return Manifest{}, corruptf("manifest at %s names tenant %q backup %q", id, m.Tenant, m.BackupID)
	}
	if m.Format != ManifestFormat || m.DataFormat != DataFormat || m.ChecksumAlgorithm != ChecksumAlgorithm {
		return Manifest{}, nonRetryable(ErrTypeUnsupported, fmt.Errorf("backup %s has format %d/%s/%s; this worker reads %d/%s/%s",
			id, m.Format, m.DataFormat, m.ChecksumAlgorithm, ManifestFormat, DataFormat, ChecksumAlgorithm))
	}
	return m, nil
}

// loadManifest is readManifest for callers that need the backup to exist.
func loadManifest(ctx context.Context, st storage.Store, slug, id string) (Manifest, error) {
	m, err := readManifest(ctx, st, slug, id)
	if errors.Is(err, storage.ErrNotFound) {
		return m, nonRetryable(ErrTypeNotFound, fmt.Errorf("backup %s of tenant %s does not exist or is incomplete (no manifest)", id, slug))
	}
	return m, classify(phaseRestore, err)
}

// readVerified reads a small file of the backup and checks it against the
// manifest before anyone uses it.
func readVerified(ctx context.Context, st storage.Store, m *Manifest, name string) ([]byte, error) {
	want, ok := m.file(name)
	if !ok {
		return nil, corruptf("manifest of %s lists no %s", m.BackupID, name)
	}
	body, err := readAll(ctx, st, backupDir(m.BackupID)+name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, corruptf("%s of backup %s is missing", name, m.BackupID)
	}
	if err != nil {
		return nil, classify(phaseRestore, err)
	}
	sum := sha256.Sum256(body)
	if int64(len(body)) != want.Size || hex.EncodeToString(sum[:]) != want.SHA256 {
		return nil, corruptf("%s of backup %s does not match its SHA-256 or size", name, m.BackupID)
	}
	return body, nil
}

// putJSON stores v as an indented JSON object and describes the file.
func putJSON(ctx context.Context, st storage.Store, dir, name string, v any) (FileEntry, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // for people reading it: "<>" rather than "\u003c\u003e"
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return FileEntry{}, err
	}
	body := buf.Bytes()
	if err := st.Put(ctx, dir+name, bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		return FileEntry{}, err
	}
	sum := sha256.Sum256(body)
	return FileEntry{Name: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}, nil
}

func readAll(ctx context.Context, st storage.Store, key string) ([]byte, error) {
	r, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
