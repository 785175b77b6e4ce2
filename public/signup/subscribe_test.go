package signup

import (
	"testing"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
)

// TestSubscribeFormMessage words refusals for the form: the field's label
// in place of its API name, a sentence of its own left as it is.
func TestSubscribeFormMessage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.Get("en")
	for _, tc := range []struct{ field, message, want string }{
		{"email", "email can't be blank", "Email address can't be blank"},
		{"phone_number", "phone_number is too long", "Mobile number is too long"},
		{"phone_number", "phone_number SMS notifications are not available for numbers in FR", "SMS notifications are not available for numbers in FR"},
		{"endpoint", "endpoint must use http or https", "Webhook URL must use http or https"},
		{"component_ids", `component_ids "zz" is not a component`, `"zz" is not a component`},
		{"mode", "mode pigeon notifications are not available on this page", "Pigeon notifications are not available on this page"},
		{"", "Too many sign-ups from your network.", "Too many sign-ups from your network."},
		{"email", "something else", "something else"},
	} {
		if got := formMessage(en, web.ErrorBody{Field: tc.field, Message: tc.message}); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.field, tc.message, got, tc.want)
		}
	}
}
