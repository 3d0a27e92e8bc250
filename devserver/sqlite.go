package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// sqliteConfig returns the SQL store config: a file when dbFilename is set,
// otherwise a process-private in-memory database (the sqlite plugin creates
// the schema for in-memory databases on first connect).
func sqliteConfig(dbFilename string) *config.SQL {
	if dbFilename == "" {
		return &config.SQL{
			PluginName: sqliteplugin.PluginName,
			// "shared" lets all services in this process see one database;
			// the random name keeps several servers in one process apart.
			DatabaseName:      "rigger-dev-" + rand.Text(),
			ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
		}
	}
	return &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      dbFilename,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	}
}

// prepareDatabase creates the schema when the database file does not exist
// yet, then creates the namespaces that are missing (with the search
// attributes pre-registered). Existing namespaces are left untouched; search
// attributes added later are registered through the operator API once the
// server runs (see ensureSearchAttributes).
func prepareDatabase(sqlConf *config.SQL, dbFilename, clusterName string, namespaces []string, attrs []searchAttribute) error {
	if dbFilename != "" {
		_, err := os.Stat(dbFilename)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if _, err := os.Stat(filepath.Dir(dbFilename)); err != nil {
				return fmt.Errorf("directory for --db-filename: %w", err)
			}
			if err := sqliteschema.SetupSchema(sqlConf); err != nil {
				return fmt.Errorf("creating SQLite schema in %s: %w", dbFilename, err)
			}
		case err != nil:
			return fmt.Errorf("--db-filename: %w", err)
		}
	}

	saMap := searchAttributeMap(attrs)
	nsConfigs := make([]*sqliteschema.NamespaceConfig, 0, len(namespaces))
	for _, ns := range namespaces {
		c, err := sqliteschema.NewNamespaceConfig(clusterName, ns, false, saMap)
		if err != nil {
			return fmt.Errorf("namespace %q: %w", ns, err)
		}
		nsConfigs = append(nsConfigs, c)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, nsConfigs...); err != nil {
		return fmt.Errorf("creating namespaces: %w", err)
	}
	return nil
}
