// app.js loads the Go/WebAssembly module (main.wasm) and wires the page to
// the Promise API it installs as globalThis.guapocado:
//
//   has(key) → boolean            balance(key), consume(key, n), refund(key, n) → usage
//   sync() → customer             signUp(email, password, name), signIn(email, password) → user
//   createOrganization(name, slug) → organization       session() → {user, activeOrganizationId} | null
//   onChange(fn): fn({customerId, kind, name, deleted, value}) whenever a cached answer changes
//
// has and balance are answered by the module's read model while fresh;
// consume and refund write the app's answer back, and onChange shows the
// new balance under "Live balances" without a reload.
//
// A failed call rejects with an Error named "GuapocadoError" carrying
// status (0 without an answer), code, kind ("insufficient_balance",
// "unauthorized", "no_customer", "outcome_unknown", …), retryAfter and field.
//
// ?tour signs up a demo user, runs every action once and one that fails
// (a consume beyond the balance).
// ?api=https://app.example.com&credentials=include points the module at an
// app on another origin (its CORS policy must allow this page; see README).
const params = new URLSearchParams(location.search);
globalThis.guapocadoConfig = {
	baseURL: params.get("api") ?? location.origin,
	credentials: params.get("credentials") ?? "",
};

const $ = (id) => document.getElementById(id);
const show = (label, value) => {
	$("log").textContent = `${label}: ${JSON.stringify(value, null, 2)}\n` + $("log").textContent;
};
const fail = (label, e) =>
	show(`${label} failed`, { status: e.status, code: e.code, kind: e.kind, message: e.message });

const go = new Go();
const { instance } = await WebAssembly.instantiateStreaming(fetch("main.wasm"), go.importObject);
go.run(instance); // runs main() until it waits for calls: guapocado is installed by then
if (!globalThis.guapocado) {
	$("status").textContent = `main.wasm did not start: ${globalThis.guapocadoError?.message}`;
	throw new Error("main.wasm did not start");
}

// Live balances: every change of a cached balance, as it happens.
const live = new Map();
guapocado.onChange((c) => {
	if (c.kind !== "usage") return;
	// Each meter's balances so far, oldest first: "api-calls: 100 → 95 → 100".
	if (!c.deleted) live.set(c.name, [...(live.get(c.name) ?? []), c.value.balance]);
	$("live").textContent = [...live].map(([k, b]) => `${k}: ${b.join(" → ")}`).join("\n") || "(none yet)";
});

async function showSession() {
	try {
		const s = await guapocado.session();
		$("status").textContent = !s
			? `App ${guapocado.baseURL}: not signed in. Sign up a demo user first.`
			: `App ${guapocado.baseURL}: signed in as ${s.user.email}` +
				(s.activeOrganizationId ? "." : ", no active organization (billing calls fail with kind no_customer).");
	} catch (e) {
		fail("session", e);
	}
}

async function signUp() {
	const id = Math.random().toString(36).slice(2, 10);
	try {
		const user = await guapocado.signUp(`demo-${id}@example.com`, `demo-password-${id}`, `Demo ${id}`);
		const organization = await guapocado.createOrganization(`Demo ${id}`, `demo-${id}`);
		show("signed up", { user, organization });
	} catch (e) {
		fail("sign up", e);
	}
	await showSession();
}

// Each action with the key it is about, which labels its log entry.
const ops = {
	has: () => [$("feature").value, guapocado.has($("feature").value)],
	balance: () => [$("meter").value, guapocado.balance($("meter").value)],
	consume: (amount = Number($("amount").value)) => [$("meter").value, guapocado.consume($("meter").value, amount)],
	refund: () => [$("meter").value, guapocado.refund($("meter").value, Number($("amount").value))],
	sync: () => ["customer", guapocado.sync()],
};
async function runOp(op, ...args) {
	const [key, result] = ops[op](...args);
	try {
		show(`${op} ${key}`, await result);
	} catch (e) {
		fail(`${op} ${key}`, e);
	}
}

$("signup").onclick = signUp;
for (const button of document.querySelectorAll("button[data-op]")) {
	button.onclick = () => runOp(button.dataset.op);
}
$("controls").disabled = false;
await showSession();

// ?tour signs up a demo user and runs every action once, in order.
if (params.has("tour")) {
	await signUp();
	for (const op of ["has", "balance", "consume", "balance", "refund", "sync"]) await runOp(op);
	await runOp("consume", 1000000); // the error case: more than the balance
	document.body.dataset.tour = "done";
}
