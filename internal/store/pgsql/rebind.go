// Package pgsql rewrites the SQL text Beacon writes for SQLite into
// PostgreSQL's: the placeholders of every query (Rebind) and the types of
// the migrations' tables (Translate). It is text in, text out; the store
// decides when to use it.
package pgsql

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// rebound keeps rebind's results by query text: the queries are the
// same few hundred strings, run again and again. Past maxRebound entries
// (a query built with a varying number of placeholders, say) the rest are
// rewritten each time rather than kept.
var (
	rebound      sync.Map
	reboundCount atomic.Int64
)

const maxRebound = 10000

// Rebind rewrites the placeholders of query to PostgreSQL's, numbered as
// SQLite numbers them: `?N` is parameter N, a bare `?` the largest number
// used so far plus one. Quoted strings and identifiers, comments and
// dollar-quoted bodies are left alone. Results are kept by query text.
func Rebind(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	q := rebind(query)
	if reboundCount.Load() < maxRebound {
		if _, loaded := rebound.LoadOrStore(query, q); !loaded {
			reboundCount.Add(1)
		}
	}
	return q
}

// rebind is Rebind without the cache.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	highest := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			n := quotedEnd(query, i, c)
			b.WriteString(query[i:n])
			i = n
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			n := strings.IndexByte(query[i:], '\n')
			if n < 0 {
				n = len(query) - i
			}
			b.WriteString(query[i : i+n])
			i += n
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			n := blockCommentEnd(query, i)
			b.WriteString(query[i:n])
			i = n
		case c == '$' && (i == 0 || !isWordByte(query[i-1])):
			n := dollarQuotedEnd(query, i)
			b.WriteString(query[i:n])
			i = n
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := highest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			highest = max(highest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// quotedEnd returns the index after the literal or identifier that opens
// at query[start] with quote q; a doubled quote stands for itself.
func quotedEnd(query string, start int, q byte) int {
	for i := start + 1; i < len(query); i++ {
		if query[i] == q {
			if i+1 < len(query) && query[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(query)
}

// blockCommentEnd returns the index after the /* comment */ at start,
// nested as PostgreSQL nests them.
func blockCommentEnd(query string, start int) int {
	depth := 0
	for i := start; i+1 < len(query); i++ {
		switch query[i : i+2] {
		case "/*":
			depth++
			i++
		case "*/":
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(query)
}

// dollarQuotedEnd returns the index after the $tag$…$tag$ body at start,
// or start+1 when the $ opens none (a positional $1 written by hand).
func dollarQuotedEnd(query string, start int) int {
	j := start + 1
	for j < len(query) && isWordByte(query[j]) && !(j == start+1 && query[j] >= '0' && query[j] <= '9') {
		j++
	}
	if j >= len(query) || query[j] != '$' {
		return start + 1
	}
	tag := query[start : j+1]
	end := strings.Index(query[j+1:], tag)
	if end < 0 {
		return len(query)
	}
	return j + 1 + end + len(tag)
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
