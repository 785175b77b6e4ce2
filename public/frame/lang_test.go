package frame_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/public/frame"
)

func TestChoose(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ls := frame.Languages{Chooser: i18n.NewChooser(cat)}
	def := cat.Get("fr")
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(ls.Choose(c, def).Code()) })
	for _, tt := range []struct {
		name, target, cookie, accept, want string
	}{
		{"nothing: the default", "/", "", "", "fr"},
		{"query", "/?lang=ja&x=1", "de", "es", "ja"},
		{"cookie", "/", "de", "es", "de"},
		{"header", "/", "", "es-MX,es;q=0.9", "es"},
		{"unknown everything", "/?lang=xx", "yy", "zh", "fr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.target, nil)
			if tt.cookie != "" {
				req.Header.Set("Cookie", frame.LangCookie+"="+tt.cookie)
			}
			if tt.accept != "" {
				req.Header.Set("Accept-Language", tt.accept)
			}
			resp, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 16)
			n, _ := resp.Body.Read(b)
			if got := string(b[:n]); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
