package readmodel

import (
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// rankOf is the Record.Rank of a value of kind: what orders two writes of
// one key with an equal SourceTime (the platform's times have millisecond
// precision, so two events of a customer in one millisecond are ordinary).
// It orders the state itself:
//
//   - a usage balance by its period (the reset time, later wins) and then
//     by what was consumed in it (more wins: a consume applied later has
//     consumed more);
//   - a subscription by the start of its current period (a new
//     subscription, such as the active one of a plan change that cancels
//     the old one in the same millisecond, wins over the old) and then by
//     its status's place in the lifecycle (canceled, which ends it, wins).
//
// Other kinds rank 0: the later arrival wins.
func rankOf(kind uint8, v any) int64 {
	switch kind {
	case kUsage:
		if u, ok := v.(*guapocado.Usage); ok && u != nil {
			return usageRank(u)
		}
	case kSubscription:
		if s, ok := v.(*guapocado.Subscription); ok && s != nil {
			return subscriptionRank(s)
		}
	}
	return 0
}

const consumedBits = 30

func usageRank(u *guapocado.Usage) int64 {
	consumed := min(max(u.Consumed+u.Overage, 0), 1<<consumedBits-1)
	return secondsOf(u.Resets)<<consumedBits | consumed
}

func subscriptionRank(s *guapocado.Subscription) int64 {
	return secondsOf(s.CurrentPeriodStart)<<3 | statusRank[s.Status]
}

// statusRank is a subscription status's place in the lifecycle.
var statusRank = map[guapocado.SubscriptionStatus]int64{
	guapocado.StatusIncomplete: 1,
	guapocado.StatusTrialing:   2,
	guapocado.StatusActive:     3,
	guapocado.StatusPastDue:    4,
	guapocado.StatusUnpaid:     5,
	guapocado.StatusCanceled:   6,
}

// secondsOf is t in Unix seconds, within 0 and 2^32 (years 1970 to 2106);
// 0 for nil.
func secondsOf(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return min(max(t.Unix(), 0), 1<<32-1)
}
