package components

import (
	"database/sql"
	"math"
	"strconv"
	"strings"
)

// An SLA target is the uptime a component is meant to keep each month, as
// a percentage above 0 and at most 100 with at most three decimals (99.9,
// 99.95, 99.999). It is stored in thousandths of a percent, exactly.
const slaScale = 1000

// validSLATarget refuses a target that is no percentage or has more than
// three decimals.
func validSLATarget(v float64) error {
	// The check is on the stored figure, thousandths: a target as tiny
	// as 1e-10 is above 0 but is stored as 0, which is no target.
	scaled := v * slaScale
	n := math.Round(scaled)
	if math.IsNaN(v) || math.IsInf(v, 0) || n < 1 || n > 100*slaScale {
		return invalid("sla_target", "must be a percentage above 0 and at most 100")
	}
	if math.Abs(scaled-n) > 1e-6 {
		return invalid("sla_target", "may have at most 3 decimals")
	}
	return nil
}

// ParseSLATarget reads a target as a form's field holds it ("99.9", or
// "99.9 %"): nil for a blank field, which means no target.
func ParseSLATarget(s string) (*float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, invalid("sla_target", "must be a percentage such as 99.9")
	}
	if err := validSLATarget(v); err != nil {
		return nil, err
	}
	return &v, nil
}

// slaColumn is target as the sla_target_thousandths column holds it.
func slaColumn(target *float64) any {
	if target == nil {
		return nil
	}
	return int64(math.Round(*target * slaScale))
}

// slaTarget reads the sla_target_thousandths column.
func slaTarget(n sql.NullInt64) *float64 {
	if !n.Valid {
		return nil
	}
	v := float64(n.Int64) / slaScale
	return &v
}

// MissedSLA reports whether u, an uptime of c, is below c's SLA target:
// its exact figure, not the figure rounded for showing, is lower than the
// target (99.856 misses 99.86; 99.9912 keeps 99.991). A component without
// a target, or a span without data, misses nothing.
func (c Component) MissedSLA(u Uptime) bool {
	// The figure cut at the target's decimals is below the target exactly
	// when the exact figure is, and it is the figure shown beside it.
	return c.SLATarget != nil && u.Tracked > 0 && c.SLAPercent(u) < *c.SLATarget-0.5/slaScale
}

// SLADecimals is how many decimals a figure compared with c's target
// shows: 2, or 3 when the target has three (99.995).
func (c Component) SLADecimals() int {
	if c.SLATarget != nil {
		if n := int64(math.Round(*c.SLATarget * slaScale)); n%10 != 0 {
			return 3
		}
	}
	return 2
}

// SLAPercent is u's figure as shown beside c's target: SLADecimals
// decimals, cut rather than rounded, so that a month below the target
// never shows a figure at or above it (99.856 shows as 99.85 beside 99.86,
// not as 99.86).
func (c Component) SLAPercent(u Uptime) float64 {
	if u.Tracked <= 0 {
		return 100
	}
	scale := math.Pow10(c.SLADecimals())
	exact := float64(u.Tracked-u.Downtime()) / float64(u.Tracked) * 100
	// The small allowance keeps a figure such as 99.86, which floating
	// point may hold as 99.85999…, at 99.86.
	return math.Floor(exact*scale+1e-6) / scale
}
