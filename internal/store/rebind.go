package store

import (
	"context"
	"database/sql/driver"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
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
		return c.c.ExecContext(ctx, query, args)
	}
	var res driver.Result
	err := retryStatement(ctx, func() (err error) {
		res, err = c.c.ExecContext(ctx, query, args)
		return err
	})
	return res, err
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) > 0 {
		query = pgsql.Rebind(query)
	}
	if !c.idle() {
		return c.c.QueryContext(ctx, query, args)
	}
	var rows driver.Rows
	err := retryStatement(ctx, func() (err error) {
		rows, err = c.c.QueryContext(ctx, query, args)
		return err
	})
	return rows, err
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
// bool behind a pointer or a driver.Valuer (sql.NullBool) too. Every other
// value goes to pgx as it is.
func (c *conn) CheckNamedValue(v *driver.NamedValue) error {
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
		return nil
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
