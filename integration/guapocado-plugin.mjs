// A Better Auth server plugin serving the /guapocado/* and /guap endpoints the
// way the real @guapocado/better-auth plugin does (CONTRACT.md sections 1, 2,
// 4 and 5; transcripts.md sections 3, 4, 7 and 8), backed by the in-process
// Ledger instead of the hosted platform.
//
// Bodies are validated with zod 3, as upstream does, so that validation
// failures read exactly like the real plugin's ("[body.amount] Number must be
// greater than 0"). Errors raised here carry {message} only, no code.

import { createHmac, timingSafeEqual } from "node:crypto";
import { APIError, createAuthEndpoint, sessionMiddleware } from "better-auth/api";
import { z } from "zod";
import { Ledger, PlatformError } from "./ledger.mjs";

const CUSTOMER_SOURCES = new Set(["organization", "team", "user"]);
// Platform statuses the plugin passes through; any other becomes 500.
const PASSED_THROUGH = new Set([400, 401, 403, 404, 429]);
const SIGNATURE_TOLERANCE_SECONDS = 300;

const customerId = z.string().optional();
const key = z.string().min(1);
const keyList = z.array(z.string().min(1)).optional();
const amount = z.number().int().positive().optional();

const schemas = {
  customer: z.object({ customerId }),
  context: z.object({
    customerId,
    features: keyList,
    usage: keyList,
    limits: keyList,
    includePlans: z.boolean().optional(),
    includeSubscription: z.boolean().optional(),
    debug: z.boolean().optional(),
  }),
  keyed: z.object({ key, customerId }),
  limitSettings: z.object({
    key,
    customerId,
    purchased: z.number().min(0).optional(),
    autoExpansionEnabled: z.boolean().optional(),
  }),
  amount: z.object({ key, amount, customerId }),
  usageSettings: z.object({ key, overageEnabled: z.boolean(), customerId }),
  subscription: z.object({ customerId }),
  subscriptionChange: z.object({ planKey: z.string().min(1), customerId }),
  checkout: z.object({
    productKey: z.string().optional(),
    planKey: z.string().optional(),
    successUrl: z.string(),
    cancelUrl: z.string(),
    customerId,
  }),
};

function fail(status, message) {
  return new APIError(status, { message });
}

// platformCall runs fn against the ledger and maps a platform failure the way
// the plugin does: 400/401/403/404/429 keep their status, the rest is 500.
async function platformCall(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PlatformError) {
      const status = PASSED_THROUGH.has(err.status) ? err.status : 500;
      throw fail(status, err.message || "Platform error");
    }
    throw err;
  }
}

// sessionCustomerId maps the session to a customer id by source; it returns
// undefined when the session has no active organization or team.
function sessionCustomerId(source, session) {
  if (source === "user") return session?.user?.id || undefined;
  if (source === "team") return session?.session?.activeTeamId || undefined;
  return session?.session?.activeOrganizationId || undefined;
}

// requireCustomer resolves the customer of a request: body.customerId when
// present (not checked against the caller, as upstream), else the session's.
function requireCustomer(ctx, source) {
  const fromBody = ctx.body?.customerId;
  const id = fromBody !== undefined ? fromBody : sessionCustomerId(source, ctx.context.session);
  if (!id) throw fail(401, "Sign in first");
  return id;
}

function requireKey(value) {
  const k = typeof value === "string" ? value.trim() : "";
  if (!k) throw fail(400, "key is required");
  return k;
}

// parseSignature splits "t=<unix>,v1=<hex>[,v1=<hex>…]".
function parseSignature(header) {
  const out = { t: null, v1: [] };
  for (const part of (header ?? "").split(",")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (name === "t") out.t = value;
    else if (name === "v1") out.v1.push(value);
  }
  return out;
}

