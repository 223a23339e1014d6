package livecheck_test

import (
	"context"
	"errors"
	"fmt"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/billingconfig"
	"github.com/guapocado/guapocado-go/billingconfig/livecheck"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// Check is the drift check: the keys of a config (or of a generated
// package, through its Catalogue function) against the catalogue an app or
// the platform serves.
func ExampleCheck() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}
	cfg, err := billingconfig.Load("../testdata/better-auth-app.json")
	if err != nil {
		panic(err)
	}
	err = livecheck.Check(context.Background(), &api.Billing, cfg.Keys())
	var drift *livecheck.DriftError
	if errors.As(err, &drift) {
		for _, d := range drift.Differences {
			fmt.Println(d)
		}
	}
	// Output:
	// entitlement "ai-credits" (meter or limit) is live but missing from the catalogue
	// entitlement "csv-export" (feature) is live but missing from the catalogue
	// entitlement "projects" (limit) is live but missing from the catalogue
	// product "credits-pack" (one_time) is live but missing from the catalogue
	// product "enterprise" (custom) is live but missing from the catalogue
}
