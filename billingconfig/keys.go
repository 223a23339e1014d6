package billingconfig

import (
	"maps"
	"slices"
)

// Keys are the keys of a catalogue with their kinds: what generated code
// was made from, and what livecheck.Check compares with a live catalogue.
type Keys struct {
	// Entitlements by key.
	Entitlements map[string]Kind
	// Products by key, with their pricing mode.
	Products map[string]PricingMode
}

// Keys returns the config's keys with their kinds.
func (c *Config) Keys() Keys {
	k := Keys{Entitlements: map[string]Kind{}, Products: map[string]PricingMode{}}
	for key, def := range c.Entitlements {
		k.Entitlements[key] = def.Type
	}
	for _, p := range c.Products {
		k.Products[p.Key] = p.Mode()
	}
	return k
}

// entitlementKeys returns the keys of one kind, sorted.
func (c *Config) entitlementKeys(kind Kind) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(c.Entitlements)) {
		if c.Entitlements[key].Type == kind {
			out = append(out, key)
		}
	}
	return out
}
