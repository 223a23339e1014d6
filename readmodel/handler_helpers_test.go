package readmodel_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// deliver posts one signed event to h and returns the status.
func deliver(t *testing.T, h http.Handler, secret, id, typ string, createdAt time.Time, data any) int {
	t.Helper()
	req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/webhooks", secret, time.Now(), guapocadotest.WebhookPayload(id, typ, createdAt, data))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}
