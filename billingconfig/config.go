package billingconfig

import (
	"encoding/json"
	"fmt"
	"os"
)

// SchemaVersion is the version of the canonical billing config this package
// reads. A file of another version is refused.
const SchemaVersion = 1

// Kind is what an entitlement is: a feature (on or off), a meter (a balance
// that is consumed and may reset) or a limit (a quantity such as seats).
type Kind string

// The kinds of entitlement.
const (
	KindFeature Kind = "feature"
	KindMeter   Kind = "meter"
	KindLimit   Kind = "limit"
)

// Reset is how often a meter's balance resets.
type Reset string

// The resets a meter may have. A meter without one never resets.
const (
	ResetDaily   Reset = "daily"
	ResetWeekly  Reset = "weekly"
	ResetMonthly Reset = "monthly"
)

// PricingMode is how a product is sold.
type PricingMode string

// The pricing modes. A product without pricing is free: it is changed to,
// never checked out.
const (
	// PricingRecurring is a subscription plan, checked out and changed to.
	PricingRecurring PricingMode = "recurring"
	// PricingOneTime is a pack bought once (credits), checked out.
	PricingOneTime PricingMode = "one_time"
	// PricingCustom is a "contact sales" tier: no price, no checkout.
	PricingCustom PricingMode = "custom"
)

// Config is a validated canonical billing config.
type Config struct {
	Version int
	// Entitlements are the definitions, by key.
	Entitlements map[string]Entitlement
	// Products in the order of the file.
	Products []Product
}

// Entitlement is the definition of one entitlement key.
type Entitlement struct {
	Type Kind
	// Reset is set for meters that reset; empty for a meter that never
	// resets, and for features and limits.
	Reset Reset
	// Metadata is the definition's metadata as written, or nil.
	Metadata json.RawMessage
}

// Product is a plan, a pack or a custom tier of the catalogue.
type Product struct {
	Key  string
	Name string
	// Pricing is nil for a product without pricing (a free plan).
	Pricing *Pricing
	// Entitlements are the product's values, by entitlement key.
	Entitlements map[string]Value
	Metadata     json.RawMessage
}

// Mode is the product's pricing mode; a product without pricing is recurring
// (a free plan).
func (p Product) Mode() PricingMode {
	if p.Pricing == nil {
		return PricingRecurring
	}
	return p.Pricing.Mode
}

// Pricing is a product's price.
type Pricing struct {
	// Mode defaults to recurring when the file leaves it out.
	Mode PricingMode
	// Type is "flat", "per_seat" or "usage"; optional for custom tiers.
	Type string
	// Amount in the currency's smallest unit; nil when not given.
	Amount   *int64
	Currency string
	// Frequency is "month" or "year" for recurring pricing (the deprecated
	// "interval" is read as Frequency).
	Frequency string
	// Contact is the "contact sales" link of a custom tier.
	Contact string
}

// Value is a product's value for one entitlement: Enabled for a feature,
// Included (with Overage for a meter, Expansion for a limit) otherwise.
type Value struct {
	Enabled   bool
	Included  int64
	Overage   *Terms
	Expansion *Terms
}

// Terms price the units beyond the included ones: overage of a meter,
// expansion of a limit.
type Terms struct {
	Allowed bool
	// Unit is how many units one Amount buys.
	Unit     int64
	Amount   int64
	Currency string
}

// Load reads and validates the canonical billing config in the named file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("billingconfig: %w", err)
	}
	cfg, err := Parse(b)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok {
			ve.File = path
		}
		return nil, err
	}
	return cfg, nil
}

// Parse validates the canonical billing config in b. Every problem is
// reported at once, each with its place, in a *ValidationError.
func Parse(b []byte) (*Config, error) {
	p := &parser{}
	cfg := p.config(b)
	if len(p.problems) > 0 {
		return nil, &ValidationError{Problems: p.problems}
	}
	return cfg, nil
}
