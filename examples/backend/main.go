// Command backend is a small Go HTTP service beside a Better Auth app
// running the Guapocado plugin. It acts for the signed-in user of each
// request, with the user's own Better Auth session, and bills their active
// organization:
//
//	POST /api/generate  consumes 1 "ai-credits" per call (402 when none are left)
//	GET  /api/report    requires the "advanced-analytics" feature (403 without it)
//	GET  /api/billing   the caller's credits and features, read with ForRequest
//
// Run it with the app's URL:
//
//	GUAPOCADO_BASE_URL=https://app.example.com ADDR=127.0.0.1:8081 go run ./examples/backend
//
// The browser must send the Better Auth session cookies to it, so serve it
// on the app's site (for example behind the same reverse proxy, under
// /api/*), or call it with "Authorization: Bearer <token>" where the app
// runs Better Auth's bearer plugin. Refusals are JSON bodies such as
// {"error":"insufficient_balance","message":"…","key":"ai-credits","amount":1}:
// see guapocado.MiddlewareError.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serve(os.Getenv, log); err != nil {
		log.Error("backend stopped", "err", err)
		os.Exit(1)
	}
}

// serve runs the service configured by the environment until interrupted.
func serve(env func(string) string, log *slog.Logger) error {
	base := env("GUAPOCADO_BASE_URL")
	if base == "" {
		return errors.New("set GUAPOCADO_BASE_URL to the Better Auth app's URL")
	}
	addr := env("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	c, err := guapocado.NewClient(base)
	if err != nil {
		return err
	}
	h, err := newHandler(c, log)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("backend listening", "addr", addr, "app", base)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// service holds what the handlers share.
type service struct {
	c   *guapocado.Client // the app's client, with no session of its own
	log *slog.Logger
}

// newHandler is the service's routes, billed through c.
func newHandler(c *guapocado.Client, log *slog.Logger) (http.Handler, error) {
	s := &service{c: c, log: log}
	logBilling := guapocado.OnBillingError(func(r *http.Request, err error) {
		log.Warn("billing call failed", "method", r.Method, "path", r.URL.Path, "err", err)
	})
	metered, err := c.Middleware(
		guapocado.ConsumeUsage("ai-credits", 1),
		guapocado.RefundOnServerError(), // a failed generation costs nothing
		logBilling,
	)
	if err != nil {
		return nil, err
	}
	entitled, err := c.Middleware(guapocado.RequireFeature("advanced-analytics"), logBilling)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /api/generate", metered(http.HandlerFunc(s.generate)))
	mux.Handle("GET /api/report", entitled(http.HandlerFunc(s.report)))
	mux.HandleFunc("GET /api/billing", s.billing)
	return sameOrigin(mux), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// generate is the metered work: the middleware has consumed one credit.
func (s *service) generate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Prompt string `json:"prompt"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || strings.TrimSpace(in.Prompt) == "" {
		// Not served: give the credit back (RefundOnServerError only
		// covers 5xx answers).
		gc, _ := guapocado.ClientFromContext(r.Context())
		if _, err := gc.Usage.Refund(r.Context(), "ai-credits", 1); err != nil {
			s.log.Warn("refund after a bad request failed", "err", err)
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request", "message": `send {"prompt": "..."}`})
		return
	}
	u, _ := guapocado.UsageFromContext(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{
		"text":    fmt.Sprintf("Here is a poem about %s.", in.Prompt),
		"credits": map[string]any{"balance": u.Balance, "consumed": u.Consumed, "resets": u.Resets},
	})
}

// report is the gated page: the middleware checked advanced-analytics.
func (s *service) report(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"report": "advanced analytics", "rows": []int{3, 1, 4, 1, 5}})
}

// billing reads the caller's billing with ForRequest directly, in one call.
func (s *service) billing(w http.ResponseWriter, r *http.Request) {
	bc, err := s.c.ForRequest(r).Snapshot(r.Context(), &guapocado.SnapshotParams{
		Features:     []string{"advanced-analytics", "csv-export"},
		Usage:        []string{"ai-credits"},
		IncludePlans: guapocado.Ptr(false),
	})
	switch {
	case errors.Is(err, guapocado.ErrNoCustomer):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": guapocado.CodeNoActiveOrganization, "message": "Choose an organization first."})
		return
	case errors.Is(err, guapocado.ErrUnauthorized):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": guapocado.CodeUnauthenticated, "message": "Sign in first."})
		return
	case errors.Is(err, guapocado.ErrInvalidAPIKey): // the app's key was refused: not the user's doing
		s.log.Error("billing is misconfigured: the app's Guapocado API key was refused", "err", err)
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": guapocado.CodeBillingError, "message": "Billing is misconfigured."})
		return
	case err != nil:
		s.log.Warn("billing context failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": guapocado.CodeBillingUnavailable, "message": "Try again later."})
		return
	}
	plan := ""
	if bc.Subscription != nil {
		plan = bc.Subscription.PlanKey
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"customerId":   bc.CustomerID,
		"features":     bc.Features,
		"aiCredits":    bc.Usage["ai-credits"],
		"subscription": plan,
	})
}

// sameOrigin refuses state-changing requests sent by another site's page:
// the routes are authenticated by the browser's cookies. (On Go 1.25+,
// http.CrossOriginProtection does the same.)
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		cross := false
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
			cross = site != "same-origin" && site != "none"
		} else if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			cross = err != nil || u.Host != r.Host
		}
		if cross {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross_origin", "message": "Cross-origin request refused."})
			return
		}
		next.ServeHTTP(w, r)
	})
}
