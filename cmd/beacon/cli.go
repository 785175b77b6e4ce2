package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/datadir"
	"github.com/beacon-status/beacon/internal/store"
)

// withApp loads configuration and opens the app for a one-shot command.
func withApp(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer,
	flags func(*flag.FlagSet), fn func(a *app, rest []string) error) error {
	cfg, rest, err := loadConfig(name, args, getenv, stderr, flags)
	if err != nil {
		return err
	}
	a, err := commandApp(ctx, cfg, newLogger(cfg, stderr), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, rest)
}

// commandApp builds the app for a one-shot command, which may run beside a
// server on the same data directory. With no server there, it migrates the
// database while holding the directory's lock, as `beacon migrate` does.
// Beside a server it changes no schema (the server's version owns it) and
// refuses to run when this binary would need a newer one.
//
// On PostgreSQL no lock tells whether servers run: a command never
// migrates there (`beacon migrate` and `beacon serve` do).
func commandApp(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*app, error) {
	if cfg.DatabaseURL != "" {
		return buildApp(ctx, cfg, log, now, false, nil)
	}
	lock, err := datadir.Acquire(cfg.DataDir)
	var inUse *datadir.InUseError
	switch {
	case errors.As(err, &inUse):
		return buildApp(ctx, cfg, log, now, false, nil)
	case errors.Is(err, datadir.ErrUnsupported):
		return buildApp(ctx, cfg, log, now, true, nil)
	case err != nil:
		return nil, err
	}
	defer func() {
		if err := lock.Release(); err != nil {
			log.Error("release the data directory lock", "err", err)
		}
	}()
	return buildApp(ctx, cfg, log, now, true, nil)
}

// runMigrate holds the data directory's lock while it migrates, like a
// server: migrating is the step of an upgrade, and a schema changed under a
// server of another version still running is the mistake it refuses.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	_, done, err := ownApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer done()
	fmt.Fprintf(stdout, "database %s is up to date\n", cfg.database())
	return nil
}

func runAPIKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: beacon apikey create --name N | list | revoke ID")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		var name string
		return withApp(ctx, "apikey create", args, getenv, stderr,
			func(fs *flag.FlagSet) { fs.StringVar(&name, "name", "", "a name for the key (required)") },
			func(a *app, _ []string) error {
				if name == "" {
					return errors.New("apikey create: --name is required")
				}
				k, secret, err := a.keys.Create(ctx, name)
				if err != nil {
					return err
				}
				a.auditCLI(ctx, "apikey create", k.ID)
				// The key alone on stdout, so scripts can capture it.
				fmt.Fprintln(stdout, secret)
				return nil
			})
	case "list":
		return withApp(ctx, "apikey list", args, getenv, stderr, nil, func(a *app, _ []string) error {
			keys, err := a.keys.List(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tPREFIX\tCREATED\tSTATE")
			for _, k := range keys {
				state := "active"
				if k.RevokedAt != nil {
					state = "revoked " + k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.CreatedAt.Format(time.RFC3339), state)
			}
			return w.Flush()
		})
	case "revoke":
		return withApp(ctx, "apikey revoke", args, getenv, stderr, nil, func(a *app, rest []string) error {
			if len(rest) != 1 {
				return errors.New("usage: beacon apikey revoke ID")
			}
			if err := a.keys.Revoke(ctx, rest[0]); err != nil {
				return err
			}
			a.auditCLI(ctx, "apikey revoke", rest[0])
			fmt.Fprintf(stdout, "revoked %s\n", rest[0])
			return nil
		})
	}
	return fmt.Errorf("unknown apikey command %q", sub)
}

// runBackup copies the live database without migrating or otherwise
// touching it, so a newer binary never changes the schema under an older
// server that is still running.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var to string
	cfg, _, err := loadConfig("backup", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "file to write (must not exist)")
	})
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return errors.New("backup: the database is PostgreSQL, which beacon does not copy: use pg_dump (see README, Running several replicas)")
	}
	if to == "" {
		return errors.New("backup: --to FILE is required")
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s already exists", to)
	}
	path := filepath.Join(cfg.DataDir, dbFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: no database at %s", path)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", path, to)
	return nil
}

