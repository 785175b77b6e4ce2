package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/beacon-status/beacon/internal/store/pgsql"
)

// The domain packages write one SQL text for both engines, with SQLite's
// placeholders: `?` and `?N`. PostgreSQL numbers its own, `$N`; the
// connector below rewrites every query on its way to pgx (pgsql.Rebind),
// so no call site knows which engine it talks to.

// connector hands database/sql pgx connections wrapped in conn.
type connector struct{ driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{dc.(*stdlib.Conn)}, nil
}

// conn is a pgx connection that takes SQLite's placeholders and Go bools
// as integers. A query without arguments goes through untouched, over
// PostgreSQL's simple protocol: a migration's many statements in one text.
type conn struct{ c *stdlib.Conn }

var (
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

// Conn returns the pgx connection underneath, as stdlib.Conn's does, for
// the few jobs database/sql cannot do (COPY): reach it through sql.Conn's
// Raw with PgxConn.
func (c *conn) Conn() *pgx.Conn { return c.c.Conn() }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.c.Prepare(pgsql.Rebind(query))
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.c.PrepareContext(ctx, pgsql.Rebind(query))
}

func (c *conn) Close() error { return c.c.Close() }

func (c *conn) Begin() (driver.Tx, error) {
	return c.c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.c.BeginTx(ctx, opts)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) > 0 {
		query = pgsql.Rebind(query)
	}
	if !c.idle() {
		res, err := c.c.ExecContext(ctx, query, args)
		return res, textError(err)
	}
	var res driver.Result
	err := retryStatement(ctx, func() (err error) {
		res, err = c.c.ExecContext(ctx, query, args)
		return err
	})
	return res, textError(err)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) > 0 {
		query = pgsql.Rebind(query)
	}
	if !c.idle() {
		rows, err := c.c.QueryContext(ctx, query, args)
		return rows, textError(err)
	}
	var rows driver.Rows
	err := retryStatement(ctx, func() (err error) {
		rows, err = c.c.QueryContext(ctx, query, args)
		return err
	})
	return rows, textError(err)
}

// idle reports whether the connection is outside a transaction: a
// statement run there is a transaction of its own.
func (c *conn) idle() bool { return c.c.Conn().PgConn().TxStatus() == 'I' }

// retryStatement runs a statement that is a transaction of its own (on
// Write: SERIALIZABLE, where even one statement can lose a conflict) again
// while it fails as retryTx retries: such a failure undid all of it.
func retryStatement(ctx context.Context, run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || attempt == maxTxAttempts || !retryable(err) || !pause(ctx, attempt) {
			return err
		}
	}
}

func (c *conn) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

func (c *conn) ResetSession(ctx context.Context) error { return c.c.ResetSession(ctx) }

// CheckNamedValue sends Go bools as 0 and 1: flags are integer columns on
// both engines, and `x = ?` with a bool must match them. That holds for a
// bool behind a pointer or a driver.Valuer (sql.NullBool) too. A string
// PostgreSQL would refuse (see ErrUnstorableText), bare, behind a pointer
// or from a Valuer, is refused here with that error. Every other value
// goes to pgx as it is.
func (c *conn) CheckNamedValue(v *driver.NamedValue) error {
	if err := checkText(v); err != nil {
		return err
	}
	switch x := v.Value.(type) {
	case nil, string, int, int64, float64, []byte, time.Time:
		return nil
	case bool:
		v.Value = boolInt(x)
		return nil
	case driver.Valuer:
		rv := reflect.ValueOf(x)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			v.Value = nil // as database/sql does for a nil pointer
			return nil
		}
		val, err := x.Value()
		if err != nil {
			return err
		}
		if b, ok := val.(bool); ok {
			val = boolInt(b)
		}
		v.Value = val
		return checkText(v)
	}
	rv := reflect.ValueOf(v.Value)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Bool {
		v.Value = boolInt(rv.Bool())
	}
	return nil
}

// ErrUnstorableText is the error of a query given, on PostgreSQL, text
// holding a NUL character or bytes that are not UTF-8: PostgreSQL refuses
// such text, as an argument or inside a JSON argument, where SQLite takes
// it (and finds no row). Handlers check the input they expect (an id's
// shape, web.Storable); this error is what any other such input meets, a
// client's mistake rather than the server's.
var ErrUnstorableText = errors.New("text holds a NUL character or is not UTF-8")

// checkText refuses a string argument PostgreSQL would refuse, whatever
// its type's name, bare or behind pointers.
func checkText(v *driver.NamedValue) error {
	rv := reflect.ValueOf(v.Value)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.String {
		if s := rv.String(); !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return fmt.Errorf("store: argument %d: %w", v.Ordinal, ErrUnstorableText)
		}
	}
	return nil
}

// textError marks PostgreSQL's refusals of text as ErrUnstorableText:
// 22021 (not UTF-8) and 22P05 (NUL as \u0000 in a JSON argument, which
// the argument check does not see).
func textError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05") {
		return fmt.Errorf("%w: %w", ErrUnstorableText, err)
	}
	return err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// PgxConn returns the pgx connection under a driver connection handed to
// sql.Conn.Raw's function, and whether there is one (not on SQLite).
func PgxConn(driverConn any) (*pgx.Conn, bool) {
	c, ok := driverConn.(interface{ Conn() *pgx.Conn })
	if !ok {
		return nil, false
	}
	return c.Conn(), true
}
