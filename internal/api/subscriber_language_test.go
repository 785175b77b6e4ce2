package api_test

import (
	"testing"
)

// A subscriber's language through the API: set on create and update,
// null when it follows the page's, an unknown one refused with 422 and
// nothing changed, and a body naming only language keeping the
// components.
func TestAPISubscriberLanguage(t *testing.T) {
	env := subEnv(t)
	language := func(id string) any {
		t.Helper()
		var got map[string]any
		env.mustAPI(200, "GET", "/subscribers/"+id, nil).JSON(t, &got)
		v, ok := got["language"]
		if !ok {
			t.Fatalf("subscriber %s has no language key: %v", id, got)
		}
		return v
	}
	plain := subCreate(t, env, map[string]any{"email": "plain@example.com"})
	if got := language(plain); got != nil {
		t.Errorf("language of a subscriber created without one = %v, want null", got)
	}
	de := subCreate(t, env, map[string]any{"email": "de@example.com", "language": "de"})
	if got := language(de); got != "de" {
		t.Errorf("language created as de = %v", got)
	}
	if res := env.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"email": "xx@example.com", "language": "xx"}}); res.Status != 422 {
		t.Errorf("create with language xx: status %d, want 422: %s", res.Status, res.Body)
	}

	var comp struct{ ID string }
	env.mustAPI(201, "POST", "/components", map[string]any{"component": map[string]any{"name": "API"}}).JSON(t, &comp)
	env.mustAPI(200, "PATCH", "/subscribers/"+de, map[string]any{"subscriber": map[string]any{"component_ids": []string{comp.ID}}})
	env.mustAPI(200, "PATCH", "/subscribers/"+de, map[string]any{"subscriber": map[string]any{"language": "PT-br"}})
	if got := language(de); got != "pt-BR" {
		t.Errorf("language after PATCH PT-br = %v, want pt-BR", got)
	}
	var got struct{ Components []string }
	env.mustAPI(200, "GET", "/subscribers/"+de, nil).JSON(t, &got)
	if len(got.Components) != 1 || got.Components[0] != comp.ID {
		t.Errorf("components after a PATCH of the language alone = %v, want [%s] kept", got.Components, comp.ID)
	}
	if res := env.api("PATCH", "/subscribers/"+de, map[string]any{"subscriber": map[string]any{"language": "klingon", "component_ids": nil}}); res.Status != 422 {
		t.Errorf("PATCH language klingon: status %d, want 422: %s", res.Status, res.Body)
	}
	env.mustAPI(200, "GET", "/subscribers/"+de, nil).JSON(t, &got)
	if len(got.Components) != 1 {
		t.Errorf("components after a refused PATCH = %v, want unchanged", got.Components)
	}
	env.mustAPI(200, "PATCH", "/subscribers/"+de, map[string]any{"subscriber": map[string]any{"language": nil}})
	if got := language(de); got != nil {
		t.Errorf("language after PATCH null = %v, want null", got)
	}
}