// verifySignature checks a guapocado-signature header against the raw body.
export function verifySignature(secret, header, rawBody, nowSeconds) {
  const { t, v1 } = parseSignature(header);
  if (!t || !/^\d+$/.test(t) || v1.length === 0) return false;
  if (Math.abs(nowSeconds - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return v1.some((hex) => {
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== expected.length * 2) return false;
    return timingSafeEqual(Buffer.from(hex, "hex"), expected);
  });
}

// guapocado returns the plugin. Options: customerSource ("organization",
// "team" or "user"), ledger (a Ledger; a new one by default), webhookSecret
// (the receiver's signing secret; webhooks are disabled without it),
// webhookPath ("/guap").
export function guapocado(options = {}) {
  const source = options.customerSource ?? "organization";
  if (!CUSTOMER_SOURCES.has(source)) {
    throw new Error(`guapocado: customerSource must be organization, team or user, not ${source}`);
  }
  const ledger = options.ledger ?? new Ledger();
  const webhookSecret = options.webhookSecret || null;
  const webhookPath = options.webhookPath ?? "/guap";

  const withSession = { use: [sessionMiddleware] };

  const endpoints = {
    guapocadoGetCustomer: createAuthEndpoint(
      "/guapocado/customer",
      { method: "GET", ...withSession },
      async (ctx) => {
        const id = sessionCustomerId(source, ctx.context.session);
        return ctx.json(id ? { customerId: id } : null);
      },
    ),

    guapocadoSyncCustomer: createAuthEndpoint(
      "/guapocado/customer",
      { method: "POST", body: schemas.customer, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const { session, user } = ctx.context.session;
        const customer = await platformCall(() =>
          ledger.upsertCustomer({
            id,
            name: user.name,
            email: user.email,
            metadata: {
              betterAuthCustomerIdSource: source,
              betterAuthCustomerIdSourceId: sessionCustomerId(source, { session, user }) ?? null,
              betterAuthUserId: user.id,
            },
          }),
        );
        return ctx.json({
          customerId: id,
          customer: { id: customer.id, name: customer.name ?? undefined, email: customer.email ?? undefined },
        });
      },
    ),

    guapocadoContext: createAuthEndpoint(
      "/guapocado/context",
      { method: "POST", body: schemas.context, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const { user } = ctx.context.session;
        const body = ctx.body;
        const started = performance.now();
        const result = await platformCall(() =>
          ledger.context(
            { id, name: user.name, email: user.email, metadata: { betterAuthUserId: user.id } },
            {
              features: body.features ?? [],
              usage: body.usage ?? [],
              limits: body.limits ?? [],
              includePlans: body.includePlans ?? true,
              includeSubscription: body.includeSubscription ?? true,
            },
          ),
        );
        const ms = Math.round(performance.now() - started);
        const out = { customerId: id, ...result };
        if (body.debug) out._debug = { totalMs: ms, timings: { "platform.context": ms } };
        return ctx.json(out);
      },
    ),

    guapocadoHas: createAuthEndpoint(
      "/guapocado/has",
      { method: "POST", body: schemas.keyed, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const allowed = await platformCall(() => ledger.has(id, k));
        return ctx.json({ customerId: id, allowed });
      },
    ),

    guapocadoLimit: createAuthEndpoint(
      "/guapocado/limit",
      { method: "POST", body: schemas.keyed, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const limit = await platformCall(() => ledger.limit(id, k));
        return ctx.json({ customerId: id, ...limit });
      },
    ),

    guapocadoLimitSettings: createAuthEndpoint(
      "/guapocado/limit/settings",
      { method: "POST", body: schemas.limitSettings, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const { purchased, autoExpansionEnabled } = ctx.body;
        const limit = await platformCall(() => ledger.configureLimit(id, k, { purchased, autoExpansionEnabled }));
        return ctx.json({ customerId: id, ...limit });
      },
    ),

    guapocadoUsageBalance: createAuthEndpoint(
      "/guapocado/usage/balance",
      { method: "POST", body: schemas.keyed, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const usage = await platformCall(() => ledger.meter(id, k));
        return ctx.json({ customerId: id, ...usage });
      },
    ),

    guapocadoUsageConsume: createAuthEndpoint(
      "/guapocado/usage/consume",
      { method: "POST", body: schemas.amount, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const n = ctx.body.amount ?? 1;
        const usage = await platformCall(() => ledger.consume(id, k, n));
        return ctx.json({ customerId: id, ...usage });
      },
    ),

    guapocadoUsageRefund: createAuthEndpoint(
      "/guapocado/usage/refund",
      { method: "POST", body: schemas.amount, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const n = ctx.body.amount ?? 1;
        const usage = await platformCall(() => ledger.refund(id, k, n));
        return ctx.json({ customerId: id, ...usage });
      },
    ),

    guapocadoUsageSettings: createAuthEndpoint(
      "/guapocado/usage/settings",
      { method: "POST", body: schemas.usageSettings, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const k = requireKey(ctx.body.key);
        const usage = await platformCall(() =>
          ledger.configureUsage(id, k, { overageEnabled: ctx.body.overageEnabled }),
        );
        return ctx.json({ customerId: id, ...usage });
      },
    ),

    guapocadoPlans: createAuthEndpoint(
      "/guapocado/plans",
      { method: "GET", ...withSession },
      async (ctx) => {
        const plans = await platformCall(() => ledger.plans());
        return ctx.json({ plans });
      },
    ),

    guapocadoSubscription: createAuthEndpoint(
      "/guapocado/subscription",
      { method: "POST", body: schemas.subscription, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const subscription = await platformCall(() => ledger.subscription(id));
        return ctx.json({ customerId: id, subscription });
      },
    ),

    guapocadoSubscriptionChange: createAuthEndpoint(
      "/guapocado/subscription/change",
      { method: "POST", body: schemas.subscriptionChange, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const subscription = await platformCall(() => ledger.changeSubscription(id, ctx.body.planKey));
        return ctx.json({ customerId: id, subscription });
      },
    ),

    guapocadoCheckout: createAuthEndpoint(
      "/guapocado/checkout",
      { method: "POST", body: schemas.checkout, ...withSession },
      async (ctx) => {
        const id = requireCustomer(ctx, source);
        const productKey = (ctx.body.productKey ?? ctx.body.planKey ?? "").trim();
        const { successUrl, cancelUrl } = ctx.body;
        if (!productKey || !successUrl || !cancelUrl) {
          throw fail(400, "productKey, successUrl, and cancelUrl are required");
        }
        const { url } = await platformCall(() => ledger.checkout(id, { productKey, successUrl, cancelUrl }));
        return ctx.json({ customerId: id, url });
      },
    ),

    guapocadoWebhookStatus: createAuthEndpoint(webhookPath, { method: "GET" }, async (ctx) => {
      if (!webhookSecret) return ctx.json({ enabled: false });
      const url = `${ctx.context.baseURL}${webhookPath}`;
      const ep = await platformCall(() =>
        ledger.registerWebhook({ url, events: "*", registrationKey: `better-auth:${webhookPath}` }),
      );
      return ctx.json({ enabled: true, id: ep.id, status: ep.status, url: ep.url, events: ep.events, relay: null });
    }),

    guapocadoWebhook: createAuthEndpoint(
      webhookPath,
      { method: "POST", cloneRequest: true, requireRequest: true },
      async (ctx) => {
        const raw = ctx.request ? await ctx.request.text() : "";
        if (!raw) throw fail(400, "Missing webhook payload");
        const header = ctx.request.headers.get("guapocado-signature");
        const now = Math.floor(Date.now() / 1000);
        if (!webhookSecret || !verifySignature(webhookSecret, header, raw, now)) {
          throw fail(401, "Invalid webhook signature");
        }
        try {
          JSON.parse(raw);
        } catch {
          throw fail(400, "Invalid webhook payload");
        }
        return ctx.json({ received: true });
      },
    ),
  };

  return { id: "guapocado", endpoints };
}
