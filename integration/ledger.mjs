// An in-process stand-in for the hosted Guapocado platform, kept by the
// harness's Better Auth plugin. It mirrors what the contract's transcripts
// show the platform doing (sections 3 and 4 of transcripts.md): the plans
// catalogue, meters with a monthly or no reset, limits with expansion,
// subscriptions, checkout and webhook registration. Failures are thrown as
// PlatformError with the status the platform would answer.

// PlatformError is a platform failure: the status the platform answered and
// its error message (the platform's {"error": "..."}).
export class PlatformError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "PlatformError";
    this.status = status;
  }
}

const CATALOGUE_TIME = "2026-01-01T00:00:00.000Z";

// The catalogue of transcripts.md 3.18, in the same order and with the same
// key order, so that GET /guapocado/plans serialises byte for byte alike.
const PLANS = [
  {
    id: "prod_0001_free",
    key: "free",
    name: "Free",
    config: {
      pricing: { mode: "recurring", type: "flat", amount: 0, currency: "usd", frequency: "month" },
      entitlements: {
        "advanced-analytics": false,
        "csv-export": true,
        "api-calls": { included: 100 },
        "ai-credits": { included: 10 },
        seats: { included: 3 },
        projects: { included: 2 },
      },
    },
    stripeProductId: "prod_stripe_free",
    stripePriceId: "price_stripe_free",
    createdAt: CATALOGUE_TIME,
    updatedAt: CATALOGUE_TIME,
  },
  {
    id: "prod_0002_pro",
    key: "pro",
    name: "Pro",
    config: {
      pricing: { mode: "recurring", type: "flat", amount: 2900, currency: "usd", frequency: "month" },
      entitlements: {
        "advanced-analytics": true,
        "csv-export": true,
        "api-calls": {
          included: 10000,
          overage: { allowed: true, unit: 1000, amount: 200, currency: "usd" },
        },
        "ai-credits": { included: 500 },
        seats: {
          included: 10,
          expansion: { allowed: true, unit: 1, amount: 900, currency: "usd" },
        },
        projects: { included: 20 },
      },
    },
    stripeProductId: "prod_stripe_pro",
    stripePriceId: "price_stripe_pro",
    createdAt: CATALOGUE_TIME,
    updatedAt: CATALOGUE_TIME,
  },
  {
    id: "prod_0003_credits-pack",
    key: "credits-pack",
    name: "1,000 AI credits",
    config: {
      pricing: { mode: "one_time", type: "flat", amount: 1000, currency: "usd" },
      entitlements: { "ai-credits": { included: 1000 } },
    },
    stripeProductId: "prod_stripe_credits-pack",
    stripePriceId: "price_stripe_credits-pack",
    createdAt: CATALOGUE_TIME,
    updatedAt: CATALOGUE_TIME,
  },
  {
    id: "prod_0004_enterprise",
    key: "enterprise",
    name: "Enterprise",
    config: {
      pricing: { mode: "custom", contact: "mailto:sales@example.test" },
      entitlements: {
        "advanced-analytics": true,
        "csv-export": true,
        "api-calls": {
          included: 1000000,
          overage: { allowed: true, unit: 1000, amount: 100, currency: "usd" },
        },
        "ai-credits": { included: 10000 },
        seats: {
          included: 100,
          expansion: { allowed: true, unit: 1, amount: 500, currency: "usd" },
        },
        projects: {
          included: 1000,
          expansion: { allowed: true, unit: 10, amount: 100, currency: "usd" },
        },
      },
    },
    stripeProductId: null,
    stripePriceId: null,
    createdAt: CATALOGUE_TIME,
    updatedAt: CATALOGUE_TIME,
  },
];

// The entitlements the platform knows, by kind. A meter's reset is "month"
// (balance resets at the first instant of the next month, UTC) or "never".
const ENTITLEMENTS = {
  "advanced-analytics": { kind: "feature" },
  "csv-export": { kind: "feature" },
  "api-calls": { kind: "meter", reset: "month" },
  "ai-credits": { kind: "meter", reset: "never" },
  seats: { kind: "limit" },
  projects: { kind: "limit" },
};

const DEFAULT_PLAN = "free";
const CURRENT_STATUSES = new Set(["active", "trialing", "past_due", "incomplete"]);
const CHECKOUT_BASE = "https://checkout.fake-guapocado.test/c/";

