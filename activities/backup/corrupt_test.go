package backup

import (
	"os"
	"strings"
	"testing"
)

// TestCorruptBackupFailsRestore damages one file at a time in a copy of a
// good backup: every restore must fail with the non-retryable BackupCorrupt
// and leave no scratch schema behind.
func TestCorruptBackupFailsRestore(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	m := e.backup(t, "acme", "good").Manifest
	var accountsFile string
	for _, tb := range m.Tables {
		if tb.Name == "accounts" {
			accountsFile = tb.File
		}
	}
	cases := map[string]func(t *testing.T, id string){
		"flipped byte in data": func(t *testing.T, id string) { flipByte(t, e.file("acme", id, accountsFile)) },
		"truncated data": func(t *testing.T, id string) {
			if err := os.Truncate(e.file("acme", id, accountsFile), 1000); err != nil {
				t.Fatal(err)
			}
		},
		"missing data": func(t *testing.T, id string) {
			if err := os.Remove(e.file("acme", id, accountsFile)); err != nil {
				t.Fatal(err)
			}
		},
		"edited schema.json": func(t *testing.T, id string) {
			path := e.file("acme", id, schemaFile)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(b), "NOT NULL", "NULL", 1)), 0o640)
		},
		"damaged control-plane rows": func(t *testing.T, id string) { flipByte(t, e.file("acme", id, controlPlaneFile)) },
		"garbage manifest": func(t *testing.T, id string) {
			os.WriteFile(e.file("acme", id, manifestFile), []byte("{not json"), 0o640)
		},
	}
	n := 0
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			n++
			id := "bad" + string(rune('a'+n))
			copyDir(t, e.file("acme", "good", ""), e.file("acme", id, ""))
			rewriteManifestID(t, e.file("acme", id, manifestFile), id)
			damage(t, id)
			target := "drill_corrupt_" + id
			_, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: id, TargetSchema: target})
			wantAppErr(t, err, ErrTypeCorrupt)
			if e.schemaExists(t, target) {
				t.Error("a corrupt restore left its schema behind")
			}
		})
	}
	// The good backup is untouched and still restores.
	if _, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "good", TargetSchema: "drill_good"}); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyReportsDifferences: a restore that does not match its backup
// is a finding (OK false, with the problems), not an error.
func TestVerifyReportsDifferences(t *testing.T) {
	e := newEnv(t)
	e.fixture(t, "acme")
	e.backup(t, "acme", "b1")
	if _, err := e.a.RestoreTenant(ctx, RestoreInput{Slug: "acme", BackupID: "b1", TargetSchema: "drill_x"}); err != nil {
		t.Fatal(err)
	}
	e.exec(t, `UPDATE drill_x.accounts SET balance = balance + 0.00000000000000000001 WHERE id = 1`)
	e.exec(t, `DELETE FROM drill_x.events WHERE id = 1`)
	e.exec(t, `DROP TABLE drill_x.empty_table`)
	e.exec(t, `CREATE TABLE drill_x.intruder (a int)`)
	e.exec(t, `SELECT setval('drill_x.invoice_numbers', 5000)`)
	v, err := e.a.VerifyRestore(ctx, VerifyInput{Slug: "acme", BackupID: "b1", Schema: "drill_x"})
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || len(v.Problems) != 5 {
		t.Fatalf("verify %+v", v)
	}
	checks := map[string]TableCheck{}
	for _, c := range v.Tables {
		checks[c.Name] = c
	}
	if c := checks["accounts"]; c.ChecksumOK || c.ActualRows != c.ExpectedRows {
		t.Errorf("accounts %+v", c)
	}
	if c := checks["events"]; c.ChecksumOK || c.ActualRows != 4499 {
		t.Errorf("events %+v", c)
	}
	if c := checks["Weird \"Table\" ñame"]; !c.ChecksumOK {
		t.Errorf("untouched table %+v", c)
	}
	t.Logf("problems: %q", v.Problems)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func rewriteManifestID(t *testing.T, path, id string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), `"backupId": "good"`, `"backupId": "`+id+`"`, 1)), 0o640); err != nil {
		t.Fatal(err)
	}
}
