package pgsql

import "testing"

// SQLite's placeholders become PostgreSQL's, numbered as SQLite numbers
// them, and nothing inside quotes, comments or dollar quotes moves.
func TestRebind(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"none", `SELECT 1`, `SELECT 1`},
		{"bare", `SELECT ? , ?,?`, `SELECT $1 , $2,$3`},
		{"numbered", `SELECT ?1, ?2, ?1`, `SELECT $1, $2, $1`},
		{"bare after numbered takes the largest plus one", `SELECT ?3, ?, ?1, ?`, `SELECT $3, $4, $1, $5`},
		{"numbered many digits", `VALUES (?10, ?)`, `VALUES ($10, $11)`},
		{"string literal", `SELECT 'a?b', ?`, `SELECT 'a?b', $1`},
		{"doubled quote in literal", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{"quoted identifier", `SELECT "col?" FROM t WHERE x = ?`, `SELECT "col?" FROM t WHERE x = $1`},
		{"line comment", "SELECT ? -- is it ?\n, ?", "SELECT $1 -- is it ?\n, $2"},
		{"line comment at the end", "SELECT ? -- why?", "SELECT $1 -- why?"},
		{"block comment", `SELECT /* ? /* nested ? */ still ? */ ?`, `SELECT /* ? /* nested ? */ still ? */ $1`},
		{"dollar quote", `SELECT $$ ? $$, ?`, `SELECT $$ ? $$, $1`},
		{"tagged dollar quote", `SELECT $f$ $$ ? $f$, ?`, `SELECT $f$ $$ ? $f$, $1`},
		{"hand-written positional", `SELECT $1, ?2`, `SELECT $1, $2`},
		{"dollar inside a word", `SELECT a$b$c, ?`, `SELECT a$b$c, $1`},
		{"unterminated literal", `SELECT '?`, `SELECT '?`},
		{"cast", `SELECT ?::text`, `SELECT $1::text`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rebind(c.in); got != c.want {
				t.Errorf("rebind(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if got := Rebind(c.in); got != c.want {
				t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func BenchmarkRebind(b *testing.B) {
	q := `UPDATE deliveries SET state = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND claimed_by = ?`
	for b.Loop() {
		Rebind(q)
	}
}
