package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/billingconfig"
	"github.com/guapocado/guapocado-go/billingconfig/livecheck"
)

// generatedFile is the file `generate go` writes in its output directory.
const generatedFile = "catalogue_gen.go"

// generate runs `guapocado generate go`: the billing config as a Go
// package, or with --check, the config against a live catalogue.
func (a *app) generate(fs *flag.FlagSet) func(args []string) error {
	config := fs.String("config", "billing.json", "the canonical billing config `FILE` to read")
	pkg := fs.String("pkg", "", "the package `NAME` (default: the output directory's name, else billing)")
	out := fs.String("o", ".", "the output directory `DIR`; the package is written to its "+generatedFile)
	check := fs.Bool("check", false, "compare the config's keys with the live catalogue (the app's, or the platform's with an API key) instead of writing code")
	apiKey := fs.String("api-key", "", "with --check: read the platform's catalogue with this secret `KEY` (default: $GUAPOCADO_API_KEY; else the signed-in app's)")
	apiURL := fs.String("api-url", "", "with --check: the platform API's `URL` (default: $GUAPOCADO_API_URL, else "+guapocado.DefaultAPIURL+")")
	return func(args []string) error {
		pos, err := a.positional(args, 1, 1, fs)
		if err != nil {
			return err
		}
		return a.generateGo(pos, *config, *pkg, *out, *check, *apiKey, *apiURL)
	}
}

// generateGo runs generate once its flags are parsed.
func (a *app) generateGo(pos []string, configPath, pkgName, outDir string, check bool, apiKey, apiURL string) error {
	config, pkg, out := &configPath, &pkgName, &outDir
	if pos[0] != "go" {
		return usagef("generate: unknown target %q (want: generate go)", pos[0])
	}
	cfg, err := billingconfig.Load(*config)
	if err != nil {
		return failf(exitFailure, "invalid_config", "generate: %s", strings.TrimPrefix(err.Error(), "billingconfig: "))
	}
	if check {
		return a.generateCheck(cfg, apiKey, apiURL)
	}
	name := *pkg
	if name == "" {
		name = "billing"
		if base := filepath.Base(filepath.Clean(*out)); base != "." && base != string(filepath.Separator) {
			name = strings.ReplaceAll(base, "-", "")
		}
	}
	// The header names the command as given, without machine paths, so the
	// same config generates the same bytes on every machine.
	src := *config
	if filepath.IsAbs(src) {
		src = filepath.Base(src)
	}
	code, err := billingconfig.GenerateGo(cfg, billingconfig.GoOptions{
		Package: name,
		Command: fmt.Sprintf("guapocado generate go -config %s -pkg %s", filepath.ToSlash(src), name),
	})
	if err != nil {
		return failf(exitFailure, "generate", "generate: %s", strings.TrimPrefix(err.Error(), "billingconfig: "))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return failf(exitFailure, "output", "generate: %v", err)
	}
	path := filepath.Join(*out, generatedFile)
	if err := writeFileAtomic(path, code, 0o644); err != nil {
		return failf(exitFailure, "output", "generate: %v", err)
	}
	if a.json {
		return a.printJSON(map[string]any{"file": path, "package": name, "bytes": len(code)})
	}
	_, err = fmt.Fprintf(a.stdout, "wrote %s (package %s)\n", path, name)
	return err
}

// generateCheck compares cfg's keys with the live catalogue and fails
// naming every key that differs.
func (a *app) generateCheck(cfg *billingconfig.Config, apiKey, apiURL string) error {
	if apiKey == "" {
		apiKey = a.env("GUAPOCADO_API_KEY")
	}
	var checkErr error
	if apiKey != "" {
		if apiURL == "" {
			apiURL = a.env("GUAPOCADO_API_URL")
		}
		var opts []guapocado.Option
		if apiURL != "" {
			opts = append(opts, guapocado.WithAPIURL(apiURL))
		}
		api, err := guapocado.NewAPIClient(apiKey, opts...)
		if err != nil {
			return usagef("generate --check: %s", clean(err.Error()))
		}
		defer api.CloseIdleConnections()
		checkErr = livecheck.Check(a.ctx(), &api.Billing, cfg.Keys())
	} else if err := a.withSession("", func(_ *storedSession, c *guapocado.Client) error {
		checkErr = livecheck.Check(a.ctx(), &c.Billing, cfg.Keys())
		var drift *livecheck.DriftError
		if errors.As(checkErr, &drift) {
			return nil // a finding, not a failed call
		}
		return checkErr
	}); err != nil {
		return err
	}
	var drift *livecheck.DriftError
	switch {
	case errors.As(checkErr, &drift):
		if a.json {
			if err := a.printJSON(map[string]any{"agree": false, "differences": drift.Differences}); err != nil {
				return err
			}
			return failf(exitFailure, "drift", "generate --check: the config and the live catalogue differ on %d key(s)", len(drift.Differences))
		}
		lines := make([]string, len(drift.Differences))
		for i, d := range drift.Differences {
			lines[i] = "  " + d.String()
		}
		return failf(exitFailure, "drift", "generate --check: the config and the live catalogue differ on %d key(s):\n%s", len(lines), strings.Join(lines, "\n"))
	case checkErr != nil:
		return explain(a.ctx(), checkErr, "")
	}
	if a.json {
		return a.printJSON(map[string]any{"agree": true})
	}
	_, err := fmt.Fprintf(a.stdout, "the config and the live catalogue agree (%d entitlements, %d products)\n", len(cfg.Entitlements), len(cfg.Products))
	return err
}
