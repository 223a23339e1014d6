package guapocadotest

import "time"

// resetPeriod is how often a meter's balance resets: never, or at the
// first instant (UTC) of the next day, week (Monday) or month.
type resetPeriod string

const (
	resetNever   resetPeriod = ""
	resetDaily   resetPeriod = "daily"
	resetWeekly  resetPeriod = "weekly"
	resetMonthly resetPeriod = "monthly"
)

// start is the first instant of the period that holds t.
func (r resetPeriod) start(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch r {
	case resetDaily:
		return day
	case resetWeekly:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // back to Monday
	default:
		return monthStart(t)
	}
}

// next is the first instant of the period after the one starting at start.
func (r resetPeriod) next(start time.Time) time.Time {
	switch r {
	case resetDaily:
		return start.AddDate(0, 0, 1)
	case resetWeekly:
		return start.AddDate(0, 0, 7)
	default:
		return start.AddDate(0, 1, 0)
	}
}
