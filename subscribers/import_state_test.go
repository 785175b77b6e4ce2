package subscribers_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// TestImportKeepsThoseWhoLeft checks that an export imported elsewhere
// never writes again to people who unsubscribed or were quarantined.
func TestImportKeepsThoseWhoLeft(t *testing.T) {
	f := newFixture(t, subscribers.Limits{})
	csv := "mode,address,state\n" +
		"email,stays@example.com,active\n" +
		"email,left@example.com,unsubscribed\n" +
		"email,bounced@example.com,quarantined\n" +
		"email,new@example.com,\n"
	res, err := f.svc.Import(context.Background(), strings.NewReader(csv), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 4 {
		t.Fatalf("created %d, want 4", res.Created)
	}
	want := map[string]subscribers.State{
		"stays@example.com": subscribers.Active, "left@example.com": subscribers.Unsubscribed,
		"bounced@example.com": subscribers.Quarantined, "new@example.com": subscribers.Active,
	}
	list, err := f.svc.List(context.Background(), subscribers.Filter{Mode: notifier.Email})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if got := s.State; got != want[s.Address] {
			t.Errorf("%s: state %s, want %s", s.Address, got, want[s.Address])
		}
	}
	_, err = f.svc.Import(context.Background(), strings.NewReader("mode,address,state\nemail,x@example.com,gone\n"), false)
	if validationField(err) != "state" {
		t.Errorf("unknown state: got %v, want a state error", err)
	}
}

// TestPartialLimitsKeepDefaults checks that limits left at zero take their
// defaults rather than switching the limit off.
func TestPartialLimitsKeepDefaults(t *testing.T) {
	f := newFixture(t, subscribers.Limits{SMSSignupsPerIP: 1})
	su := subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", IP: "192.0.2.1"}
	if _, err := f.svc.Subscribe(context.Background(), su); err != nil {
		t.Fatal(err)
	}
	su.Address = "+14155550124"
	_, err := f.svc.Subscribe(context.Background(), su)
	var lim *subscribers.LimitError
	if !errors.As(err, &lim) {
		t.Fatalf("second SMS sign-up from one IP with a limit of 1: got %v, want a limit error", err)
	}
}
