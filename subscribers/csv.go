package subscribers

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/chars"

	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// csvHeader is the column set of exported files; imports need mode and
// address and read the others when present. contact_email (a webhook's
// owner) and then language came last, so files exported before them still
// import.
var csvHeader = []string{"id", "mode", "address", "phone_country", "state", "components", "created_at", "contact_email", "language"}

// maxImportRows bounds one import.
const maxImportRows = 200_000

// Export writes every subscriber as CSV. components is a space-separated
// list of component ids, empty for all.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for offset := 0; ; offset += 1000 {
		list, err := s.List(ctx, Filter{Limit: 1000, Offset: offset})
		if err != nil {
			return err
		}
		for _, sub := range list {
			// Addresses are written by the public: guarded, as a
			// spreadsheet would run one starting with = as a formula.
			rec := []string{sub.ID, string(sub.Mode), chars.CSVCell(sub.Address), sub.PhoneCountry, string(sub.State),
				strings.Join(sub.ComponentIDs, " "), sub.CreatedAt.UTC().Format(time.RFC3339), chars.CSVCell(sub.ContactEmail), sub.Language}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		if len(list) < 1000 {
			break
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int
	Existing  int // addresses already subscribed, left as they were
	Confirmed bool
}

// ImportError names the line of a rejected file.
type ImportError struct {
	Line int
	Err  error
}

func (e *ImportError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ImportError) Unwrap() error { return e.Err }

// Import reads subscribers from CSV with a header row naming at least mode
// and address (phone_country, components, state, a webhook's contact_email
// and language are optional; rows whose
// state is unsubscribed or quarantined keep it, so an export imported
// elsewhere never writes again to people who left). The file is
// checked whole and written in one transaction: one bad line rejects it
// all. Imported subscribers are active, as the operator vouches for them,
// unless sendConfirmation, which makes them unconfirmed and queues a
// confirmation to each.
func (s *Service) Import(ctx context.Context, r io.Reader, sendConfirmation bool) (ImportResult, error) {
	// A byte order mark (as spreadsheets write) is dropped before the CSV
	// reader sees it: left in, it makes a quoted first header a parse error.
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return ImportResult{}, &ImportError{Line: 1, Err: fmt.Errorf("reading the header: %w", err)}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"mode", "address"} {
		if _, ok := col[need]; !ok {
			return ImportResult{}, &ImportError{Line: 1, Err: fmt.Errorf("the header has no %q column", need)}
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	type row struct {
		line  int
		su    Signup
		comps []string
		// left is set for rows exported as unsubscribed or quarantined:
		// they are imported in that state, never brought back.
		left State
	}
	var rows []row
	seen := map[string]int{}
	for last := 1; ; {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return ImportResult{}, &ImportError{Line: pe.Line, Err: pe.Err}
		}
		if err != nil {
			return ImportResult{}, &ImportError{Line: last + 1, Err: err}
		}
		// The reader skips blank lines and a quoted field may span lines,
		// so the line is the record's own, not a count of records.
		line, _ := cr.FieldPos(0)
		last = line
		if len(rows) >= maxImportRows {
			return ImportResult{}, &ImportError{Line: line, Err: fmt.Errorf("an import holds at most %d subscribers", maxImportRows)}
		}
		// The export's guard (chars.CSVCell) comes off: a leading
		// apostrophe is dropped from an address.
		su := Signup{Mode: notifier.Channel(strings.ToLower(field(rec, "mode"))), Address: chars.CSVUncell(field(rec, "address")),
			PhoneCountry: field(rec, "phone_country"), ContactEmail: chars.CSVUncell(field(rec, "contact_email")),
			Language: field(rec, "language")}
		if err := s.normalise(ctx, &su); err != nil {
			return ImportResult{}, &ImportError{Line: line, Err: err}
		}
		key := string(su.Mode) + ":" + su.Address
		if first, dup := seen[key]; dup {
			return ImportResult{}, &ImportError{Line: line, Err: fmt.Errorf("repeats line %d", first)}
		}
		seen[key] = line
		r := row{line: line, su: su, comps: strings.Fields(field(rec, "components"))}
		switch st := State(strings.ToLower(field(rec, "state"))); st {
		case Unsubscribed, Quarantined:
			r.left = st
		case "", Active, Unconfirmed:
		default:
			return ImportResult{}, &ImportError{Line: line, Err: invalid("state", "must be active, unconfirmed, quarantined or unsubscribed")}
		}
		rows = append(rows, r)
	}

	var res ImportResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res = ImportResult{Confirmed: !sendConfirmation}
		now := s.now()
		for _, r := range rows {
			comps, err := s.resolveComponents(ctx, tx, r.comps)
			if err != nil {
				return &ImportError{Line: r.line, Err: err}
			}
			if cur, err := s.byAddressTx(ctx, tx, r.su.Mode, r.su.Address); err == nil {
				// One who left (or bounced) is never written to again by an
				// import, whether they were a page subscriber or a follower.
				if cur.PageWide || r.left != "" || cur.State == Unsubscribed || cur.State == Quarantined {
					res.Existing++
					continue
				}
				// It only follows incidents: it joins the page as a new
				// address would, and counts as created.
				if err := s.joinPageTx(ctx, tx, cur, comps, sendConfirmation, now); err != nil {
					return err
				}
				res.Created++
				continue
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			sub := Subscriber{ID: ids.New(), Mode: r.su.Mode, Address: r.su.Address, PhoneCountry: r.su.PhoneCountry}
			if _, err := tx.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, phone_country, state, secret, created_at, updated_at, contact_email, language)
				VALUES (?, ?, ?, ?, 'unconfirmed', ?, ?, ?, ?, ?)`, sub.ID, sub.Mode, sub.Address, sub.PhoneCountry, newSecret(),
				store.FormatTime(now), store.FormatTime(now), r.su.ContactEmail, r.su.Language); err != nil {
				return fmt.Errorf("subscribers: import line %d: %w", r.line, err)
			}
			if err := s.setComponentsTx(ctx, tx, sub.ID, comps); err != nil {
				return err
			}
			switch {
			case r.left != "":
				if err := s.setStateTx(ctx, tx, sub.ID, r.left, now); err != nil {
					return err
				}
			case sendConfirmation:
				data := ""
				if sub.Mode == notifier.SMS {
					if data, err = s.newCodeTx(ctx, tx, sub.ID, comps, now); err != nil {
						return err
					}
				}
				if err := s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeConfirm, data, now, false); err != nil {
					return err
				}
			default:
				if err := s.setStateTx(ctx, tx, sub.ID, Active, now); err != nil {
					return err
				}
			}
			res.Created++
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// HandleReply applies an SMS keyword a number sent back: STOP (and its
// synonyms) unsubscribes it, START resubscribes it. It reports whether the
// number belongs to a subscriber; unknown numbers change nothing.
func (s *Service) HandleReply(ctx context.Context, phone, keyword string) (bool, error) {
	kw := strings.ToUpper(strings.TrimSpace(keyword))
	var state State
	switch kw {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT":
		state = Unsubscribed
	case "START", "UNSTOP", "YES":
		state = Active
	default:
		return false, nil
	}
	var found bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		found = false
		sub, err := s.byAddressTx(ctx, tx, notifier.SMS, phone)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		// START only revives a number that stopped; it never confirms a
		// sign-up or lifts a quarantine.
		if state == Active && sub.State != Unsubscribed {
			return nil
		}
		return s.setStateTx(ctx, tx, sub.ID, state, s.now())
	})
	return found, err
}
