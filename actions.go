package guapocado

// An action is one operation of the API, described once for both clients:
// its route on a Better Auth app (the session client, NewClient), its route
// on the platform API (the platform client, NewAPIClient), whether it is
// idempotent, whether the platform takes an idempotency key for it, and
// where the platform wants the customer. Service methods check their
// arguments and hand an action to the pipeline (Billing's core.call); the
// client's mode (modes.go) turns it into a request. Adding an endpoint is one
// entry here, a service method of a few lines and its result type.
//
// Paths are relative to the client's base URL. In a platform path {key} is
// the call's key, {id} its id and {customer} its customer, each escaped as
// one path segment. A session route carries the key in the body as "key",
// and the customer, when ForCustomer names one, as "customerId".
type action struct {
	name     string // the method as errors and logs name it
	session  route  // the Better Auth route; zero when only the platform serves it
	platform route  // the platform route; zero when only a session serves it
	// write marks an action that is not idempotent (consume, refund,
	// checkout, sign-in). Without an idempotency key it is retried only where
	// the request provably never reached the server; with one (idem) the
	// platform client retries it like a read.
	write    bool
	idem     keyUse      // the platform client's idempotency key
	customer customerUse // where the platform client puts the customer
}

// route is one HTTP method and path.
type route struct {
	method string
	path   string
}

// keyUse says what a platform call does with an idempotency key.
type keyUse uint8

const (
	keyRefused  keyUse = iota // WithIdempotencyKey is an error
	keyGenerate               // the caller's key, else a fresh random one
	keyRequired               // the caller's key, else an error
)

// customerUse says where a platform call names its customer (ForCustomer,
// else the client's WithCustomerID).
type customerUse uint8

const (
	customerNone   customerUse = iota // no customer; ForCustomer is an error
	customerField                     // required: ?customerId= on a GET, "customerId" in a body
	customerObject                    // required: "customer":{"id",…} in the body (context)
	customerAsID                      // required: "id" in the body (customer sync)
	customerInPath                    // required: {customer} in the path
)

// webhookPathToken stands for the client's receiver path (WithWebhookPath).
const webhookPathToken = "{webhook}"

