package backup

import (
	"math/rand/v2"
	"testing"
)

func digestOf(t *testing.T, chunks ...string) (string, int64) {
	t.Helper()
	d := &rowDigest{}
	for _, c := range chunks {
		d.Write([]byte(c))
	}
	sum, err := d.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return sum, d.rows
}

func TestRowDigest(t *testing.T) {
	base, rows := digestOf(t, "a\t1\n", "b\t2\n", "\\N\t3\n")
	if rows != 3 {
		t.Fatalf("rows %d", rows)
	}
	// Order of rows and where the stream is cut do not matter.
	if s, _ := digestOf(t, "\\N\t3\nb", "\t2", "\na\t1\n"); s != base {
		t.Error("reordered rows or cut differently: different sum")
	}
	// Content does; so do duplicates (a sum, not an XOR that cancels them).
	for _, other := range [][]string{
		{"a\t1\n", "b\t2\n", "\\N\t4\n"},
		{"a\t1\n", "b\t2\n"},
		{"a\t1\n", "b\t2\n", "\\N\t3\n", "a\t1\n", "a\t1\n"},
	} {
		if s, _ := digestOf(t, other...); s == base {
			t.Errorf("%q has the same sum", other)
		}
	}
	if s, n := digestOf(t); n != 0 || s != "0000000000000000000000000000000000000000000000000000000000000000" {
		t.Errorf("empty: %s %d", s, n)
	}
	d := &rowDigest{}
	d.Write([]byte("a\t1\nunfinished"))
	if _, err := d.Sum(); err == nil {
		t.Error("a stream ending inside a row was accepted")
	}
}

// TestRowDigestCarry: the 256-bit sum carries across limbs, so many rows
// still give an order-independent result.
func TestRowDigestCarry(t *testing.T) {
	var lines []string
	for i := range 2000 {
		lines = append(lines, string(rune('a'+i%26))+string(rune('A'+i%23))+"\n")
	}
	want, _ := digestOf(t, lines...)
	rand.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	if got, _ := digestOf(t, lines...); got != want {
		t.Fatal("shuffled rows give another sum")
	}
}

func TestScratchSchema(t *testing.T) {
	long := "a-very-long-tenant-slug-of-forty-chars-x"
	for _, c := range []struct{ kind, slug, run, want string }{
		{"drill", "acme", "2026-11-08", "drill_acme_2026_11_08"},
		{"restore", "my-team", "Req42", "restore_my_team_req42"},
		{"anything", "acme", "x", "drill_acme_x"},
	} {
		if got := ScratchSchema(c.kind, c.slug, c.run); got != c.want {
			t.Errorf("ScratchSchema(%q, %q, %q) = %q, want %q", c.kind, c.slug, c.run, got, c.want)
		}
	}
	a, b := ScratchSchema("restore", long, "run-000001"), ScratchSchema("restore", long, "run-000002")
	if a == b || checkScratch(a) != nil || checkScratch(b) != nil || len("replaced_"+a[len("restore_"):]) > 63 {
		t.Errorf("long names %q %q", a, b)
	}
}
