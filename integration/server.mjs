// A real Better Auth server for the Go SDK's integration tests: email and
// password, organizations with teams, bearer tokens and the harness's
// Guapocado plugin, on an in-memory database, on 127.0.0.1.
//
// Environment:
//   PORT                  port to listen on; 0 or unset picks a free one
//   BA_BASE_URL_SCHEME    "https" sets baseURL to https://127.0.0.1:<port>
//                         (the listener stays plain HTTP), so cookies get
//                         the __Secure- prefix; default "http"
//   GUAP_CUSTOMER_SOURCE  organization (default) | team | user
//   GUAP_WEBHOOK_SECRET   enables the /guap webhook receiver with this
//                         signing secret; unset, GET /guap answers
//                         {"enabled":false}
//   BETTER_AUTH_SECRET    Better Auth's secret; a random one by default
//   BA_COOKIE_PREFIX      advanced.cookiePrefix (default "better-auth")
//   BA_NO_BEARER          "1" leaves the bearer plugin out
//   BA_CORS_ORIGINS       comma-separated page origins: answered with CORS
//                         headers (credentials, set-auth-token and the retry
//                         delays exposed, preflights) and trusted
//   (the deviceAuthorization plugin is always on, polling interval 1 s)
//   NODE_ENV              passed through untouched ("production" turns
//                         Better Auth's rate limiter on)
//
// When ready it prints exactly one line on stdout:
//   LISTENING http://127.0.0.1:<port> BASEURL <baseURL>
// It exits on SIGTERM, SIGINT, and when its stdin closes, so that a parent
// that dies without cleaning up leaves no server behind.

import { randomBytes } from "node:crypto";
import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { getAuthTables } from "better-auth/db";
import { toNodeHandler } from "better-auth/node";
import { bearer, deviceAuthorization, organization } from "better-auth/plugins";
import { guapocado } from "./guapocado-plugin.mjs";

const HOST = "127.0.0.1";

function die(message) {
  process.stderr.write(`server: ${message}\n`);
  process.exit(2);
}

function config(env) {
  const port = env.PORT === undefined || env.PORT === "" ? 0 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) die("PORT must be an integer from 0 to 65535");
  const scheme = env.BA_BASE_URL_SCHEME || "http";
  if (scheme !== "http" && scheme !== "https") die("BA_BASE_URL_SCHEME must be http or https");
  const customerSource = env.GUAP_CUSTOMER_SOURCE || "organization";
  if (!["organization", "team", "user"].includes(customerSource)) {
    die("GUAP_CUSTOMER_SOURCE must be organization, team or user");
  }
  return {
    port,
    scheme,
    customerSource,
    webhookSecret: env.GUAP_WEBHOOK_SECRET || null,
    cookiePrefix: env.BA_COOKIE_PREFIX || null,
    bearer: env.BA_NO_BEARER !== "1",
    corsOrigins: (env.BA_CORS_ORIGINS || "").split(",").map((o) => o.trim()).filter(Boolean),
    secret: env.BETTER_AUTH_SECRET || randomBytes(32).toString("hex"),
  };
}

function createAuth(cfg, baseURL) {
  const options = {
    baseURL,
    basePath: "/api/auth",
    secret: cfg.secret,
    trustedOrigins: [baseURL, ...cfg.corsOrigins],
    emailAndPassword: { enabled: true },
    plugins: [
      organization({ teams: { enabled: true } }),
      ...(cfg.bearer ? [bearer()] : []),
      deviceAuthorization({ interval: "1s" }),
      guapocado({ customerSource: cfg.customerSource, webhookSecret: cfg.webhookSecret }),
    ],
    telemetry: { enabled: false },
  };
  if (cfg.cookiePrefix) options.advanced = { cookiePrefix: cfg.cookiePrefix };
  // The memory adapter needs every table up front.
  const db = {};
  for (const table of Object.values(getAuthTables(options))) db[table.modelName] = [];
  return betterAuth({ ...options, database: memoryAdapter(db) });
}

function main() {
  const cfg = config(process.env);
  let handle = null;
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    // Every answer depends on Origin once CORS is on: a cache must not
    // serve one origin's answer to another.
    if (cfg.corsOrigins.length > 0) res.setHeader("Vary", "Origin");
    if (origin && cfg.corsOrigins.includes(origin)) {
      // What an app serving a page on another origin adds in front of Better Auth.
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Allow-Credentials", "true");
      if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
        res.setHeader("Vary", ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]);
        res.setHeader("Access-Control-Allow-Methods", "GET, POST");
        res.setHeader("Access-Control-Allow-Headers", "Content-Type, Authorization");
        res.setHeader("Access-Control-Max-Age", "600");
        return res.writeHead(204).end();
      }
      res.setHeader("Access-Control-Expose-Headers", "set-auth-token, X-Retry-After, Retry-After");
    }
    if (handle) return handle(req, res);
    res.writeHead(503).end();
  });

  let stopping = false;
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`server: stopping (${why})\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.stdin.on("end", () => stop("stdin closed"));
  process.stdin.on("close", () => stop("stdin closed"));
  process.stdin.on("error", () => stop("stdin error"));
  process.stdin.resume();

  server.on("error", (err) => die(`listen: ${err.message}`));
  server.listen(cfg.port, HOST, () => {
    const { port } = server.address();
    const listenURL = `http://${HOST}:${port}`;
    const baseURL = `${cfg.scheme}://${HOST}:${port}`;
    handle = toNodeHandler(createAuth(cfg, baseURL));
    process.stdout.write(`LISTENING ${listenURL} BASEURL ${baseURL}\n`);
  });
}

main();
