package chars

import "testing"

// TestCSVCell: a cell a spreadsheet would run as a formula is guarded,
// and CSVUncell gives back every value CSVCell wrote.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "a@b.com": "a@b.com", "=1+1": "'=1+1", "+1555": "'+1555", "-2": "'-2",
		"@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx", "'=x": "''=x", "'a": "''a", "a=b": "a=b"} {
		got := CSVCell(in)
		if got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
		if back := CSVUncell(got); back != in {
			t.Errorf("CSVUncell(%q) = %q, want %q", got, back, in)
		}
	}
}
