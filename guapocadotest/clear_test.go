package guapocadotest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestClearActiveOrganizationTeamMode: as in Better Auth 1.7.25, set-active
// with a null id clears the organization only, so a team-sourced session
// keeps billing its team; Auth.ClearActiveOrganization also clears the team,
// and the session then bills nobody (ErrNoCustomer).
func TestClearActiveOrganizationTeamMode(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerSource("team"))
	defer srv.Close()
	ctx := context.Background()
	sess, err := srv.SignUp("teams@example.test", "password1234", "Tea")
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.CreateOrganization(ctx, "Teams", "teams"); err != nil {
		t.Fatal(err)
	}
	info, err := c.Auth.Session(ctx)
	if err != nil || info == nil || info.Session.ActiveTeamID == "" {
		t.Fatalf("no default team: %+v, %v", info, err)
	}
	team := info.Session.ActiveTeamID

	// The fake: set-active {organizationId:null} leaves the team billed.
	req, _ := http.NewRequest("POST", srv.URL+"/api/auth/organization/set-active", strings.NewReader(`{"organizationId":null}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("set-active null: %d", resp.StatusCode)
	}
	if ref, err := c.Customer.ID(ctx); err != nil || ref == nil || ref.CustomerID != team {
		t.Fatalf("after set-active null only: Customer.ID = %+v, %v; want the team %s (Better Auth keeps it)", ref, err, team)
	}

	// The SDK: neither organization nor team afterwards.
	if _, err := c.Auth.SetActiveOrganizationBySlug(ctx, "teams"); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth.ClearActiveOrganization(ctx); err != nil {
		t.Fatalf("ClearActiveOrganization: %v", err)
	}
	if _, err := c.Has(ctx, "csv-export"); !errors.Is(err, guapocado.ErrNoCustomer) {
		t.Errorf("Has after ClearActiveOrganization: %v, want ErrNoCustomer", err)
	}
	if _, err := c.Usage.Consume(ctx, "api-calls", 1); !errors.Is(err, guapocado.ErrNoCustomer) {
		t.Errorf("Consume after ClearActiveOrganization: %v, want ErrNoCustomer", err)
	}
	info, err = c.Auth.Session(ctx)
	if err != nil || info == nil || info.Session.ActiveOrganizationID != "" || info.Session.ActiveTeamID != "" {
		t.Errorf("session after ClearActiveOrganization: %+v, %v", info, err)
	}
}
