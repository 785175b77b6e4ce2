package admin

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/screen"
)

// auditPages are the audit log screen: who changed what, newest first.
type auditPages struct {
	*screen.Frame
	accounts *accounts.Store
}

// auditScreen is a page of the audit log.
type auditScreen struct {
	Entries []auditRow
	NextURL string
}

type auditRow struct {
	At, Actor, Action, Target, IP string
}

const auditPerPage = 100

func (h *auditPages) getAudit(c *fiber.Ctx) error {
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	entries, err := h.accounts.Audit(c.UserContext(), before, auditPerPage)
	if err != nil {
		return err
	}
	loc := h.Location(c)
	var s auditScreen
	for _, e := range entries {
		s.Entries = append(s.Entries, auditRow{At: e.At.In(loc).Format("2006-01-02 15:04:05 MST"), Actor: e.Actor, Action: e.Action,
			Target: e.Target, IP: e.IP})
	}
	if len(entries) == auditPerPage {
		s.NextURL = "/console/audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	return h.Render(c, fiber.StatusOK, "audit", screen.View{Title: h.T(c, "console.nav.audit"), Section: "audit", Data: s})
}