// startOfNextMonthUTC returns the first instant of the month after date, UTC.
export function startOfNextMonthUTC(date) {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

function isAbsoluteURL(value) {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

// Ledger is the platform's state: customers, meters, limits, subscriptions,
// checkout sessions and webhook endpoints. now is injectable for tests.
export class Ledger {
  constructor({ now = () => new Date() } = {}) {
    this.now = now;
    this.seq = 0;
    this.customers = new Map();
    this.webhooks = new Map();
  }

  nextId(prefix) {
    this.seq += 1;
    return `${prefix}_${String(this.seq).padStart(6, "0")}`;
  }

  state(customerId) {
    let s = this.customers.get(customerId);
    if (!s) {
      s = { customer: null, meters: new Map(), limits: new Map(), subscription: null };
      this.customers.set(customerId, s);
    }
    return s;
  }

  plan(key) {
    return PLANS.find((p) => p.key === key) ?? null;
  }

  currentPlan(customerId) {
    const sub = this.state(customerId).subscription;
    const key = sub && CURRENT_STATUSES.has(sub.status) ? sub.planKey : DEFAULT_PLAN;
    return this.plan(key) ?? this.plan(DEFAULT_PLAN);
  }

  entitlement(key) {
    const e = ENTITLEMENTS[key];
    if (!e) throw new PlatformError(404, `Unknown entitlement: ${key}`);
    return e;
  }

  planEntitlement(customerId, key) {
    return this.currentPlan(customerId).config.entitlements[key];
  }

  // upsertCustomer records a customer ({id, name?, email?, metadata?}) and
  // returns the stored customer.
  upsertCustomer(input) {
    const s = this.state(input.id);
    const at = this.now().toISOString();
    const prev = s.customer;
    s.customer = {
      id: input.id,
      stripeCustomerId: prev?.stripeCustomerId ?? null,
      name: input.name ?? prev?.name ?? null,
      email: input.email ?? prev?.email ?? null,
      metadata: { ...(prev?.metadata ?? {}), ...(input.metadata ?? {}) },
      createdAt: prev?.createdAt ?? at,
      updatedAt: at,
    };
    return clone(s.customer);
  }

  // has answers whether the customer's plan grants key. A feature is its
  // plan flag; a meter is granted while it has balance or may run into
  // overage; a limit while it is above zero.
  has(customerId, key) {
    const e = this.entitlement(key);
    if (e.kind === "feature") return this.planEntitlement(customerId, key) === true;
    if (e.kind === "meter") {
      const m = this.meter(customerId, key);
      return m.balance > 0 || (m.overageAllowed && m.overageEnabled);
    }
    return this.limit(customerId, key).limit > 0;
  }

  meterState(customerId, key) {
    const e = this.entitlement(key);
    if (e.kind !== "meter") throw new PlatformError(400, `Entitlement ${key} is not a usage meter`);
    const meters = this.state(customerId).meters;
    let m = meters.get(key);
    const now = this.now();
    if (!m) {
      m = { consumed: 0, overageEnabled: false, periodEnd: null };
      meters.set(key, m);
    }
    if (e.reset === "month") {
      if (m.periodEnd === null) {
        m.periodEnd = startOfNextMonthUTC(now);
      } else if (now >= m.periodEnd) {
        m.consumed = 0;
        m.periodEnd = startOfNextMonthUTC(now);
      }
    }
    return m;
  }

  // meter returns a UsageBalance for key.
  meter(customerId, key) {
    const m = this.meterState(customerId, key);
    const ent = this.planEntitlement(customerId, key);
    const included = typeof ent === "object" && ent !== null ? ent.included ?? 0 : 0;
    const overageAllowed = ent?.overage?.allowed === true;
    return {
      balance: Math.max(0, included - m.consumed),
      included,
      consumed: m.consumed,
      overage: Math.max(0, m.consumed - included),
      overageAllowed,
      overageEnabled: m.overageEnabled,
      resets: m.periodEnd ? m.periodEnd.toISOString() : null,
    };
  }

  // consume takes amount from the meter: beyond the balance only when the
  // plan allows overage and the customer enabled it, else 429.
  consume(customerId, key, amount) {
    const m = this.meterState(customerId, key);
    const before = this.meter(customerId, key);
    const fits = m.consumed + amount <= before.included;
    if (!fits && !(before.overageAllowed && before.overageEnabled)) {
      throw new PlatformError(429, "Insufficient balance");
    }
    m.consumed += amount;
    return this.meter(customerId, key);
  }

  // refund gives amount back, never below zero consumed.
  refund(customerId, key, amount) {
    const m = this.meterState(customerId, key);
    m.consumed = Math.max(0, m.consumed - amount);
    return this.meter(customerId, key);
  }

  configureUsage(customerId, key, { overageEnabled }) {
    const m = this.meterState(customerId, key);
    m.overageEnabled = overageEnabled;
    return this.meter(customerId, key);
  }

  limitState(customerId, key) {
    const e = this.entitlement(key);
    if (e.kind !== "limit") throw new PlatformError(400, `Entitlement ${key} is not a limit`);
    const limits = this.state(customerId).limits;
    let l = limits.get(key);
    if (!l) {
      l = { purchased: 0, autoExpansionEnabled: false };
      limits.set(key, l);
    }
    return l;
  }

  // limit returns a LimitBalance for key.
  limit(customerId, key) {
    const l = this.limitState(customerId, key);
    const ent = this.planEntitlement(customerId, key);
    const included = typeof ent === "object" && ent !== null ? ent.included ?? 0 : 0;
    return {
      limit: included + l.purchased,
      included,
      purchased: l.purchased,
      expansionAllowed: ent?.expansion?.allowed === true,
      autoExpansionEnabled: l.autoExpansionEnabled,
    };
  }

  // configureLimit sets purchased units and auto-expansion; both need a plan
  // that allows expansion (purchased 0 and auto-expansion off always pass).
  configureLimit(customerId, key, { purchased, autoExpansionEnabled }) {
    const l = this.limitState(customerId, key);
    const current = this.limit(customerId, key);
    const expands = (purchased !== undefined && purchased > 0) || autoExpansionEnabled === true;
    if (expands && !current.expansionAllowed) {
      throw new PlatformError(400, `Limit expansion is not allowed for ${key} on this plan`);
    }
    if (purchased !== undefined) l.purchased = purchased;
    if (autoExpansionEnabled !== undefined) l.autoExpansionEnabled = autoExpansionEnabled;
    return this.limit(customerId, key);
  }

  plans() {
    return clone(PLANS);
  }

  // subscription returns the customer's subscription or null.
  subscription(customerId) {
    const sub = this.state(customerId).subscription;
    return sub ? clone(sub) : null;
  }

  // changeSubscription moves the customer to a recurring plan; the result
  // carries changed:false when the customer was already on it.
  changeSubscription(customerId, planKey) {
    const plan = this.plan(planKey);
    if (!plan) throw new PlatformError(404, `Unknown plan: ${planKey}`);
    if (plan.config.pricing.mode !== "recurring") {
      throw new PlatformError(400, `Plan ${planKey} is not a recurring plan`);
    }
    const s = this.state(customerId);
    const now = this.now();
    const at = now.toISOString();
    if (s.subscription && CURRENT_STATUSES.has(s.subscription.status)) {
      if (s.subscription.planKey === planKey) return { ...clone(s.subscription), changed: false };
      s.subscription.planKey = planKey;
      s.subscription.status = "active";
      s.subscription.updatedAt = at;
      return { ...clone(s.subscription), changed: true };
    }
    s.subscription = {
      id: this.nextId("sub"),
      customerId,
      planKey,
      status: "active",
      stripeSubscriptionId: null,
      currentPeriodStart: at,
      currentPeriodEnd: startOfNextMonthUTC(now).toISOString(),
      createdAt: at,
      updatedAt: at,
    };
    return { ...clone(s.subscription), changed: true };
  }

  // checkout opens a checkout session for a product and returns its URL.
  checkout(customerId, { productKey, successUrl, cancelUrl }) {
    if (!isAbsoluteURL(successUrl)) throw new PlatformError(400, "successUrl must be an absolute URL");
    if (!isAbsoluteURL(cancelUrl)) throw new PlatformError(400, "cancelUrl must be an absolute URL");
    const plan = this.plan(productKey);
    if (!plan) throw new PlatformError(404, `Unknown product: ${productKey}`);
    if (!plan.stripePriceId) {
      throw new PlatformError(400, `Product ${productKey} is not available for checkout`);
    }
    this.state(customerId);
    return { url: CHECKOUT_BASE + this.nextId("cs") };
  }

  // context answers several questions at once, as POST /v1/context does.
  context(customer, { features, usage, limits, includePlans, includeSubscription }) {
    const id = customer.id;
    const stored = this.upsertCustomer(customer);
    const out = {
      customer: { id: stored.id, name: stored.name ?? undefined, email: stored.email ?? undefined },
      features: {},
      usage: {},
      limits: {},
      plans: includePlans ? this.plans() : [],
      subscription: includeSubscription ? this.subscription(id) : null,
    };
    for (const key of features) {
      out.features[key] = ENTITLEMENTS[key] ? this.has(id, key) : false;
    }
    // Unknown keys are left out; a key of another kind is refused as the
    // usage and limit endpoints refuse it.
    for (const key of usage) {
      if (ENTITLEMENTS[key]) out.usage[key] = this.meter(id, key);
    }
    for (const key of limits) {
      if (ENTITLEMENTS[key]) out.limits[key] = this.limit(id, key);
    }
    return out;
  }

  // registerWebhook registers (or finds again, by registrationKey) a webhook
  // endpoint and returns it.
  registerWebhook({ url, events, registrationKey }) {
    const regKey = registrationKey ?? url;
    let ep = this.webhooks.get(regKey);
    if (!ep) {
      ep = { id: this.nextId("we"), status: "pending_approval", url, events };
      this.webhooks.set(regKey, ep);
    } else {
      ep.url = url;
      ep.events = events;
    }
    return { ...ep };
  }
}
