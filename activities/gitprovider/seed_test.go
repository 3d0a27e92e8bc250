package gitprovider

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rigger-platform/rigger/internal/secrets"
)

func TestSeedFiles(t *testing.T) {
	in := acmeInput()
	in.Admins = []string{"bob", "alice", "bob"} // duplicates and the owner again
	files, err := SeedFiles(in, "https://acme.rigger.example.com")
	if err != nil {
		t.Fatal(err)
	}

	// Deterministic: same input, same bytes; list order does not matter.
	in2 := acmeInput()
	in2.Plugins = []string{"catalog", "techdocs"}
	again, _ := SeedFiles(in2, "https://acme.rigger.example.com")
	for p := range files {
		if !bytes.Equal(files[p], again[p]) {
			t.Errorf("%s differs between equivalent inputs", p)
		}
	}

	for p, c := range files {
		if strings.HasSuffix(p, ".yaml") {
			var v map[string]any
			if err := yaml.Unmarshal(c, &v); err != nil {
				t.Errorf("%s is not valid YAML: %v\n%s", p, err, c)
			}
		}
	}

	var cfg struct {
		App struct {
			Title   string `yaml:"title"`
			BaseURL string `yaml:"baseUrl"`
		} `yaml:"app"`
		Backend struct {
			Database struct {
				Client     string            `yaml:"client"`
				Connection map[string]string `yaml:"connection"`
				Knex       struct {
					SearchPath []string `yaml:"searchPath"`
				} `yaml:"knexConfig"`
			} `yaml:"database"`
		} `yaml:"backend"`
	}
	if err := yaml.Unmarshal(files["app-config.yaml"], &cfg); err != nil {
		t.Fatal(err)
	}
	db := cfg.Backend.Database
	if cfg.App.Title != "Acme Corp" || cfg.App.BaseURL != "https://acme.rigger.example.com" || db.Client != "pg" ||
		db.Connection["user"] != "tenant_acme_owner" || db.Connection["password"] != "${POSTGRES_PASSWORD}" ||
		len(db.Knex.SearchPath) != 1 || db.Knex.SearchPath[0] != "tenant_acme" {
		t.Errorf("app-config: %+v", cfg)
	}

	// The secret never lands in Git, only its reference.
	d, _ := secrets.NewDeriver(bytes.Repeat([]byte("k"), 32))
	pw := d.Secret(secrets.Ref(DBPasswordPurpose, "acme"))
	for p, c := range files {
		if bytes.Contains(c, []byte(pw)) {
			t.Errorf("%s contains the database password", p)
		}
	}
	if !bytes.Contains(files["deploy/deployment.yaml"], []byte(`"postgres/acme"`)) {
		t.Error("deployment does not name the password reference")
	}

	wantCSV := "g, user:default/alice, role:default/admins\ng, user:default/bob, role:default/admins\n"
	csv := string(files["rbac-policy.csv"])
	if !strings.HasPrefix(csv, "p, role:default/admins, catalog-entity, read, allow\n") || !strings.HasSuffix(csv, wantCSV) {
		t.Errorf("rbac-policy.csv:\n%s", csv)
	}
	if !bytes.Contains(files["deploy/deployment.yaml"], []byte(`image: "ghcr.io/rigger-platform/backstage:1.2.3"`)) ||
		!bytes.Contains(files["deploy/kustomization.yaml"], []byte("namespace: tenant-acme")) {
		t.Error("deploy manifests lack the image or namespace")
	}
}

// A display name cannot break out of its YAML string.
func TestSeedQuotesUserText(t *testing.T) {
	in := acmeInput()
	in.DisplayName = `Evil" : x # {}[] &*`
	files, err := SeedFiles(in, "https://acme.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		App struct{ Title string } `yaml:"app"`
	}
	if err := yaml.Unmarshal(files["app-config.yaml"], &cfg); err != nil || cfg.App.Title != in.DisplayName {
		t.Fatalf("title %q, err %v", cfg.App.Title, err)
	}
}

func TestMarkers(t *testing.T) {
	for _, tc := range []struct {
		repo Repo
		ok   bool
	}{
		{Repo{Topics: []string{"rigger-tenant-acme"}}, true},
		{Repo{Description: Description("acme")}, true},
		{Repo{Description: Description("acme"), Topics: []string{"rigger-tenant-acme", "backstage"}}, true},
		{Repo{}, false},
		{Repo{Description: "rigger-tenant-acme without parentheses"}, false},
		{Repo{Topics: []string{"rigger-tenant-acme-corp"}}, false},
		{Repo{Description: Description("acme"), Topics: []string{"rigger-tenant-other"}}, false},
	} {
		if err := tc.repo.CheckOwner("acme"); (err == nil) != tc.ok {
			t.Errorf("%+v: CheckOwner = %v", tc.repo, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		h       http.Header
		wait    time.Duration
		limited bool
	}{
		{http.Header{"Retry-After": {"12"}}, 12 * time.Second, false},
		{http.Header{"Retry-After": {now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, 90 * time.Second, false},
		{http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1700000300"}}, 300 * time.Second, true},
		{http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1700000010"}}, 10 * time.Second, true},
		{http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1600000000"}}, 0, true}, // reset in the past
		{http.Header{}, 0, false},
	} {
		wait, limited := retryAfter(tc.h, now)
		if wait != tc.wait || limited != tc.limited {
			t.Errorf("%v: got %v %v, want %v %v", tc.h, wait, limited, tc.wait, tc.limited)
		}
	}
}
