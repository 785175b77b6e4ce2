package notifier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// The sent log keeps, on SQLite, each message the server accepted until its
// outcome is in the database: one line appended to a file beside the
// database the moment the server answers, and the file emptied once every
// message it lists has been recorded. A process killed meanwhile loses
// nothing the log holds (the kernel keeps a finished write whatever becomes
// of the process), and the next start records those messages as sent
// before any delivery is claimed again (RecordSentLog).
//
// So a sent message needs its place among the unrecorded (maxUnrecorded)
// only until its line is written, a few microseconds, instead of until a
// group commit that may wait behind a fan-out transaction: the senders
// stop waiting for places, and the recorder gathers larger groups. The
// lines are not flushed to the disk one by one: a power cut (not a kill)
// can lose those of the last few milliseconds, whose messages are then
// sent again after the restart.
//
// On PostgreSQL there is none: another replica may take a dead replica's
// claims over, and it cannot read this machine's files.

// sentLogSuffix names the log beside the database file.
const sentLogSuffix = "-sent"

// sentLog is an open sent log. Its methods are called with the recorder's
// mutex held.
type sentLog struct {
	f    *os.File
	line []byte
	size int64
}

// openSentLog opens (creating if needed) the sent log of db for
// appending; none on PostgreSQL.
func openSentLog(db *store.DB) (*sentLog, error) {
	if db.Engine() != store.SQLite || db.Path() == "" {
		return nil, nil
	}
	f, err := os.OpenFile(db.Path()+sentLogSuffix, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("notifier: open the sent log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("notifier: open the sent log: %w", err)
	}
	return &sentLog{f: f, size: st.Size()}, nil
}

// add appends a line for delivery id, sent at at with the provider's id:
// "ID UNIX-NANOSECONDS QUOTED-PROVIDER-ID\n", in one write.
func (l *sentLog) add(id int64, at time.Time, providerID string) error {
	b := strconv.AppendInt(l.line[:0], id, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, at.UnixNano(), 10)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, providerID)
	b = append(b, '\n')
	l.line = b
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("notifier: append to the sent log: %w", err)
	}
	return nil
}

// empty empties the log, once every message it lists is recorded.
func (l *sentLog) empty() error {
	if l.size == 0 {
		return nil
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("notifier: empty the sent log: %w", err)
	}
	l.size = 0
	return nil
}

func (l *sentLog) close() error { return l.f.Close() }

// sentEntry is one line of a sent log.
type sentEntry struct {
	id         int64
	at         time.Time
	providerID string
}

// readSentLog reads the sent log of the database at dbPath; none when
// there is no file. A last line cut short (the machine lost power as it
// was written) is left out, and so is a line that does not read as one
// (bad is how many): the message it was for is sent again.
func readSentLog(dbPath string) (entries []sentEntry, bad int, err error) {
	data, err := os.ReadFile(dbPath + sentLogSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("notifier: read the sent log: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	for _, line := range lines[:len(lines)-1] { // the last: "" or cut short
		e, ok := parseSentLine(line)
		if !ok {
			bad++
			continue
		}
		entries = append(entries, e)
	}
	return entries, bad, nil
}

// parseSentLine reads one line written by add, without its newline.
func parseSentLine(line string) (sentEntry, bool) {
	idText, rest, ok1 := strings.Cut(line, " ")
	atText, quoted, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return sentEntry{}, false
	}
	id, err1 := strconv.ParseInt(idText, 10, 64)
	at, err2 := strconv.ParseInt(atText, 10, 64)
	providerID, err3 := strconv.Unquote(quoted)
	if err1 != nil || err2 != nil || err3 != nil {
		return sentEntry{}, false
	}
	return sentEntry{id: id, at: time.Unix(0, at).UTC(), providerID: providerID}, true
}

// RecordSentLog records as sent the messages the sent log lists that are
// still pending — the process that sent them stopped before it recorded
// them —, in one transaction, then empties the log, and returns how many
// it recorded. Run does it first; a command that copies the database
// elsewhere (migrate-db) does it before, with the data directory's lock
// held, so that no server appends to the log meanwhile.
func (d *Dispatcher) RecordSentLog(ctx context.Context) (int, error) {
	path := d.db.Path()
	if d.db.Engine() != store.SQLite || path == "" {
		return 0, nil
	}
	entries, bad, err := readSentLog(path)
	if err != nil {
		return 0, err
	}
	if bad > 0 {
		d.log.Warn("notifier: the sent log has lines that do not read: their messages may be sent again", "lines", bad)
	}
	if len(entries) == 0 {
		return 0, truncateSentLog(path)
	}
	// One time for all, the last line's: the lines not yet recorded are
	// those of the last few commits, milliseconds apart (the log itself
	// may reach back seconds, to its last emptying).
	last := entries[len(entries)-1].at
	var recorded int
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		recorded = 0
		var results []result
		for chunk := range slices.Chunk(entries, 1000) {
			got, err := pendingOf(ctx, tx, chunk)
			if err != nil {
				return err
			}
			results = append(results, got...)
		}
		slices.SortStableFunc(results, func(a, b result) int { return strings.Compare(a.d.SubscriberID, b.d.SubscriberID) })
		recorded = len(results)
		return d.recordSent(ctx, tx, results, store.FormatTime(last))
	})
	if err != nil {
		return 0, fmt.Errorf("notifier: record the sent log's messages: %w", err)
	}
	if err := truncateSentLog(path); err != nil {
		return recorded, err
	}
	if recorded > 0 {
		d.log.Info("notifier: recorded the messages the sent log lists: they were sent before the last stop", "messages", recorded)
	}
	return recorded, nil
}

// SentLogWaiting reports whether the sent log of the SQLite database at
// dbPath lists messages: a server was killed before it recorded them, and
// RecordSentLog will.
func SentLogWaiting(dbPath string) (bool, error) {
	st, err := os.Stat(dbPath + sentLogSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("notifier: the sent log: %w", err)
	}
	return st.Size() > 0, nil
}

// truncateSentLog empties the sent log of the database at dbPath, if
// there is one.
func truncateSentLog(dbPath string) error {
	err := os.Truncate(dbPath+sentLogSuffix, 0)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("notifier: empty the sent log: %w", err)
	}
	return nil
}

// pendingOf returns the sent results of entries whose delivery is still
// pending: the others were recorded before the stop, or are gone.
func pendingOf(ctx context.Context, tx *sql.Tx, entries []sentEntry) ([]result, error) {
	providerIDs := make(map[int64]string, len(entries))
	ids := make([]string, len(entries))
	for i, e := range entries {
		providerIDs[e.id] = e.providerID
		ids[i] = strconv.FormatInt(e.id, 10)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(event_id, 0), subscriber_id, channel, purpose, attempts
		FROM deliveries WHERE state = 'pending' AND id IN (SELECT CAST(a.value AS INTEGER) FROM json_each(?) AS a)`, store.IDList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var results []result
	for rows.Next() {
		var dl Delivery
		if err := rows.Scan(&dl.ID, &dl.EventID, &dl.SubscriberID, &dl.Channel, &dl.Purpose, &dl.Attempts); err != nil {
			return nil, err
		}
		results = append(results, result{d: dl, outcome: OutcomeSent, providerID: providerIDs[dl.ID]})
	}
	return results, rows.Err()
}
