package chars

import "strings"

// CSVCell guards a text cell of a CSV file against formula injection: a
// spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
// return) as a formula, so such a cell gets a leading apostrophe, which
// shows it as text (OWASP's advice). A cell that already starts with an
// apostrophe gets one too, so that CSVUncell gives back exactly what was
// guarded.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSVUncell undoes CSVCell: it drops one leading apostrophe.
func CSVUncell(s string) string { return strings.TrimPrefix(s, "'") }
