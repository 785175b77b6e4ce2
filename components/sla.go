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
// its figure as shown (Percent, two decimals) is lower than the target. A
// component without a target, or a span without data, misses nothing.
func (c Component) MissedSLA(u Uptime) bool {
	return c.SLATarget != nil && u.Tracked > 0 && u.Percent() < *c.SLATarget
}
