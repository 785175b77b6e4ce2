package public

import (
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/settings"
)

// TestRenderEmbedScriptPlaceholder guards the one placeholder the server
// fills: without it the config would silently not reach the script.
func TestRenderEmbedScriptPlaceholder(t *testing.T) {
	out, err := renderEmbedScript(settings.DefaultEmbed())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), embedConfigMark) {
		t.Error("the placeholder is still in the rendered script")
	}
}
