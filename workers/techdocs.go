package workers

import (
	"github.com/rigger-platform/rigger/activities/storage"
	techdocsacts "github.com/rigger-platform/rigger/activities/techdocs"
	"github.com/rigger-platform/rigger/internal/config"
)

// TechDocsGitAccess is the git access of TechDocs builds from config; the
// API uses the same to check and resolve the sources it accepts.
func TechDocsGitAccess(cfg config.Config) techdocsacts.GitAccess {
	return techdocsacts.GitAccess{
		AllowedPrefixes: cfg.TechDocsGitAllowed,
		Username:        cfg.TechDocsGitUsername,
		Token:           cfg.TechDocsGitToken,
		MaxBytes:        int64(cfg.TechDocsMaxSourceMB) << 20,
	}
}

// StorageConfig is the object store configuration from config, for
// processes other than the worker that open the same store (the API serves
// TechDocs sites from it).
func StorageConfig(cfg config.Config) storage.Config {
	return storage.Config{
		Backend: cfg.StorageBackend, Dir: cfg.StorageDir, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, Bucket: cfg.S3Bucket,
		AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, PathStyle: cfg.S3PathStyle, Insecure: cfg.S3Insecure,
	}
}
