package guapocado_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// echoingProxy is a fault that answers 502 the way a proxy that copies
// request headers into its answer would: x-request-id and the message
// carry the request's credentials.
func echoingProxy(header string, long bool) func(r *http.Request) *guapocadotest.Fault {
	return func(r *http.Request) *guapocadotest.Fault {
		v := r.Header.Get(header)
		id := "req-" + v
		if long {
			id += strings.Repeat("x", 4000)
		}
		return &guapocadotest.Fault{Status: http.StatusBadGateway, Body: `{"message":"upstream refused ` + strings.ReplaceAll(v, `"`, `'`) + `"}`,
			Header: http.Header{"X-Request-Id": {id + "\r\nX-Injected: 1"}}}
	}
}

// Issue 23 item 10: the server's x-request-id goes through the redaction
// and the length bound of the server's message, in Error() and in the
// field.
func TestRequestIDIsRedactedAndBounded(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	bearer := newSDK(t, srv, guapocado.WithBearerToken(sess.Token), guapocado.WithRetry(0, 0, 0))
	cookie := newSDK(t, srv, guapocado.WithSessionToken(sess.Token), guapocado.WithRetry(0, 0, 0))
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("cus_rid"), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	tok := sess.Token
	secrets := []string{tok, url.QueryEscape(tok), strings.SplitN(tok, ".", 2)[0], srv.APIKey()}
	for _, tc := range []struct {
		name   string
		header string
		call   func() error
	}{
		{"bearer", "Authorization", func() error { _, err := bearer.Usage.Balance(context.Background(), "api-calls"); return err }},
		{"cookie", "Cookie", func() error { _, err := cookie.Usage.Balance(context.Background(), "api-calls"); return err }},
		{"API key", "X-Guapocado-Key", func() error { _, err := api.Usage.Balance(context.Background(), "api-calls"); return err }},
	} {
		for _, long := range []bool{false, true} {
			srv.SetFaultFunc(echoingProxy(tc.header, long))
			err := tc.call()
			srv.SetFaultFunc(nil)
			var e *guapocado.Error
			if !errors.As(err, &e) || e.StatusCode != http.StatusBadGateway || !strings.HasPrefix(e.RequestID, "req-") {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, s := range secrets {
				for what, text := range map[string]string{"Error()": err.Error(), "RequestID": e.RequestID, "Message": e.Message} {
					if strings.Contains(text, s) {
						t.Errorf("%s (long %v): %s shows a credential (%d bytes): %s", tc.name, long, what, len(s), text)
					}
				}
			}
			if !strings.Contains(e.RequestID, "[redacted]") || len(e.RequestID) > 256+len("…") || strings.ContainsAny(e.RequestID, "\r\n") {
				t.Errorf("%s (long %v): request id %q (%d bytes)", tc.name, long, e.RequestID, len(e.RequestID))
			}
		}
	}
}
