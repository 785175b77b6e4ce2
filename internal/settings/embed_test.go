package settings

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/internal/testutil"
)

// openStore returns a store on a fresh, migrated SQLite file.
func openStore(t *testing.T) *Store {
	t.Helper()
	db := testutil.OpenDB(t, Migrations())
	return NewStore(db, func() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) })
}

func ptr(s string) *string { return &s }

func TestEmbedDefaultsUntilChanged(t *testing.T) {
	s := openStore(t)
	got, err := s.Embed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != DefaultEmbed() {
		t.Errorf("got %+v, want the defaults %+v", got, DefaultEmbed())
	}
}

// TestUpdateEmbed applies changes one after another to the same store: each
// case starts from what the previous one left.
func TestUpdateEmbed(t *testing.T) {
	s := openStore(t)
	def := DefaultEmbed()
	steps := []struct {
		name string
		in   EmbedInput
		want Embed
	}{
		{"nothing given keeps the defaults", EmbedInput{}, def},
		{"one field changes only that field",
			EmbedInput{Position: ptr("top-right")},
			Embed{TopRight, def.IncidentBackgroundColor, def.IncidentTextColor, def.MaintenanceBackgroundColor, def.MaintenanceTextColor}},
		{"colours are stored in lowercase",
			EmbedInput{IncidentBackgroundColor: ptr("#AA00CC"), MaintenanceTextColor: ptr("#000000")},
			Embed{TopRight, "#aa00cc", def.IncidentTextColor, def.MaintenanceBackgroundColor, "#000000"}},
		{"an empty value returns a field to its default",
			EmbedInput{Position: ptr(""), IncidentBackgroundColor: ptr("")},
			Embed{BottomLeft, def.IncidentBackgroundColor, def.IncidentTextColor, def.MaintenanceBackgroundColor, "#000000"}},
		{"every field at once",
			EmbedInput{ptr("bottom-right"), ptr("#111111"), ptr("#eeeeee"), ptr("#222222"), ptr("#dddddd")},
			Embed{BottomRight, "#111111", "#eeeeee", "#222222", "#dddddd"}},
	}
	for _, st := range steps {
		got, err := s.UpdateEmbed(context.Background(), st.in)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: returned %+v, want %+v", st.name, got, st.want)
		}
		if read, err := s.Embed(context.Background()); err != nil || read != st.want {
			t.Errorf("%s: read back %+v (err %v), want %+v", st.name, read, err, st.want)
		}
	}
}

func TestUpdateEmbedRefuses(t *testing.T) {
	cases := []struct {
		name  string
		in    EmbedInput
		field string
	}{
		{"unknown corner", EmbedInput{Position: ptr("middle")}, "position"},
		{"corner in capitals", EmbedInput{Position: ptr("Bottom-Left")}, "position"},
		{"colour name", EmbedInput{IncidentBackgroundColor: ptr("red")}, "incident_background_color"},
		{"three digits", EmbedInput{IncidentTextColor: ptr("#fff")}, "incident_text_color"},
		{"no hash", EmbedInput{MaintenanceBackgroundColor: ptr("2c6fb7")}, "maintenance_background_color"},
		{"not hex", EmbedInput{MaintenanceTextColor: ptr("#gggggg")}, "maintenance_text_color"},
		{"css injection", EmbedInput{IncidentBackgroundColor: ptr("#000000;}*{display:none")}, "incident_background_color"},
		{"alpha", EmbedInput{IncidentBackgroundColor: ptr("#00000080")}, "incident_background_color"},
		{"a good field beside a bad one", EmbedInput{Position: ptr("top-left"), MaintenanceTextColor: ptr("blue")}, "maintenance_text_color"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			_, err := s.UpdateEmbed(context.Background(), tc.in)
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("got error %v, want a ValidationError", err)
			}
			if v.Field != tc.field {
				t.Errorf("field %q, want %q", v.Field, tc.field)
			}
			// Nothing is half-written: the defaults still hold.
			if got, err := s.Embed(context.Background()); err != nil || got != DefaultEmbed() {
				t.Errorf("after the refusal the settings are %+v (err %v), want the defaults", got, err)
			}
		})
	}
}

// TestDefaultEmbedContrast checks the documented promise that the default
// text is readable on the default backgrounds: WCAG 2's contrast ratio of
// at least 4.5:1.
func TestDefaultEmbedContrast(t *testing.T) {
	d := DefaultEmbed()
	for _, pair := range [][2]string{
		{d.IncidentBackgroundColor, d.IncidentTextColor},
		{d.MaintenanceBackgroundColor, d.MaintenanceTextColor},
	} {
		if got := palette.Contrast(pair[0], pair[1]); got < palette.MinContrast {
			t.Errorf("%s on %s: contrast %.2f:1, want at least 4.5:1", pair[1], pair[0], got)
		}
	}
}
