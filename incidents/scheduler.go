package incidents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/notifier"
)

// A maintenance moves through up to three timed transitions: the reminder
// (ReminderLead before the start), the start and the completion. Each one is
// a conditional UPDATE in its own transaction, so it happens exactly once
// however often or late the scheduler runs; after a restart the scheduler
// catches up, performing overdue edges in order with their scheduled times.

type edge int

const (
	edgeNone edge = iota
	edgeRemind
	edgeStart
	edgeComplete
)

// due returns the next transition of in at or before now, or edgeNone.
func (in Incident) due(now time.Time) edge {
	if in.Kind != KindMaintenance || in.Status.Closed() {
		return edgeNone
	}
	a := in.Automation
	start, end := *in.ScheduledFor, *in.ScheduledUntil
	switch in.Status {
	case Scheduled:
		if a.AutoInProgress && !now.Before(start) {
			return edgeStart
		}
		if a.AutoCompleted && !now.Before(end) {
			return edgeComplete
		}
		if a.RemindPrior && in.RemindedAt == nil && in.CreatedAt.Before(start.Add(-ReminderLead)) &&
			!now.Before(start.Add(-ReminderLead)) && now.Before(start) {
			return edgeRemind
		}
	case InProgress, Verifying:
		if a.AutoCompleted && !now.Before(end) {
			return edgeComplete
		}
	}
	return edgeNone
}

// next returns when in's next transition falls due, if it has one. Like due,
// it drops a reminder whose start has passed (at now): a past time that due
// never acts on would have Run wake up again at once, forever.
func (in Incident) next(now time.Time) (time.Time, bool) {
	if in.Kind != KindMaintenance || in.Status.Closed() {
		return time.Time{}, false
	}
	a := in.Automation
	start, end := *in.ScheduledFor, *in.ScheduledUntil
	var times []time.Time
	if in.Status == Scheduled {
		if a.RemindPrior && in.RemindedAt == nil && in.CreatedAt.Before(start.Add(-ReminderLead)) && now.Before(start) {
			times = append(times, start.Add(-ReminderLead))
		}
		if a.AutoInProgress {
			times = append(times, start)
		}
	}
	if a.AutoCompleted {
		times = append(times, end)
	}
	if len(times) == 0 {
		return time.Time{}, false
	}
	first := times[0]
	for _, t := range times[1:] {
		if t.Before(first) {
			first = t
		}
	}
	return first, true
}

func (s *Service) openMaintenances(ctx context.Context) ([]Incident, error) {
	return s.List(ctx, Filter{Kind: KindMaintenance, Statuses: []Status{Scheduled, InProgress, Verifying}, Upcoming: true, Limit: 10000})
}

// RunDue performs every maintenance transition due at the current time and
// returns how many it performed.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	list, err := s.openMaintenances(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, m := range list {
		// A maintenance overdue on several edges takes them in order; one
		// that fails does not hold up the others.
		for range 3 {
			ok, err := s.transition(ctx, m.ID)
			if err != nil {
				errs = append(errs, fmt.Errorf("incidents: scheduled transition of %s: %w", m.ID, err))
				break
			}
			if !ok {
				break
			}
			done++
		}
	}
	if done > 0 {
		s.changed()
	}
	return done, errors.Join(errs...)
}

// NextDue returns when the next maintenance transition falls due.
func (s *Service) NextDue(ctx context.Context) (time.Time, bool, error) {
	list, err := s.openMaintenances(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	now := s.now()
	var first time.Time
	found := false
	for _, m := range list {
		if t, ok := m.next(now); ok && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found, nil
}

// transition performs the one transition due for maintenance id, if any.
// Replicas sharing a PostgreSQL database run it for the same maintenance
// at once: the transaction lock lets one of them do the work while the
// others pass, and the serializable transaction, which re-reads the
// incident when it runs again after a conflict, makes an edge happen once
// even without it.
func (s *Service) transition(ctx context.Context, id string) (bool, error) {
	var performed bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		performed = false // the closure may run again (see store.DB.Tx)
		if ok, err := s.db.TryXactLock(ctx, tx, "incidents.transition:"+id); err != nil || !ok {
			return err
		}
		in, err := s.getTx(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		e := in.due(now)
		if e == edgeNone {
			return nil
		}
		performed = true
		start, end := *in.ScheduledFor, *in.ScheduledUntil
		prev := in.Status
		var (
			next    Status
			at      time.Time
			body    string
			deliver bool
			changes []components.Change
		)
		switch e {
		case edgeRemind:
			minutes := int(math.Round(start.Sub(now).Minutes()))
			next, at, deliver = Scheduled, now, true
			body = fmt.Sprintf("Maintenance will begin as scheduled in %d minutes.", minutes)
			in.RemindedAt = &now
		case edgeStart:
			next, at = InProgress, start
			body = InProgress.StockBody()
			// A start found after the window closed is history, not news:
			// the completion that follows is what subscribers hear.
			deliver = in.Automation.NotifyAtStart && !(in.Automation.AutoCompleted && !now.Before(end))
			if in.Automation.ToMaintenanceState {
				changes, err = s.applyTx(ctx, tx, &in, InProgress, nil, at, deliver)
				if err != nil {
					return err
				}
			}
		case edgeComplete:
			next, at, deliver = Completed, end, in.Automation.NotifyAtEnd
			body = Completed.StockBody()
			if in.Automation.ToOperationalState {
				changes, err = s.applyTx(ctx, tx, &in, Completed, nil, at, deliver)
				if err != nil {
					return err
				}
			}
		}
		in.Status = next
		in.UpdatedAt = now
		u := Update{ID: ids.New(), IncidentID: in.ID, Status: next, Body: body, DisplayAt: at,
			CreatedAt: now, UpdatedAt: now, DeliverNotifications: deliver, AffectedComponents: changes}
		in.Updates = append([]Update{u}, in.Updates...)
		kind := eventKind(in.Kind, prev, next)
		if e == edgeRemind {
			kind = notifier.MaintenanceReminder
		}
		return s.commitUpdateTx(ctx, tx, &in, kind, u)
	})
	return performed, err
}

// Run performs transitions as they fall due until ctx is done. It sleeps
// until the next due time (at most a minute, so a clock change is noticed)
// or until a maintenance is created or changed.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	for {
		if n, err := s.RunDue(ctx); err != nil {
			log.Error("maintenance scheduler", "err", err)
		} else if n > 0 {
			log.Info("maintenance transitions performed", "count", n)
		}
		wait := time.Minute
		if t, ok, err := s.NextDue(ctx); err != nil {
			log.Error("maintenance scheduler", "err", err)
		} else if ok {
			wait = min(wait, max(t.Sub(s.now()), 0)+10*time.Millisecond)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}