// The actions. Session routes are under the Better Auth base path
// ("/api/auth"); platform routes under the API URL.
var (
	// Entitlements and limits (entitlements.go).
	actHas = action{name: "Has",
		session:  route{method: "POST", path: "/guapocado/has"},
		platform: route{method: "GET", path: "/v1/entitlements/{key}/has"},
		customer: customerField}
	actLimit = action{name: "Limit",
		session:  route{method: "POST", path: "/guapocado/limit"},
		platform: route{method: "GET", path: "/v1/entitlements/{key}/limit"},
		customer: customerField}
	actLimitSettings = action{name: "Limits.Configure",
		session:  route{method: "POST", path: "/guapocado/limit/settings"},
		platform: route{method: "POST", path: "/v1/entitlements/{key}/limit/settings"},
		customer: customerField}
	actSnapshot = action{name: "Snapshot",
		session:  route{method: "POST", path: "/guapocado/context"},
		platform: route{method: "POST", path: "/v1/context"},
		customer: customerObject}

	// Usage (usage.go).
	actUsageBalance = action{name: "Usage.Balance",
		session:  route{method: "POST", path: "/guapocado/usage/balance"},
		platform: route{method: "GET", path: "/v1/usage/{key}/balance"},
		customer: customerField}
	actUsageConsume = action{name: "Usage.Consume",
		session:  route{method: "POST", path: "/guapocado/usage/consume"},
		platform: route{method: "POST", path: "/v1/usage/{key}/consume"},
		write:    true, idem: keyGenerate, customer: customerField}
	actUsageRefund = action{name: "Usage.Refund",
		session:  route{method: "POST", path: "/guapocado/usage/refund"},
		platform: route{method: "POST", path: "/v1/usage/{key}/refund"},
		write:    true, idem: keyGenerate, customer: customerField}
	actUsageSettings = action{name: "Usage.Configure",
		session:  route{method: "POST", path: "/guapocado/usage/settings"},
		platform: route{method: "POST", path: "/v1/usage/{key}/settings"},
		customer: customerField}

	// Customers (customers.go).
	actCustomerSync = action{name: "Customer.Sync",
		session:  route{method: "POST", path: "/guapocado/customer"},
		platform: route{method: "POST", path: "/v1/customers"},
		customer: customerAsID}
	actCustomerID = action{name: "Customer.ID",
		session: route{method: "GET", path: "/guapocado/customer"}}
	actCustomerCreate = action{name: "Customer.Create",
		platform: route{method: "POST", path: "/v1/customers"}}
	actCustomersList = action{name: "Customer.List",
		platform: route{method: "GET", path: "/v1/customers"}}

	// Plans, subscriptions, checkout (billing.go).
	actPlansList = action{name: "Plans.List",
		session:  route{method: "GET", path: "/guapocado/plans"},
		platform: route{method: "GET", path: "/v1/plans"}}
	actSubscriptionCurrent = action{name: "Subscription.Current",
		session:  route{method: "POST", path: "/guapocado/subscription"},
		platform: route{method: "GET", path: "/v1/subscriptions"},
		customer: customerField}
	actSubscriptionsList = action{name: "Subscription.All",
		platform: route{method: "GET", path: "/v1/subscriptions"},
		customer: customerField}
	actSubscriptionChange = action{name: "Subscription.Change",
		session:  route{method: "POST", path: "/guapocado/subscription/change"},
		platform: route{method: "POST", path: "/v1/subscriptions/change"},
		customer: customerField}
	actSubscriptionRefund = action{name: "Subscription.Refund",
		platform: route{method: "POST", path: "/v1/subscriptions/{id}/refunds"},
		idem:     keyRequired}
	actCheckout = action{name: "Checkout.Create",
		session:  route{method: "POST", path: "/guapocado/checkout"},
		platform: route{method: "POST", path: "/v1/checkout"},
		write:    true, customer: customerField}

	// Platform-only services (purchases.go, contracts.go, audit.go, webhooks.go).
	actPurchasesList = action{name: "Purchases.List",
		platform: route{method: "GET", path: "/v1/purchases"},
		customer: customerField}
	actPurchaseRefund = action{name: "Purchases.Refund",
		platform: route{method: "POST", path: "/v1/purchases/{id}/refunds"},
		idem:     keyRequired}
	actContractGet = action{name: "Contracts.Get",
		platform: route{method: "GET", path: "/v1/contracts/{customer}"},
		customer: customerInPath}
	actContractSet = action{name: "Contracts.Set",
		platform: route{method: "PUT", path: "/v1/contracts/{customer}"},
		customer: customerInPath}
	actContractDelete = action{name: "Contracts.Delete",
		platform: route{method: "DELETE", path: "/v1/contracts/{customer}"},
		customer: customerInPath}
	actAuditList = action{name: "Audit.List",
		platform: route{method: "GET", path: "/v1/audit"}}
	actWebhookEndpointRegister = action{name: "WebhookEndpoints.Register",
		platform: route{method: "POST", path: "/v1/webhook-endpoints/register"}}

	// Session-only: the receiver status and Better Auth's own routes (auth.go).
	actWebhookStatus = action{name: "Webhook.Status",
		session: route{method: "GET", path: webhookPathToken}}
	actSignUp = action{name: "Auth.SignUpEmail",
		session: route{method: "POST", path: "/sign-up/email"}, write: true}
	actSignIn = action{name: "Auth.SignInEmail",
		session: route{method: "POST", path: "/sign-in/email"}, write: true}
	actSignOut = action{name: "Auth.SignOut",
		session: route{method: "POST", path: "/sign-out"}}
	actGetSession = action{name: "Auth.Session",
		session: route{method: "GET", path: "/get-session"}}
	actOrgList = action{name: "Auth.ListOrganizations",
		session: route{method: "GET", path: "/organization/list"}}
	actOrgCreate = action{name: "Auth.CreateOrganization",
		session: route{method: "POST", path: "/organization/create"}, write: true}
	actOrgSetActive = action{name: "Auth.SetActiveOrganization",
		session: route{method: "POST", path: "/organization/set-active"}}
	actTeamSetActive = action{name: "Auth.SetActiveTeam",
		session: route{method: "POST", path: "/organization/set-active-team"}}
	actTeamList = action{name: "Auth.ListTeams",
		session: route{method: "GET", path: "/organization/list-teams"}}
)
