package console

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// subscriberPages are the subscribers screen: search with counts, import
// and export as CSV, and removing one.
type subscriberPages struct {
	*screen.Frame
	components  *components.Service
	subscribers *subscribers.Service
	dispatcher  *notifier.Dispatcher
}

// subscribersScreen is the subscriber search with counts.
type subscribersScreen struct {
	Query, Mode, State string
	List               []subscriberRow
	Total              int
	Page, Pages        int
	PrevURL, NextURL   string
	Counts             []countRow
	Modes, States      []screen.Option
}

type subscriberRow struct {
	ID, Mode, Address, State, Components, Created string
	// Contact is a webhook owner's email address, if given.
	Contact string
	// Languages are the choices of the language its messages are in,
	// its own selected.
	Languages []screen.Option
}

type countRow struct {
	Mode                                           string
	Active, Unconfirmed, Quarantined, Unsubscribed int
}

const subscribersPerPage = 50

func (h *subscriberPages) getSubscribers(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, screen.View{})
}

func (h *subscriberPages) show(c *fiber.Ctx, status int, v screen.View) error {
	ctx := c.UserContext()
	f, err := web.SubscriberFilter(c, "")
	if err == nil {
		f.Offset, f.Limit, err = web.Paging(c, subscribersPerPage)
	}
	if err != nil {
		return h.Message(c, fiber.StatusBadRequest, h.T(c, "console.subscribers.unknown_filter"), h.T(c, "console.subscribers.unknown_filter_body"))
	}
	f.Query, f.Descending = strings.TrimSpace(f.Query), true
	s := subscribersScreen{Query: f.Query, Mode: c.Query("type"), State: c.Query("state"), Page: f.Offset/f.Limit + 1}
	list, err := h.subscribers.List(ctx, f)
	if err != nil {
		return err
	}
	if s.Total, err = h.subscribers.Count(ctx, f); err != nil {
		return err
	}
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	loc := h.Location(c)
	byID := components.ByID(all)
	for _, sub := range list {
		comps := h.T(c, "console.subscribers.all_components")
		if !sub.AllComponents {
			var names []string
			for _, id := range sub.ComponentIDs {
				if comp, ok := byID[id]; ok {
					names = append(names, comp.Name)
				}
			}
			comps = strings.Join(names, ", ")
		}
		s.List = append(s.List, subscriberRow{ID: sub.ID, Mode: string(sub.Mode), Address: sub.Address, State: string(sub.State),
			Components: comps, Created: sub.CreatedAt.In(loc).Format("2006-01-02"), Contact: sub.ContactEmail,
			Languages: h.LanguageOptions(c, sub.Language)})
	}
	s.Pages = max(1, (s.Total+f.Limit-1)/f.Limit)
	link := func(page int) string {
		return "/console/subscribers?q=" + url.QueryEscape(s.Query) + "&type=" + url.QueryEscape(s.Mode) + "&state=" + url.QueryEscape(s.State) + "&page=" + strconv.Itoa(page)
	}
	if s.Page > 1 {
		s.PrevURL = link(s.Page - 1)
	}
	if s.Page < s.Pages {
		s.NextURL = link(s.Page + 1)
	}
	hist, err := h.subscribers.Histogram(ctx)
	if err != nil {
		return err
	}
	for _, m := range channels {
		n := hist[m]
		if !listed(m, n[subscribers.Active]+n[subscribers.Unconfirmed]+n[subscribers.Quarantined]+n[subscribers.Unsubscribed]) {
			continue
		}
		s.Counts = append(s.Counts, countRow{Mode: string(m), Active: n[subscribers.Active], Unconfirmed: n[subscribers.Unconfirmed],
			Quarantined: n[subscribers.Quarantined], Unsubscribed: n[subscribers.Unsubscribed]})
	}
	s.Modes = []screen.Option{{Value: "", ID: "console.subscribers.any_type", Selected: s.Mode == ""}}
	for _, m := range channels {
		s.Modes = append(s.Modes, screen.Option{Value: string(m), Label: m.Label(), Kind: "channel", Selected: s.Mode == string(m)})
	}
	s.States = []screen.Option{{Value: "", ID: "console.subscribers.any_state", Selected: s.State == ""}}
	for _, st := range []subscribers.State{subscribers.Active, subscribers.Unconfirmed, subscribers.Quarantined, subscribers.Unsubscribed} {
		s.States = append(s.States, screen.Option{Value: string(st), ID: "console.subscribers.state_option." + string(st), Selected: s.State == string(st)})
	}
	v.Title, v.Section, v.Data = h.T(c, "console.nav.subscribers"), "subscribers", s
	return h.Render(c, status, "subscribers", v)
}

func (h *subscriberPages) postRemove(c *fiber.Ctx) error {
	sub, err := h.subscribers.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.subscribers.Unsubscribe(c.UserContext(), sub.ID); err != nil {
		return err
	}
	return h.SeeOther(c, "/console/subscribers", h.F(c, "console.subscribers.removed", "Address", sub.Address))
}

// postLanguage sets the language a subscriber's messages are written in
// ("" follows the page's), for one who asked staff for another.
func (h *subscriberPages) postLanguage(c *fiber.Ctx) error {
	language := c.FormValue("language")
	sub, err := h.subscribers.Update(c.UserContext(), c.Params("id"), subscribers.Change{Language: &language})
	if err != nil {
		return screen.Refuse(err, screen.View{}, nil, h.T(c, "console.subscribers.language_not_set"), func(v screen.View) error {
			return h.show(c, fiber.StatusUnprocessableEntity, v)
		})
	}
	name := h.F(c, "console.frame.language_page", "Language", h.Lang(c).Catalogue().Get(h.Page(c).Language).Name())
	if sub.Language != "" {
		name = h.Lang(c).Catalogue().Get(sub.Language).Name()
	}
	return h.SeeOther(c, "/console/subscribers", h.F(c, "console.subscribers.language_set", "Address", sub.Address, "Language", name))
}

func (h *subscriberPages) postImport(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return h.show(c, fiber.StatusUnprocessableEntity, screen.View{Errors: map[string]string{"file": h.T(c, "console.subscribers.choose_file")},
			Error: h.T(c, "console.subscribers.choose_file_lead")})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := h.subscribers.Import(c.UserContext(), f, screen.FormBool(c, "send_confirmation"))
	var ierr *subscribers.ImportError
	if errors.As(err, &ierr) {
		return h.show(c, fiber.StatusUnprocessableEntity, screen.View{Errors: map[string]string{"file": ierr.Error()},
			Error: h.T(c, "console.subscribers.not_imported") + ierr.Error()})
	}
	if err != nil {
		return err
	}
	h.dispatcher.Wake()
	return h.SeeOther(c, "/console/subscribers", h.F(c, "console.subscribers.imported", "Created", strconv.Itoa(res.Created), "Existing", strconv.Itoa(res.Existing)))
}

func (h *subscriberPages) getExport(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := h.subscribers.Export(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscribers.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