func runSubscribers(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: beacon subscribers import [--send-confirmation] FILE | export")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "import":
		var confirm bool
		return withApp(ctx, "subscribers import", args, getenv, stderr,
			func(fs *flag.FlagSet) {
				fs.BoolVar(&confirm, "send-confirmation", false, "import as unconfirmed and send each a confirmation (default: active at once)")
			},
			func(a *app, rest []string) error {
				if len(rest) != 1 {
					return errors.New("usage: beacon subscribers import [--send-confirmation] FILE (- for standard input)")
				}
				in := stdin
				if rest[0] != "-" {
					f, err := os.Open(rest[0])
					if err != nil {
						return err
					}
					defer f.Close()
					in = f
				}
				res, err := a.subscribers.Import(ctx, in, confirm)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "imported %d subscribers (%d already subscribed)\n", res.Created, res.Existing)
				return nil
			})
	case "export":
		return withApp(ctx, "subscribers export", args, getenv, stderr, nil, func(a *app, _ []string) error {
			return a.subscribers.Export(ctx, stdout)
		})
	}
	return fmt.Errorf("unknown subscribers command %q", sub)
}

// runUser manages console users: create (printing a one-time set-password
// link, or reading the password from stdin) and list.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: beacon user create --email E --role admin|responder [--password-stdin] | list")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		var email, role string
		var fromStdin bool
		return withApp(ctx, "user create", args, getenv, stderr,
			func(fs *flag.FlagSet) {
				fs.StringVar(&email, "email", "", "the user's email address (required)")
				fs.StringVar(&role, "role", "responder", "admin or responder")
				fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of printing a link")
			},
			func(a *app, _ []string) error {
				var password string
				if fromStdin {
					line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
					if err != nil && !errors.Is(err, io.EOF) {
						return fmt.Errorf("user create: read password: %w", err)
					}
					password = strings.TrimRight(line, "\r\n")
					if err := accounts.CheckPassword(password); err != nil {
						return fmt.Errorf("user create: %w", err)
					}
				}
				u, err := a.accounts.CreateUser(ctx, email, accounts.Role(role), password)
				if err != nil {
					return fmt.Errorf("user create: %w", err)
				}
				a.auditCLI(ctx, "user create", u.ID)
				if fromStdin {
					fmt.Fprintf(stdout, "created %s (%s) with the password given\n", u.Email, u.Role)
					return nil
				}
				token, err := a.accounts.PasswordLink(ctx, u.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "created %s (%s); this one-time link sets the password (72 hours):\n", u.Email, u.Role)
				fmt.Fprintln(stdout, screen.PasswordURL(a.cfg.BaseURL, token))
				return nil
			})
	case "list":
		return withApp(ctx, "user list", args, getenv, stderr, nil, func(a *app, _ []string) error {
			users, err := a.accounts.Users(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEMAIL\tROLE\tPASSWORD\tCREATED")
			for _, u := range users {
				pw := "not set"
				if u.HasPassword {
					pw = "set"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, pw, u.CreatedAt.Format(time.RFC3339))
			}
			return w.Flush()
		})
	}
	return fmt.Errorf("user: unknown subcommand %q", sub)
}

// auditCLI records a change made with a command on the server itself.
func (a *app) auditCLI(ctx context.Context, command, target string) {
	actor := "command line"
	if u, err := user.Current(); err == nil {
		actor += " (" + u.Username + ")"
	}
	if err := a.accounts.Record(ctx, accounts.Entry{Actor: actor, Action: "cli: " + command, Target: target, IP: "local"}); err != nil {
		a.log.Error("audit", "action", command, "err", err)
	}
}
