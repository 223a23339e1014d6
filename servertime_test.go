package guapocado_test

import (
	"context"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

func TestWithServerTime(t *testing.T) {
	srv := guapocadotest.NewServer(guapocadotest.WithClockSkew(0)) // Date follows the server's clock
	defer srv.Close()
	at := time.Date(2026, 3, 1, 12, 0, 7, 900_000_000, time.UTC)
	srv.SetNow(at) // the server's clock, far from this machine's
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("cus_1"))
	if err != nil {
		t.Fatal(err)
	}
	var got time.Time
	if _, err := api.Has(guapocado.WithServerTime(context.Background(), &got), "csv-export"); err != nil {
		t.Fatal(err)
	}
	if want := at.Truncate(time.Second); !got.Equal(want) {
		t.Fatalf("server time = %s, want %s (the answer's Date)", got, want)
	}
	var none time.Time
	if _, err := api.Has(context.Background(), "csv-export"); err != nil || !none.IsZero() {
		t.Fatalf("a call without WithServerTime: %v", err)
	}
}
