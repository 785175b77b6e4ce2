package components

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

// Page is the status page itself: there is one per installation.
type Page struct {
	ID   string
	Name string
	// URL is the page's address in API v2 and the management API. It
	// follows the configured base URL at each server start (FollowURL)
	// unless staff set it (UpdatePage), which URLExplicit reports.
	URL         string
	URLExplicit bool
	TimeZone    string // IANA name
	SupportURL  string
	// LogoURL is an image shown in the page header; AccentColor (#rrggbb)
	// colours links and buttons. Both may be empty.
	LogoURL     string
	AccentColor string
	// EmailFooter is plain text, of several lines, that every email ends
	// with: the sender's postal address, as mailing laws (CAN-SPAM, and
	// the GDPR's rules on who the sender is) ask. Empty for none.
	EmailFooter string
	// Language is the code of the language visitors read the page in
	// when they ask for none Beacon has (internal/i18n); empty for
	// English.
	Language  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Location returns the page's time zone, or UTC if it cannot be loaded.
func (p Page) Location() *time.Location {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// PageInput changes the page's settings; nil fields stay.
type PageInput struct {
	Name        *string
	URL         *string
	TimeZone    *string
	SupportURL  *string
	LogoURL     *string
	AccentColor *string
	EmailFooter *string
	Language    *string
}

// MaxEmailFooter is the longest email footer, in characters.
const MaxEmailFooter = 500

var (
	hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	// langCode is the shape of a BCP 47 code; which languages there are
	// is the settings' to check (internal/settings), not the domain's.
	langCode = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$`)
)

// Validate checks every set field.
func (in *PageInput) Validate() error {
	// The name is stored trimmed and checked below; the others as given.
	for _, f := range []struct {
		name  string
		value *string
	}{{"url", in.URL}, {"time_zone", in.TimeZone}, {"support_url", in.SupportURL},
		{"logo_url", in.LogoURL}, {"accent_color", in.AccentColor}} {
		if f.value == nil {
			continue
		}
		if err := chars.CheckLine(*f.value); err != nil {
			return invalid(f.name, "%v", err)
		}
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			return invalid("name", "can't be blank")
		}
		if utf8.RuneCountInString(n) > 255 {
			return invalid("name", "is too long (maximum is 255 characters)")
		}
		if err := chars.CheckLine(n); err != nil {
			return invalid("name", "%v", err)
		}
		in.Name = &n
	}
	if in.URL != nil && *in.URL != "" && !isHTTPURL(*in.URL) {
		return invalid("url", "must be an http or https URL")
	}
	if in.SupportURL != nil && *in.SupportURL != "" && !isHTTPURL(*in.SupportURL) {
		return invalid("support_url", "must be an http or https URL")
	}
	if in.LogoURL != nil && *in.LogoURL != "" && !isHTTPURL(*in.LogoURL) && !strings.HasPrefix(*in.LogoURL, "/") {
		return invalid("logo_url", "must be an http or https URL, or a path on this site")
	}
	if in.LogoURL != nil && strings.HasPrefix(*in.LogoURL, "//") {
		return invalid("logo_url", "must be an http or https URL, or a path on this site")
	}
	if in.AccentColor != nil && *in.AccentColor != "" && !hexColor.MatchString(*in.AccentColor) {
		return invalid("accent_color", "must be a colour such as #0969da")
	}
	if in.EmailFooter != nil {
		if err := chars.CheckText(*in.EmailFooter); err != nil {
			return invalid("notifications_email_footer", "%v", err)
		}
		// Stored with LF line ends (a textarea sends CRLF) and counted so.
		f := strings.TrimSpace(chars.Clean(*in.EmailFooter))
		if n := utf8.RuneCountInString(f); n > MaxEmailFooter {
			return invalid("notifications_email_footer", "is too long (%d characters; the maximum is %d)", n, MaxEmailFooter)
		}
		in.EmailFooter = &f
	}
	if in.Language != nil && *in.Language != "" && !langCode.MatchString(*in.Language) {
		return invalid("language", "must be a language code such as de or pt-BR")
	}
	if in.TimeZone != nil {
		if *in.TimeZone == "" || *in.TimeZone == "Local" {
			return invalid("time_zone", "must be an IANA time zone name such as Etc/UTC or Europe/Paris")
		}
		if _, err := time.LoadLocation(*in.TimeZone); err != nil {
			return invalid("time_zone", "%q is not a known IANA time zone", *in.TimeZone)
		}
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(s) <= 2000
}

const selectPage = `SELECT id, name, url, url_explicit, configured_url, time_zone, support_url, logo_url, accent_color, email_footer,
	language, created_at, updated_at FROM pages LIMIT 1`

// storedPage is the page's row: the page, and the base URL its URL goes
// back to when staff clear theirs.
type storedPage struct {
	Page
	configuredURL string
}

func scanPage(row *sql.Row) (storedPage, error) {
	var p storedPage
	err := row.Scan(&p.ID, &p.Name, &p.URL, &p.URLExplicit, &p.configuredURL, &p.TimeZone, &p.SupportURL, &p.LogoURL, &p.AccentColor,
		&p.EmailFooter, &p.Language, store.Time(&p.CreatedAt), store.Time(&p.UpdatedAt))
	return p, err
}

// EnsurePage returns the page, creating it from defaults on first start. The
// page id is generated once and never changes; later starts ignore defaults
// (the page is edited through UpdatePage, and its URL follows FollowURL).
func (s *Service) EnsurePage(ctx context.Context, defaults PageInput) (Page, error) {
	if err := defaults.Validate(); err != nil {
		return Page{}, err
	}
	var page Page
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPage(tx.QueryRowContext(ctx, selectPage))
		if err == nil {
			page = p.Page
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("components: load page: %w", err)
		}
		now := s.now().UTC()
		page = Page{ID: ids.New(), Name: "Beacon", URL: "http://localhost:8080", TimeZone: "Etc/UTC", CreatedAt: now, UpdatedAt: now}
		apply(&page.Name, defaults.Name)
		apply(&page.URL, defaults.URL)
		apply(&page.TimeZone, defaults.TimeZone)
		apply(&page.SupportURL, defaults.SupportURL)
		apply(&page.LogoURL, defaults.LogoURL)
		apply(&page.AccentColor, defaults.AccentColor)
		apply(&page.EmailFooter, defaults.EmailFooter)
		apply(&page.Language, defaults.Language)
		_, err = tx.ExecContext(ctx, `INSERT INTO pages (id, name, url, configured_url, time_zone, support_url, logo_url, accent_color, email_footer,
			language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			page.ID, page.Name, page.URL, page.URL, page.TimeZone, page.SupportURL, page.LogoURL, page.AccentColor, page.EmailFooter,
			page.Language, store.FormatTime(now), store.FormatTime(now))
		if err != nil {
			return fmt.Errorf("components: create page: %w", err)
		}
		return nil
	})
	return page, err
}

