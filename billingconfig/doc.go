// Package billingconfig reads the canonical billing config, billing.json,
// and turns it into Go.
//
// The canonical billing config is the language-agnostic JSON that Guapocado
// persists a catalogue as (upstream writes it from billing.config.ts):
//
//	{
//	  "version": 1,
//	  "entitlements": {
//	    "advanced-analytics": {"type": "feature"},
//	    "api-calls": {"type": "meter", "reset": "monthly"},
//	    "seats": {"type": "limit"}
//	  },
//	  "products": [
//	    {"key": "free", "entitlements": {"advanced-analytics": false, "api-calls": {"included": 1000}, "seats": {"included": 1}}},
//	    {"key": "pro", "pricing": {"mode": "recurring", "type": "flat", "amount": 4900, "currency": "usd", "frequency": "month"},
//	     "entitlements": {"advanced-analytics": true, "api-calls": {"included": 100000, "overage": {"allowed": true, "unit": 10000, "amount": 500, "currency": "usd"}},
//	                      "seats": {"included": 10, "expansion": {"allowed": true, "unit": 1, "amount": 1200, "currency": "usd"}}}}
//	  ]
//	}
//
// [Parse] and [Load] validate it completely and report every problem with
// its place in the file ([*ValidationError]). [GenerateGo] writes a small
// Go package with a type per kind of key and a constant per key, so that
// consuming a feature or checking a meter does not compile; the guapocado
// command runs it as
//
//	guapocado generate go -config billing.json -pkg billing -o billing/
//
// and from a //go:generate line. Package [github.com/guapocado/guapocado-go/billingconfig/livecheck] compares a catalogue's keys
// with the live catalogue of an app or the platform and names every key
// that is missing, or of another kind, on either side (guapocado generate go
// -check).
package billingconfig
