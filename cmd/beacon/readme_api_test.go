package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// readmeV1Row is a row of the README's table of v1 operations:
// | METHOD | `/path/{param}` | notes |.
var readmeV1Row = regexp.MustCompile("^\\| (GET|POST|PUT|PATCH|DELETE) \\| `(/[^`]*)` \\|")

// readmeV1Param is a {param} of a README path, written :param in routes.
var readmeV1Param = regexp.MustCompile(`\{([a-z_]+)\}`)

// readmeV1Operations reads the operations listed in the README's
// "Management API v1" section, as "METHOD path" with Fiber's :params.
func readmeV1Operations(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Management API v1\n")
	if !ok {
		t.Fatal(`README.md has no "## Management API v1" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	out := map[string]int{}
	for _, line := range strings.Split(section, "\n") {
		if m := readmeV1Row.FindStringSubmatch(line); m != nil {
			out[m[1]+" "+readmeV1Param.ReplaceAllString(m[2], ":$1")]++
		}
	}
	return out
}

// TestREADMEListsEveryV1Operation keeps the README's table of v1
// operations and the served routes the same, both ways.
func TestREADMEListsEveryV1Operation(t *testing.T) {
	documented := readmeV1Operations(t)
	served := v1Routes(newTestEnv(t))
	var missing, extra []string
	for op, n := range documented {
		if n > 1 {
			t.Errorf("README lists %s %d times", op, n)
		}
		if !served[op] {
			extra = append(extra, op)
		}
	}
	for op := range served {
		if documented[op] == 0 {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, op := range missing {
		t.Errorf("served but not in README's Management API v1 table: %s", op)
	}
	for _, op := range extra {
		t.Errorf("in README's Management API v1 table but not served: %s", op)
	}
	if len(documented) < 40 {
		t.Errorf("read %d operations from README, want the whole table", len(documented))
	}
}
