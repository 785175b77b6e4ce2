package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/metrics"
)

// The metrics package's errors map like every domain package's: a refused
// field is 422 naming it, a missing provider or metric 404.
func TestClassifyMetricsErrors(t *testing.T) {
	status, body := Classify(fmt.Errorf("wrapped: %w", &metrics.ValidationError{Field: "decimal_places", Msg: "must be from 0 to 6"}))
	if status != 422 || body.Field != "decimal_places" || body.Message != "decimal_places must be from 0 to 6" {
		t.Errorf("validation error: %d %+v", status, body)
	}
	if status, _ := Classify(fmt.Errorf("metrics: metric x: %w", metrics.ErrNotFound)); status != 404 {
		t.Errorf("not found: %d", status)
	}
}

// Text the database refuses (PostgreSQL: NUL, not UTF-8) that no handler's
// check caught is the client's mistake, said as such: 422, not 500.
func TestClassifyUnstorableText(t *testing.T) {
	status, body := Classify(fmt.Errorf("components: get x: %w", store.ErrUnstorableText))
	if status != 422 || !strings.Contains(body.Message, "NUL") {
		t.Errorf("unstorable text: %d %+v, want 422 naming NUL", status, body)
	}
}
