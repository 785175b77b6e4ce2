package subscribers

import (
	"context"
	"fmt"
	"strings"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// queries are the statements whose text depends on the engine, built once.
type queries struct {
	inList     string // "(SELECT … FROM the JSON array parameter)": "x IN " + inList
	byIDs      string // the tail of selectSubscribers naming a JSON array of ids
	components string // the components of a JSON array of subscribers
	relevance  string // List's order by relevance, with the query twice
	delivered  string // DeliveredManyTx's reset of failures
}

func newQueries(db *store.DB) queries {
	in := `(SELECT j.value FROM ` + db.JSONArray("j") + `)`
	return queries{
		inList:     in,
		byIDs:      ` WHERE id IN ` + in,
		components: `SELECT subscriber_id, component_id FROM subscriber_components WHERE subscriber_id IN ` + in + ` ORDER BY component_id`,
		relevance:  `lower(address) = ? DESC, ` + db.Instr("lower(address)", "?") + `, length(address), address, id`,
		// Rows locked in id order: on PostgreSQL two replicas' acks then cannot
		// deadlock (an IN list is joined in hash order, whatever its order).
		delivered: `UPDATE subscribers SET permanent_failures = 0 WHERE id IN (SELECT id FROM subscribers WHERE id IN ` + in +
			` AND permanent_failures > 0 ORDER BY id` + db.ForUpdate() + `)`,
	}
}

const selectSubscribers = `SELECT id, mode, address, phone_country, state, all_components, secret,
	created_at, updated_at, confirmed_at, quarantined_at, unsubscribed_at, contact_email, page_wide, language FROM subscribers`

func scanSubscriber(row interface{ Scan(...any) error }) (Subscriber, error) {
	var s Subscriber
	err := row.Scan(&s.ID, &s.Mode, &s.Address, &s.PhoneCountry, &s.State, &s.AllComponents, &s.Secret,
		store.Time(&s.CreatedAt), store.Time(&s.UpdatedAt), store.OptTime(&s.ConfirmedAt),
		store.OptTime(&s.QuarantinedAt), store.OptTime(&s.UnsubscribedAt), &s.ContactEmail, &s.PageWide, &s.Language)
	return s, err
}

// Get returns one subscriber.
func (s *Service) Get(ctx context.Context, id string) (Subscriber, error) {
	return s.getTx(ctx, s.db.Read, id)
}

func (s *Service) getTx(ctx context.Context, q components.Queryer, id string) (Subscriber, error) {
	list, err := s.query(ctx, q, ` WHERE id = ?`, ids.OrEmpty(id))
	if err != nil {
		return Subscriber{}, err
	}
	if len(list) == 0 {
		return Subscriber{}, fmt.Errorf("subscribers: get %s: %w", id, ErrNotFound)
	}
	return list[0], nil
}

func (s *Service) byAddressTx(ctx context.Context, q components.Queryer, mode notifier.Channel, address string) (Subscriber, error) {
	list, err := s.query(ctx, q, ` WHERE mode = ? AND address = ?`, mode, address)
	if err != nil {
		return Subscriber{}, err
	}
	if len(list) == 0 {
		return Subscriber{}, ErrNotFound
	}
	return list[0], nil
}

// GetMany returns the subscribers with the given ids, keyed by id; missing
// ids are absent from the map.
func (s *Service) GetMany(ctx context.Context, idList []string) (map[string]Subscriber, error) {
	out := make(map[string]Subscriber, len(idList))
	if len(idList) == 0 {
		return out, nil
	}
	list, err := s.query(ctx, s.db.Read, s.q.byIDs, store.IDList(idList))
	if err != nil {
		return nil, err
	}
	for _, sub := range list {
		out[sub.ID] = sub
	}
	return out, nil
}

// Filter selects subscribers for List and Count.
type Filter struct {
	Mode  notifier.Channel // "" for every channel
	State State            // "" for every state
	// Query is a substring of the address, ignoring ASCII letters' case.
	Query string
	// SortField is one of SortFields: "created_at" (the default),
	// "address" (Statuspage's "primary", the identifying field),
	// "quarantined_at" (never-quarantined subscribers last either way) or
	// "relevance" (needs Query: an exact match first, then the earliest
	// and shortest match; always most relevant first). Descending
	// reverses the first three.
	SortField  string
	Descending bool
	Limit      int // 0 means 100
	Offset     int
}

func (f Filter) where() (string, []any) {
	// The page's subscribers only: incident subscribers are listed per
	// incident (Followers), as Statuspage keeps them apart.
	conds := []string{`page_wide = 1`}
	var args []any
	if f.Mode != "" {
		conds = append(conds, `mode = ?`)
		args = append(args, f.Mode)
	}
	if f.State != "" {
		conds = append(conds, `state = ?`)
		args = append(args, f.State)
	}
	if f.Query != "" {
		conds = append(conds, `lower(address) LIKE ? ESCAPE '\'`)
		args = append(args, "%"+strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(store.Lower(f.Query))+"%")
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// SortFields are the values Filter.SortField takes ("" is created_at).
var SortFields = []string{"created_at", "address", "quarantined_at", "relevance"}

// List returns the subscribers matching f.
func (s *Service) List(ctx context.Context, f Filter) ([]Subscriber, error) {
	where, args := f.where()
	dir := ` ASC`
	if f.Descending {
		dir = ` DESC`
	}
	var order string
	switch f.SortField {
	case "", "created_at":
		order = `created_at` + dir + `, id`
	case "address":
		order = `address` + dir + `, id`
	case "quarantined_at":
		order = `quarantined_at IS NULL, quarantined_at` + dir + `, created_at, id`
	case "relevance":
		if f.Query == "" {
			return nil, invalid("sort_field", "relevance needs a search text (q)")
		}
		q := store.Lower(f.Query)
		order = s.q.relevance
		args = append(args, q, q)
	default:
		return nil, invalid("sort_field", "must be one of %s", strings.Join(SortFields, ", "))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit, max(f.Offset, 0))
	return s.query(ctx, s.db.Read, where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
}

// Count returns how many subscribers match f, ignoring paging.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	where, args := f.where()
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM subscribers`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("subscribers: count: %w", err)
	}
	return n, nil
}

// CountByMode returns how many subscribers match f on each channel; a
// channel with none is absent.
func (s *Service) CountByMode(ctx context.Context, f Filter) (map[notifier.Channel]int, error) {
	where, args := f.where()
	rows, err := s.db.Read.QueryContext(ctx, `SELECT mode, COUNT(*) FROM subscribers`+where+` GROUP BY mode`, args...)
	if err != nil {
		return nil, fmt.Errorf("subscribers: count by type: %w", err)
	}
	defer rows.Close()
	out := map[notifier.Channel]int{}
	for rows.Next() {
		var m notifier.Channel
		var n int
		if err := rows.Scan(&m, &n); err != nil {
			return nil, fmt.Errorf("subscribers: count by type: %w", err)
		}
		out[m] = n
	}
	return out, rows.Err()
}

// Histogram counts the page's subscribers by channel and state.
func (s *Service) Histogram(ctx context.Context) (map[notifier.Channel]map[State]int, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT mode, state, COUNT(*) FROM subscribers WHERE page_wide = 1 GROUP BY mode, state`)
	if err != nil {
		return nil, fmt.Errorf("subscribers: histogram: %w", err)
	}
	defer rows.Close()
	out := map[notifier.Channel]map[State]int{}
	for _, m := range append([]notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}, notifier.Chats...) {
		out[m] = map[State]int{Active: 0, Unconfirmed: 0, Quarantined: 0, Unsubscribed: 0}
	}
	for rows.Next() {
		var m notifier.Channel
		var st State
		var n int
		if err := rows.Scan(&m, &st, &n); err != nil {
			return nil, fmt.Errorf("subscribers: histogram: %w", err)
		}
		out[m][st] = n
	}
	return out, rows.Err()
}

// query loads subscribers and their components.
func (s *Service) query(ctx context.Context, q components.Queryer, tail string, args ...any) ([]Subscriber, error) {
	rows, err := q.QueryContext(ctx, selectSubscribers+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("subscribers: list: %w", err)
	}
	list := []Subscriber{}
	index := map[string]int{}
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("subscribers: list: %w", err)
		}
		sub.ComponentIDs = []string{}
		index[sub.ID] = len(list)
		list = append(list, sub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscribers: list: %w", err)
	}
	var partial []string
	for _, sub := range list {
		if !sub.AllComponents {
			partial = append(partial, sub.ID)
		}
	}
	if len(partial) == 0 {
		return list, nil
	}
	crows, err := q.QueryContext(ctx, s.q.components, store.IDList(partial))
	if err != nil {
		return nil, fmt.Errorf("subscribers: list components: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var sid, cid string
		if err := crows.Scan(&sid, &cid); err != nil {
			return nil, fmt.Errorf("subscribers: list components: %w", err)
		}
		list[index[sid]].ComponentIDs = append(list[index[sid]].ComponentIDs, cid)
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("subscribers: list components: %w", err)
	}
	return list, nil
}
