package components_test

import (
	"context"
	"testing"

	"github.com/beacon-status/beacon/components"
)

// TestFieldsRefuseControlCharacters: component and group names, their
// descriptions and the page's settings refuse control characters (a
// description keeps tabs and line breaks) and nothing is written.
func TestFieldsRefuseControlCharacters(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	if _, err := f.svc.EnsurePage(ctx, components.PageInput{Name: ptr("Acme")}); err != nil {
		t.Fatal(err)
	}
	existing := f.mustCreate(t, "API", components.Operational)
	group := f.mustGroup(t, "Platform", existing.ID)

	tests := []struct {
		name, field string
		do          func() error
	}{
		{"component name SOH", "name", func() error {
			_, err := f.svc.Create(ctx, components.Input{Name: ptr("Web\u0001")})
			return err
		}},
		{"component name ANSI", "name", func() error {
			_, err := f.svc.Update(ctx, existing.ID, components.Input{Name: ptr("\u001b[31mAPI")})
			return err
		}},
		{"component name newline", "name", func() error {
			_, err := f.svc.Create(ctx, components.Input{Name: ptr("Web\nsite")})
			return err
		}},
		{"component name bidi override", "name", func() error {
			_, err := f.svc.Create(ctx, components.Input{Name: ptr("Web \u202esite")})
			return err
		}},
		{"component name invalid UTF-8", "name", func() error {
			_, err := f.svc.Create(ctx, components.Input{Name: ptr("Web \xc0")})
			return err
		}},
		{"component description NUL", "description", func() error {
			_, err := f.svc.Create(ctx, components.Input{Name: ptr("Web"), Description: ptr("a\u0000b")})
			return err
		}},
		{"component description C1", "description", func() error {
			_, err := f.svc.Update(ctx, existing.ID, components.Input{Description: ptr("a\u0085b")})
			return err
		}},
		{"group name DEL", "name", func() error {
			_, err := f.svc.CreateGroup(ctx, components.GroupInput{Name: ptr("Edge\u007f")})
			return err
		}},
		{"group description noncharacter", "description", func() error {
			_, err := f.svc.UpdateGroup(ctx, group.ID, components.GroupInput{Description: ptr("\uffff")})
			return err
		}},
		{"page name", "name", func() error {
			_, err := f.svc.UpdatePage(ctx, components.PageInput{Name: ptr("Acme\u0007")})
			return err
		}},
		{"page support url", "support_url", func() error {
			_, err := f.svc.UpdatePage(ctx, components.PageInput{SupportURL: ptr("https://acme.test/\u0085")})
			return err
		}},
		{"page email footer", "notifications_email_footer", func() error {
			_, err := f.svc.UpdatePage(ctx, components.PageInput{EmailFooter: ptr("Acme\u001b[31m")})
			return err
		}},
		{"page logo url", "logo_url", func() error {
			_, err := f.svc.UpdatePage(ctx, components.PageInput{LogoURL: ptr("/logo\u202e.png")})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.changeCount()
			checkValidation(t, tc.do(), tc.field)
			if got := f.changeCount(); got != before {
				t.Errorf("changed called %d times by a refused write, want 0", got-before)
			}
		})
	}
	if got := f.mustListNames(t); len(got) != 2 || got[0] != "Platform" || got[1] != "API" {
		t.Errorf("components after refused writes: got %q, want [Platform API]", got)
	}
	if got := f.mustGet(t, existing.ID); got.Description != "" {
		t.Errorf("description after refused writes: got %q, want empty", got.Description)
	}
	if p, err := f.svc.Page(ctx); err != nil || p.Name != "Acme" || p.SupportURL != "" || p.LogoURL != "" {
		t.Errorf("page after refused writes: got %+v, %v", p, err)
	}

	// A description keeps tabs and line breaks, CRLF (as a browser's
	// textarea sends it) stored as LF.
	c, err := f.svc.Update(ctx, existing.ID, components.Input{Description: ptr("one\r\ntwo\tthree\n")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "one\ntwo\tthree\n"; c.Description != want {
		t.Errorf("description: got %q, want %q", c.Description, want)
	}
}
