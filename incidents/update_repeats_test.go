package incidents_test

import (
	"slices"
	"testing"

	"github.com/beacon-status/beacon/incidents"
)

func TestUpdateRepeats(t *testing.T) {
	in := incidents.Incident{Updates: []incidents.Update{ // newest first
		{Status: incidents.Resolved}, {Status: incidents.Monitoring}, {Status: incidents.Monitoring}, {Status: incidents.Monitoring},
		{Status: incidents.Investigating},
	}}
	var got []bool
	for i := range in.Updates {
		got = append(got, incidents.UpdateRepeats(in, i))
	}
	if want := []bool{false, true, true, false, false}; !slices.Equal(got, want) {
		t.Errorf("UpdateRepeats = %v, want %v", got, want)
	}
}