// Page returns the page.
func (s *Service) Page(ctx context.Context) (Page, error) {
	p, err := scanPage(s.db.Read.QueryRowContext(ctx, selectPage))
	if errors.Is(err, sql.ErrNoRows) {
		return Page{}, fmt.Errorf("components: page: %w", ErrNotFound)
	}
	if err != nil {
		return Page{}, fmt.Errorf("components: page: %w", err)
	}
	return p.Page, nil
}

// FollowURL records url as the configured base URL and makes it the
// page's URL unless staff set one. The server calls it at each start, so
// a page first created by `beacon demo` or under another base URL takes
// the configuration in force; one-shot commands, which may run with
// another environment beside the server, do not.
func (s *Service) FollowURL(ctx context.Context, url string) (Page, error) {
	in := PageInput{URL: &url}
	if err := in.Validate(); err != nil {
		return Page{}, err
	}
	if url == "" {
		return Page{}, invalid("url", "can't be blank")
	}
	var changed bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		changed = false // the closure may run again (see store.DB.Tx)
		p, err := scanPage(tx.QueryRowContext(ctx, selectPage))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("components: follow url: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("components: follow url: %w", err)
		}
		newURL := p.URL
		if !p.URLExplicit {
			newURL = url
		}
		if p.configuredURL == url && newURL == p.URL {
			return nil
		}
		changed = newURL != p.URL
		updatedAt := p.UpdatedAt
		if changed {
			updatedAt = s.now()
		}
		_, err = tx.ExecContext(ctx, `UPDATE pages SET url = ?, configured_url = ?, updated_at = ? WHERE id = ?`,
			newURL, url, store.FormatTime(updatedAt), p.ID)
		if err != nil {
			return fmt.Errorf("components: follow url: %w", err)
		}
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	if changed {
		s.changed()
	}
	return s.Page(ctx)
}

// UpdatePage changes the page's settings. A URL that differs from the
// page's makes it the staff's own, kept whatever the configuration says;
// an empty URL hands it back to the configured base URL.
func (s *Service) UpdatePage(ctx context.Context, in PageInput) (Page, error) {
	if err := in.Validate(); err != nil {
		return Page{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPage(tx.QueryRowContext(ctx, selectPage))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("components: update page: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("components: update page: %w", err)
		}
		apply(&p.Name, in.Name)
		switch {
		case in.URL == nil || *in.URL == p.URL:
			// Unchanged: a form that sends every field back does not make
			// a URL that follows the configuration the staff's own.
		case *in.URL == "":
			p.URLExplicit = false
			if p.configuredURL != "" {
				p.URL = p.configuredURL
			}
		default:
			p.URL, p.URLExplicit = *in.URL, true
		}
		apply(&p.TimeZone, in.TimeZone)
		apply(&p.SupportURL, in.SupportURL)
		apply(&p.LogoURL, in.LogoURL)
		apply(&p.AccentColor, in.AccentColor)
		apply(&p.EmailFooter, in.EmailFooter)
		apply(&p.Language, in.Language)
		_, err = tx.ExecContext(ctx, `UPDATE pages SET name = ?, url = ?, url_explicit = ?, time_zone = ?, support_url = ?, logo_url = ?,
			accent_color = ?, email_footer = ?, language = ?, updated_at = ? WHERE id = ?`, p.Name, p.URL, p.URLExplicit, p.TimeZone, p.SupportURL,
			p.LogoURL, p.AccentColor, p.EmailFooter, p.Language, store.FormatTime(s.now()), p.ID)
		if err != nil {
			return fmt.Errorf("components: update page: %w", err)
		}
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	s.changed()
	return s.Page(ctx)
}
