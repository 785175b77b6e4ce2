package web

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// backlogFunc is a Backlog answering what the test says.
type backlogFunc func() (int, map[notifier.Channel]int, error)

func (f backlogFunc) Backlog(context.Context) (int, map[notifier.Channel]int, error) { return f() }

// TestMetricsBacklog: /metrics reports the backlog it reads when scraped,
// and -1 pending events, with no queue depth, when it cannot read it.
func TestMetricsBacklog(t *testing.T) {
	tests := []struct {
		name    string
		backlog backlogFunc
		want    []string
		absent  string
	}{
		{"read", func() (int, map[notifier.Channel]int, error) {
			return 2, map[notifier.Channel]int{notifier.Email: 3, notifier.SMS: 0, notifier.Webhook: 1}, nil
		}, []string{"beacon_outbox_pending_events 2", `beacon_delivery_queue_depth{channel="email"} 3`,
			`beacon_delivery_queue_depth{channel="sms"} 0`, `beacon_delivery_queue_depth{channel="webhook"} 1`}, ""},
		{"unreadable", func() (int, map[notifier.Channel]int, error) { return 0, nil, errors.New("database is locked") },
			[]string{"beacon_outbox_pending_events -1"}, "beacon_delivery_queue_depth{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New()
			app.Get("/metrics", NewMetrics(tt.backlog).Handler())
			res := testutil.Do(t, app, "GET", "/metrics", nil)
			body := string(res.Body)
			if res.Status != 200 {
				t.Fatalf("status %d: %s", res.Status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w+"\n") {
					t.Errorf("no line %q in:\n%s", w, body)
				}
			}
			if tt.absent != "" && strings.Contains(body, tt.absent) {
				t.Errorf("%q reported although the backlog could not be read", tt.absent)
			}
		})
	}
}
