package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRunREADMEMetrics runs the README's Metrics example against a real
// `beacon serve`, as a reader would paste it with $PAGE_ID and $KEY set and
// the server's address for https://status.example.com: it creates a
// provider and a displayed metric, pushes one point and two in bulk, and
// resets the metric, each answered as the README says.
func TestRunREADMEMetrics(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's Metrics example needs %s: %v", tool, err)
		}
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Metrics\n")
	if !ok {
		t.Fatal(`README.md has no "## Metrics" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, script, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("the Metrics section has no sh block")
	}
	script, _, _ = strings.Cut(script, "```")

	dir := t.TempDir()
	key := procAPIKey(t, dir)
	s := procStart(t, dir)
	s.login(key)
	script = strings.ReplaceAll(script, "https://status.example.com", "http://"+s.addr)
	// Each answer on its own line, with the ids the script learnt.
	script += "\necho\necho \"$PROVIDER $METRIC\"\n"

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "\ncurl", "\necho\ncurl"))
	cmd.Env = append(os.Environ(), "PAGE_ID="+s.pageID, "KEY="+key)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's Metrics example failed: %v\n%s\n%s", err, out, s.log)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4 {
		t.Fatalf("the example printed %d lines, want 3 answers and the ids:\n%s", len(lines), out)
	}
	ids := strings.Fields(lines[3])
	if len(ids) != 2 {
		t.Fatalf("the ids line %q", lines[3])
	}
	provider, metric := ids[0], ids[1]
	if !strings.HasPrefix(lines[0], `{"data":{"timestamp":`) || !strings.Contains(lines[0], `"value":182}`) {
		t.Errorf("the point was answered %s", lines[0])
	}
	if !strings.HasPrefix(lines[1], `{"`+metric+`":[{"timestamp":`) || !strings.Contains(lines[1], `"value":190}`) {
		t.Errorf("the bulk push was answered %s", lines[1])
	}
	if !strings.Contains(lines[2], `"id":"`+metric+`"`) {
		t.Errorf("the reset was answered %s", lines[2])
	}
	var m map[string]any
	s.api(200, "GET", "/metrics/"+metric, nil, &m)
	if m["name"] != "API response time" || m["metrics_provider_id"] != provider || m["display"] != true || m["suffix"] != "ms" {
		t.Errorf("the metric made by the example: %v", m)
	}
}
