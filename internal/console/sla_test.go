package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
)

// TestComponentSLATarget sets a component's uptime target on its edit
// screen, shows it there, refuses one with too many decimals beside the
// field (keeping what was typed and the stored target), and clears it.
func TestComponentSLATarget(t *testing.T) {
	e := newTestEnv(t)
	admin := e.newStaff(accounts.Admin)
	comp, err := e.svc.Components.Create(context.Background(), components.Input{Name: ptr("API")})
	if err != nil {
		t.Fatal(err)
	}
	path := "/console/components/" + comp.ID
	form := func(target string) url.Values { return url.Values{"name": {"API"}, "sla_target": {target}} }
	stored := func() *float64 {
		t.Helper()
		c, err := e.svc.Components.Get(context.Background(), comp.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.SLATarget
	}
	field := func() string {
		t.Helper()
		page := string(admin.Get(path).Body)
		i := strings.Index(page, `id="sla_target"`)
		if i < 0 {
			t.Fatalf("the edit screen has no sla_target field: %s", consoletest.Body(admin.Get(path)))
		}
		return page[i : i+strings.Index(page[i:], ">")]
	}

	admin.MustPost(http.StatusSeeOther, path, form("99.95 %"))
	if got := stored(); got == nil || *got != 99.95 {
		t.Fatalf("stored target %v, want 99.95", got)
	}
	if f := field(); !strings.Contains(f, `value="99.95"`) {
		t.Errorf("the field reads %s, want 99.95", f)
	}

	res := admin.Post(path, form("99.9999"))
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("4 decimals: status %d, want 422", res.Status)
	}
	page := string(res.Body)
	if !strings.Contains(page, `value="99.9999" aria-invalid="true"`) || !strings.Contains(page, "at most 3 decimals") {
		t.Errorf("the refused form does not show the value marked and the reason: %s", consoletest.Body(res))
	}
	if got := stored(); got == nil || *got != 99.95 {
		t.Errorf("after a refusal the stored target is %v, want 99.95", got)
	}

	// A target so small it would be stored as 0 (no target) is refused
	// beside the field too, not left to the database's check.
	res = admin.Post(path, form("0.0000000001"))
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("1e-10: status %d, want 422", res.Status)
	}
	if page := string(res.Body); !strings.Contains(page, `value="0.0000000001" aria-invalid="true"`) || !strings.Contains(page, "above 0") {
		t.Errorf("the refused tiny target is not shown marked with the reason: %s", consoletest.Body(res))
	}

	admin.MustPost(http.StatusSeeOther, path, form(""))
	if got := stored(); got != nil {
		t.Errorf("a blank field left the target at %v, want none", *got)
	}
	if f := field(); !strings.Contains(f, `value=""`) {
		t.Errorf("the field reads %s, want it empty", f)
	}
}
