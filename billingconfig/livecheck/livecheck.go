// Package livecheck compares a catalogue's keys (a billing config's, or a
// generated package's) with the live catalogue of an app or the platform:
// the drift check of guapocado generate go -check.
package livecheck

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/billingconfig"
)

// Difference is one key on which a catalogue and the live one disagree.
type Difference struct {
	// Key is the entitlement or product key.
	Key string
	// Product is true for a product key, false for an entitlement key.
	Product bool
	// Want is the kind in the catalogue (a Kind or a PricingMode), empty
	// when the catalogue lacks the key.
	Want string
	// Live is the kind in the live catalogue, empty when it lacks the key.
	// A quantity whose plans give neither overage nor expansion terms is
	// "meter or limit": it agrees with both.
	Live string
}

func (d Difference) String() string {
	what := "entitlement"
	if d.Product {
		what = "product"
	}
	switch {
	case d.Live == "":
		return fmt.Sprintf("%s %q (%s) is missing from the live catalogue", what, d.Key, d.Want)
	case d.Want == "":
		return fmt.Sprintf("%s %q (%s) is live but missing from the catalogue", what, d.Key, d.Live)
	default:
		return fmt.Sprintf("%s %q is a %s in the catalogue but a %s live", what, d.Key, d.Want, d.Live)
	}
}

// DriftError lists every difference between a catalogue and the live one.
type DriftError struct {
	Differences []Difference
}

func (e *DriftError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "livecheck: the catalogue and the live one differ on %d key(s):", len(e.Differences))
	for _, d := range e.Differences {
		b.WriteString("\n\t")
		b.WriteString(d.String())
	}
	return b.String()
}

// quantity is the live kind of an entitlement whose plans do not tell a
// meter from a limit.
const quantity = "meter or limit"

// Check reads the live catalogue that b serves (Plans.List of an app or
// of the platform) and compares it with want. It returns a *DriftError
// naming every key that is missing, or of another kind, on either side;
// nil when they agree; any other error when the catalogue could not be
// read.
//
// The live catalogue shows entitlements through the plans that use them:
// a boolean is a feature, a quantity with overage terms a meter, with
// expansion terms a limit. An entitlement that no live plan uses counts as
// missing.
func Check(ctx context.Context, b *guapocado.Billing, want billingconfig.Keys) error {
	plans, err := b.Plans.List(ctx)
	if err != nil {
		return err
	}
	if diffs := Compare(want, plans); len(diffs) > 0 {
		return &DriftError{Differences: diffs}
	}
	return nil
}

// Compare compares want with a live catalogue's plans, sorted by kind of
// key and key. Check is Compare over Plans.List.
func Compare(want billingconfig.Keys, plans []guapocado.Plan) []Difference {
	live := liveKeys(plans)
	var diffs []Difference
	for _, key := range slices.Sorted(maps.Keys(unionKeys(want.Entitlements, live.ents))) {
		w, l := string(want.Entitlements[key]), live.ents[key]
		if w == l || (l == quantity && (w == string(billingconfig.KindMeter) || w == string(billingconfig.KindLimit))) {
			continue
		}
		diffs = append(diffs, Difference{Key: key, Want: w, Live: l})
	}
	for _, key := range slices.Sorted(maps.Keys(unionKeys(want.Products, live.products))) {
		w, l := string(want.Products[key]), live.products[key]
		if w != l {
			diffs = append(diffs, Difference{Key: key, Product: true, Want: w, Live: l})
		}
	}
	return diffs
}

type live struct {
	ents     map[string]string
	products map[string]string
}

func liveKeys(plans []guapocado.Plan) live {
	l := live{ents: map[string]string{}, products: map[string]string{}}
	for _, p := range plans {
		mode := billingconfig.PricingRecurring
		if pr := p.Config.Pricing; pr != nil && pr.Mode != "" {
			mode = billingconfig.PricingMode(pr.Mode)
		}
		l.products[p.Key] = string(mode)
		for key, e := range p.Config.Entitlements {
			kind := quantity
			switch {
			case e.IsFeature:
				kind = string(billingconfig.KindFeature)
			case e.Overage != nil:
				kind = string(billingconfig.KindMeter)
			case e.Expansion != nil:
				kind = string(billingconfig.KindLimit)
			}
			// One plan's terms settle what another's bare quantity left open.
			if prev, seen := l.ents[key]; !seen || prev == quantity {
				l.ents[key] = kind
			} else if kind != quantity && kind != prev {
				l.ents[key] = prev + " and " + kind
			}
		}
	}
	return l
}

func unionKeys[V1, V2 any](a map[string]V1, b map[string]V2) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}
