import * as fs from "node:fs";
import * as path from "node:path";
import { runCheck, runModule, resolve, selectorMatches, type Check, type Lister } from "../constructs/components/dojo/engine/checks";
import { KubeError, type Api } from "../constructs/components/dojo/engine/kube";
import { curriculumJson } from "../constructs/components/dojo/curriculum";
import { groupPath, poolMetrics, previousProgress, progressGroup, progressMetrics } from "../constructs/components/dojo/engine/metrics";
import { learnerDecision, lookupLearner, parseIssuer } from "../constructs/components/dojo/engine/identity";
import {
  applyPlan,
  claimNamespace,
  claimSlot,
  expiryOf,
  isExpired,
  learnerFromUser,
  planReconcile,
  releaseSlot,
} from "../constructs/components/dojo/engine/pool";
import {
  ANNOTATIONS,
  BELTS,
  LABELS,
  renderSlot,
  slotName,
  specHash,
  type Belt,
  type K8sObject,
  type PoolDefinition,
} from "../constructs/components/dojo/engine/slot";
import { loadCurriculum } from "../constructs/components/dojo/curriculum";
// The engine's own module objects (plain CommonJS): main.js calls kube.inClusterClient and kube.send through them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const main = require("../constructs/components/dojo/engine/main.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kube = require("../constructs/components/dojo/engine/kube.js");
import { synthComponents } from "./support";

/** The pool definition exactly as the component ships it (pool.json in the dojo-pool ConfigMap). */
function shippedPool(tf: any): PoolDefinition {
  const cm = Object.values<any>(tf.resource.kubernetes_config_map_v1).find((c) => c.metadata.name === "dojo-pool");
  return JSON.parse(cm.data["pool.json"].replace(/\$\$\{/g, "${"));
}

const POOL = shippedPool(synthComponents(["dojo", "argocd", "observability"]).tf);
const NOW = new Date("2026-09-01T12:00:00Z");
const hours = (h: number) => new Date(NOW.getTime() + h * 3600 * 1000);

/**
 * An API server in memory, enough for the engine: objects by path, label-selector lists of
 * namespaces, resourceVersion conflicts on PUT, DELETE preconditions, namespaces deleted with their
 * contents. Every call yields first, so concurrent callers interleave as they would over HTTP.
 */
class FakeApi implements Api {
  readonly objects = new Map<string, any>();
  readonly calls: string[] = [];
  private rv = 1;

  async request(method: string, fullPath: string, body?: any): Promise<any> {
    await new Promise((r) => setImmediate(r));
    const [path, query] = fullPath.split("?");
    this.calls.push(`${method} ${path}`);
    const selector = new URLSearchParams(query ?? "").get("labelSelector");
    if (method === "GET") {
      if (this.objects.has(path)) return structuredClone(this.objects.get(path));
      const items = [...this.objects.entries()]
        .filter(([k]) => k.startsWith(path + "/") && !k.slice(path.length + 1).includes("/"))
        .map(([, v]) => structuredClone(v));
      if (!items.length && !this.isCollection(path)) throw new KubeError(404, "NotFound", `${path} not found`);
      return { items: items.filter((o) => matches(o, selector)) };
    }
    if (method === "POST") {
      if (path.endsWith("/token")) return { status: { token: `token-of-${path.split("/")[6]}` } };
      const key = `${path}/${body.metadata.name}`;
      if (this.objects.has(key)) throw new KubeError(409, "AlreadyExists", `${key} exists`);
      const obj = structuredClone(body);
      obj.metadata.resourceVersion = String(this.rv++);
      obj.metadata.uid = `uid-${body.metadata.name}-${this.rv}`;
      this.objects.set(key, obj);
      return obj;
    }
    if (method === "PUT") {
      const cur = this.objects.get(path);
      if (!cur) throw new KubeError(404, "NotFound", `${path} not found`);
      if (body.metadata.resourceVersion !== cur.metadata.resourceVersion) throw new KubeError(409, "Conflict", "the object has been modified");
      const obj = structuredClone(body);
      obj.metadata.resourceVersion = String(this.rv++);
      obj.metadata.uid = cur.metadata.uid;
      this.objects.set(path, obj);
      return obj;
    }
    if (method === "DELETE") {
      const cur = this.objects.get(path);
      if (!cur) throw new KubeError(404, "NotFound", `${path} not found`);
      const pre = body?.preconditions ?? {};
      if ((pre.uid && pre.uid !== cur.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion))
        throw new KubeError(409, "Conflict", "precondition failed");
      this.objects.delete(path);
      if (path.startsWith("/api/v1/namespaces/")) {
        const ns = path.split("/")[4];
        for (const k of [...this.objects.keys()]) if (k.includes(`/namespaces/${ns}/`)) this.objects.delete(k);
      }
      return {};
    }
    throw new Error(`unsupported ${method}`);
  }

  private isCollection(path: string): boolean {
    return /\/(namespaces|[a-z]+)$/.test(path);
  }

  namespace(name: string): any {
    return this.objects.get(`/api/v1/namespaces/${name}`);
  }
  namespaces(): any[] {
    return [...this.objects.entries()].filter(([k]) => /^\/api\/v1\/namespaces\/[^/]+$/.test(k)).map(([, v]) => v);
  }
}

function matches(o: any, selector: string | null): boolean {
  if (!selector) return true;
  const labels = o.metadata.labels ?? {};
  return selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return v === undefined ? k in labels : labels[k] === v;
  });
}

/** A running pool: every slot of `belts` created by the reconciler itself. */
async function runningPool(pool: PoolDefinition = POOL): Promise<FakeApi> {
  const api = new FakeApi();
  const plan = planReconcile(pool, [], NOW);
  const errors = await applyPlan(api, pool, plan, NOW);
  expect(errors).toEqual([]);
  return api;
}

const onlyWhite = (slots: number): PoolDefinition => ({
  ...POOL,
  belts: Object.fromEntries(BELTS.map((b) => [b, { ...POOL.belts[b], slots: b === "white" ? slots : 0 }])) as PoolDefinition["belts"],
});

describe("renderSlot: every slot of every belt", () => {
  const slots = BELTS.flatMap((belt) => [1, 2, 500].map((i) => ({ belt, ...renderSlot(belt, i, POOL, NOW.toISOString()) })));
  const find = (objs: K8sObject[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (!name || o.metadata.name === name));

  test("its own namespace, labelled with belt, index and state, enforcing Pod Security restricted", () => {
    for (const { belt, name, objects } of slots) {
      const ns = objects[0];
      expect(ns.kind).toBe("Namespace");
      expect(ns.metadata.name).toBe(name);
      expect(ns.metadata.labels).toMatchObject({
        [LABELS.belt]: belt,
        [LABELS.state]: "provisioning",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      });
      expect(ns.metadata.annotations![ANNOTATIONS.spec]).toBe(specHash(belt, POOL));
    }
  });

  test("a ResourceQuota with the belt's CPU, memory and storage, and no LoadBalancer or NodePort services", () => {
    for (const { belt, name, objects } of slots) {
      const [quota] = find(objects, "ResourceQuota");
      const q = POOL.belts[belt].quota;
      expect(quota.metadata.namespace).toBe(name);
      expect((quota as any).spec.hard).toMatchObject({
        "requests.cpu": q.cpu,
        "limits.cpu": q.cpu,
        "requests.memory": q.memory,
        "limits.memory": q.memory,
        "requests.storage": q.storage,
        "services.loadbalancers": "0",
        "services.nodeports": "0",
      });
    }
  });

  test("a LimitRange whose defaults fit inside the quota", () => {
    for (const { name, objects } of slots) {
      const [lr] = find(objects, "LimitRange");
      const container = (lr as any).spec.limits.find((l: any) => l.type === "Container");
      expect(lr.metadata.namespace).toBe(name);
      expect(container.default).toEqual({ cpu: "500m", memory: "512Mi" });
      expect(container.defaultRequest).toEqual({ cpu: "100m", memory: "128Mi" });
      expect(container.max).toEqual({ cpu: "2000m", memory: "4096Mi" });
      expect((lr as any).spec.limits.find((l: any) => l.type === "PersistentVolumeClaim").max.storage).toBe("10240Mi");
    }
  });

  test("a default-deny NetworkPolicy, with DNS, the slot itself and the platform ingress allowed", () => {
    for (const { name, objects } of slots) {
      const policies = find(objects, "NetworkPolicy") as any[];
      expect(policies.every((p) => p.metadata.namespace === name)).toBe(true);
      const deny = policies.find((p) => p.metadata.name === "default-deny");
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      const dns = policies.find((p) => p.metadata.name === "allow-dns");
      expect(dns.spec.egress[0].ports).toEqual([
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ]);
      const fromPlatform = policies.find((p) => p.metadata.name === "allow-from-platform");
      const sources = fromPlatform.spec.ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]);
      expect(sources).toEqual(expect.arrayContaining(["ingress", "observability"]));
      // Nothing opens egress to the internet.
      expect(JSON.stringify(policies)).not.toMatch(/ipBlock|0\.0\.0\.0/);
    }
  });

  test("only the observability and architecture belts may reach Prometheus", () => {
    for (const { belt, objects } of slots) {
      const egress = (find(objects, "NetworkPolicy", "allow-to-platform")[0] as any).spec.egress[0].to.map(
        (t: any) => t.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
      );
      expect(egress.includes("observability")).toBe(belt === "brown" || belt === "black");
    }
  });

  test("the learner's RoleBinding is inside the slot, binds the belt's role, and names only the slot's own service account", () => {
    for (const { belt, name, objects } of slots) {
      const bindings = find(objects, "RoleBinding") as any[];
      const learner = bindings.find((b) => b.metadata.name === "dojo-learner");
      expect(learner.metadata.namespace).toBe(name);
      expect(learner.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `dojo-learner-${belt}` });
      expect(learner.subjects).toEqual([{ kind: "ServiceAccount", name: "dojo-learner", namespace: name }]);
      expect(objects.some((o) => o.kind === "ClusterRoleBinding")).toBe(false);
    }
  });

  test("the validator's identity is read-only in this slot only", () => {
    for (const { name, objects } of slots) {
      const sa = find(objects, "ServiceAccount", name)[0];
      expect(sa.metadata.namespace).toBe(POOL.validatorNamespace);
      const readers = (find(objects, "RoleBinding") as any[]).filter((b) => b.subjects.some((s: any) => s.namespace === POOL.validatorNamespace));
      expect(readers).toHaveLength(1);
      expect(readers[0].metadata.namespace).toBe(name);
      expect(readers[0].roleRef.name).toBe(POOL.readerRole);
      expect(readers[0].subjects).toEqual([{ kind: "ServiceAccount", name, namespace: POOL.validatorNamespace }]);
    }
  });

  test("green belt and up get an AppProject limited to the slot's namespace, with no cluster-scoped kinds", () => {
    for (const { belt, name, objects } of slots) {
      const projects = find(objects, "AppProject") as any[];
      expect(projects.length).toBe(["green", "brown", "black"].includes(belt) ? 1 : 0);
      for (const p of projects) {
        expect(p.metadata).toMatchObject({ name, namespace: "argocd" });
        expect(p.spec.destinations).toEqual([{ server: "https://kubernetes.default.svc", namespace: name }]);
        expect(p.spec.sourceNamespaces).toEqual([name]);
        expect(p.spec.clusterResourceWhitelist).toEqual([]);
        const kinds = p.spec.namespaceResourceWhitelist.map((k: any) => k.kind);
        for (const guard of ["ResourceQuota", "LimitRange", "NetworkPolicy", "Role", "RoleBinding"]) expect(kinds).not.toContain(guard);
      }
    }
  });

  test("seeded objects (what a module provides) land in the slot, never elsewhere", () => {
    const brown = slots.find((s) => s.belt === "brown")!;
    const checkout = find(brown.objects, "Deployment", "checkout")[0] as any;
    expect(checkout.metadata.namespace).toBe(brown.name);
    expect(checkout.spec.template.spec.nodeSelector).toBeUndefined();
    expect(find(slots.find((s) => s.belt === "white")!.objects, "Deployment")).toEqual([]);
  });

  test("every namespaced object but the validator identity and AppProject lives in the slot", () => {
    for (const { name, objects } of slots) {
      const outside = objects
        .slice(1)
        .filter((o) => o.metadata.namespace !== name)
        .map((o) => o.kind);
      expect(outside.sort()).toEqual((objects.some((o) => o.kind === "AppProject") ? ["AppProject", "ServiceAccount"] : ["ServiceAccount"]).sort());
    }
  });
});

describe("claim, release and expiry", () => {
  test("a claim takes the lowest free slot and records learner, module and expiry", async () => {
    const api = await runningPool(onlyWhite(3));
    const r = await claimSlot(api, { belt: "white", learner: "alice", module: "01-deploy", now: NOW, ttlHours: 24 });
    expect(r).toEqual({ slot: "dojo-white-001", expiresAt: hours(24).toISOString(), reused: false });
    const ns = api.namespace("dojo-white-001");
    expect(ns.metadata.labels).toMatchObject({ [LABELS.state]: "claimed", [LABELS.learner]: "alice" });
    expect(ns.metadata.annotations).toMatchObject({ [ANNOTATIONS.module]: "01-deploy", [ANNOTATIONS.claimedAt]: NOW.toISOString() });
  });

  test("two learners claiming at the same moment never get the same slot", async () => {
    const api = await runningPool(onlyWhite(3));
    const [a, b] = await Promise.all([
      claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 }),
      claimSlot(api, { belt: "white", learner: "bob", now: NOW, ttlHours: 24 }),
    ]);
    expect(a.slot).not.toBe(b.slot);
    expect(api.namespace(a.slot).metadata.labels[LABELS.learner]).toBe("alice");
    expect(api.namespace(b.slot).metadata.labels[LABELS.learner]).toBe("bob");
  });

  test("a learner who holds a slot of the belt gets it back instead of a second one", async () => {
    const api = await runningPool(onlyWhite(3));
    const first = await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 });
    const again = await claimSlot(api, { belt: "white", learner: "alice", now: hours(1), ttlHours: 24 });
    expect(again).toMatchObject({ slot: first.slot, reused: true });
  });

  test("no free slot: a clear error naming the setting to raise", async () => {
    const api = await runningPool(onlyWhite(1));
    await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 });
    await expect(claimSlot(api, { belt: "white", learner: "bob", now: NOW, ttlHours: 24 })).rejects.toThrow(
      /no free white slot .*raise dojo\.belts\.white\.slots/,
    );
  });

  test("learner ids must be usable as labels; cluster user names are turned into one", async () => {
    const api = await runningPool(onlyWhite(1));
    await expect(claimSlot(api, { belt: "white", learner: "Alice Smith", now: NOW, ttlHours: 24 })).rejects.toThrow(
      'learner must be 1-63 lower-case letters, digits, "-" or "."',
    );
    expect(learnerFromUser("Alice.Smith@Example.com")).toBe("alice.smith-example.com");
    expect(learnerFromUser("https://issuer.example.com#0a1b2c")).toBe("0a1b2c");
  });

  test("release marks only the named slot, and refuses someone else's", async () => {
    const api = await runningPool(onlyWhite(2));
    const a = await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 });
    const b = await claimSlot(api, { belt: "white", learner: "bob", now: NOW, ttlHours: 24 });
    const before = JSON.stringify(api.namespace(b.slot));
    await expect(releaseSlot(api, a.slot, { learner: "bob" })).rejects.toThrow(`${a.slot} is claimed by alice, not bob`);
    await releaseSlot(api, a.slot, { learner: "alice" });
    expect(api.namespace(a.slot).metadata.labels[LABELS.state]).toBe("released");
    expect(JSON.stringify(api.namespace(b.slot))).toBe(before);
    expect(api.calls.filter((c) => c.startsWith("PUT")).slice(-1)).toEqual([`PUT /api/v1/namespaces/${a.slot}`]);
  });

  test("a claim expires at the earlier of expires-at and observed-at + TTL (a hand-edited expiry cannot extend it)", () => {
    const ns: K8sObject = claimNamespace(renderSlot("white", 1, POOL).objects[0], { learner: "alice", now: NOW, ttlHours: 24 });
    expect(expiryOf(ns, 24)).toBe(hours(24).getTime());
    expect(isExpired(ns, hours(23.9), 24)).toBe(false);
    expect(isExpired(ns, hours(24), 24)).toBe(true);
    const extended = {
      ...ns,
      metadata: {
        ...ns.metadata,
        annotations: { ...ns.metadata.annotations, [ANNOTATIONS.expiresAt]: hours(100).toISOString(), [ANNOTATIONS.observedAt]: hours(0.01).toISOString() },
      },
    };
    expect(isExpired(extended, hours(24.02), 24)).toBe(true);
    const noTimes = { ...ns, metadata: { ...ns.metadata, annotations: {} } };
    expect(isExpired(noTimes, NOW, 24)).toBe(true);
  });
});

/** Recorded answers of Keycloak 26's Admin REST API (UserRepresentation, GroupRepresentation). */
const KEYCLOAK = {
  alice: {
    id: "5f0c1c8e-2b7a-4a59-9d43-1f7c2b0e9a11",
    username: "alice",
    firstName: "Alice",
    lastName: "Liddell",
    email: "alice@example.com",
    emailVerified: true,
    createdTimestamp: 1764580000000,
    enabled: true,
    totp: false,
    disableableCredentialTypes: [],
    requiredActions: [],
    notBefore: 0,
  },
  learners: [{ id: "0d7e6c57-8a7e-4b6f-a3f5-9f1a9a1c6b21", name: "learners", path: "/learners", subGroups: [] }],
  developers: [{ id: "8c2b1f3a-1e5d-4f0a-b0a4-2a7c9e1d5f60", name: "developers", path: "/developers", subGroups: [] }],
};

describe("who may claim with identity (Keycloak)", () => {
  test("an enabled member of learners may claim; her Keycloak id and e-mail are what the slot records", () => {
    expect(learnerDecision("alice", [KEYCLOAK.alice], KEYCLOAK.learners)).toEqual({ ok: true, id: KEYCLOAK.alice.id, email: "alice@example.com" });
    const { email: _none, ...noEmail } = KEYCLOAK.alice;
    expect(learnerDecision("alice", [noEmail], [{ name: "platform-admins", path: "/platform-admins" }])).toEqual({ ok: true, id: KEYCLOAK.alice.id });
  });

  test("refused: not in learners, disabled, or no such user, each saying what to do in Keycloak", () => {
    expect(learnerDecision("alice", [KEYCLOAK.alice], KEYCLOAK.developers)).toEqual({
      ok: false,
      reason: "alice is not in the learners group: add them in Keycloak → Users → alice → Groups",
    });
    expect(learnerDecision("alice", [{ ...KEYCLOAK.alice, enabled: false }], KEYCLOAK.learners)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("alice is disabled in Keycloak"),
    });
    // An older server matching by prefix: "alice2" is not "alice".
    expect(learnerDecision("alice", [{ ...KEYCLOAK.alice, username: "alice2" }], KEYCLOAK.learners)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("alice is not a user of realm fawkes"),
    });
  });

  test("the lookup: an admin-cli password grant on the master realm, then the user and its groups in the realm; the password only in the body", async () => {
    const calls: { url: string; method?: string; headers?: Record<string, string>; body?: string }[] = [];
    const http = async (url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
      calls.push({ url, ...o });
      if (url.endsWith("/token")) return { status: 200, text: JSON.stringify({ access_token: "tok", token_type: "Bearer", expires_in: 60 }) };
      if (url.includes("/groups")) return { status: 200, text: JSON.stringify(KEYCLOAK.learners) };
      return { status: 200, text: JSON.stringify([KEYCLOAK.alice]) };
    };
    const issuer = "https://sso.fawkes.test/realms/fawkes";
    expect(parseIssuer(issuer)).toEqual({ base: "https://sso.fawkes.test", realm: "fawkes" });
    const d = await lookupLearner(http, { issuer, username: "admin", password: "from-the-secret", learner: "alice" });
    expect(d).toEqual({ ok: true, id: KEYCLOAK.alice.id, email: "alice@example.com" });
    expect(calls.map((c) => `${c.method ?? "GET"} ${c.url}`)).toEqual([
      "POST https://sso.fawkes.test/realms/master/protocol/openid-connect/token",
      "GET https://sso.fawkes.test/admin/realms/fawkes/users?username=alice&exact=true",
      `GET https://sso.fawkes.test/admin/realms/fawkes/users/${KEYCLOAK.alice.id}/groups`,
    ]);
    expect(new URLSearchParams(calls[0].body)).toEqual(
      new URLSearchParams({ grant_type: "password", client_id: "admin-cli", username: "admin", password: "from-the-secret" }),
    );
    expect(calls.slice(1).every((c) => c.headers!.Authorization === "Bearer tok" && !c.url.includes("from-the-secret"))).toBe(true);
    // A failed grant names the status and Keycloak's error code, never the answer's body.
    const denied = async () => ({ status: 401, text: JSON.stringify({ error: "invalid_grant", error_description: "Invalid user credentials" }) });
    await expect(lookupLearner(denied, { issuer, username: "admin", password: "x", learner: "alice" })).rejects.toThrow(
      "Keycloak token: HTTP 401 invalid_grant",
    );
  });

  test("a claim records the learner's identity on the slot; without it, none is left over", async () => {
    const api = await runningPool(onlyWhite(2));
    await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24, learnerId: KEYCLOAK.alice.id, learnerEmail: "alice@example.com" });
    expect(api.namespace("dojo-white-001").metadata.annotations).toMatchObject({
      [ANNOTATIONS.learnerId]: KEYCLOAK.alice.id,
      [ANNOTATIONS.learnerEmail]: "alice@example.com",
    });
    const stale = renderSlot("white", 2, POOL).objects[0];
    stale.metadata.annotations = { ...stale.metadata.annotations, [ANNOTATIONS.learnerId]: "old", [ANNOTATIONS.learnerEmail]: "old@example.com" };
    const byName = claimNamespace(stale, { learner: "bob", now: NOW });
    expect(Object.keys(byName.metadata.annotations!)).not.toEqual(expect.arrayContaining([ANNOTATIONS.learnerId]));
    expect(byName.metadata.annotations![ANNOTATIONS.learnerEmail]).toBeUndefined();
    expect(byName.metadata.annotations![ANNOTATIONS.learnerId]).toBeUndefined();
  });
});

describe("the reconciler's plan", () => {
  const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();

  test("an empty cluster: every configured slot of every belt is created", () => {
    const plan = planReconcile(POOL, [], NOW);
    const expected = BELTS.flatMap((b) => Array.from({ length: POOL.belts[b].slots }, (_, i) => slotName(b, i + 1)));
    expect(names(plan.create)).toEqual(expected.sort());
    expect(plan.remove).toEqual([]);
  });

  test("creating a slot makes all its objects, then frees it for claims", async () => {
    const api = await runningPool(onlyWhite(1));
    const ns = api.namespace("dojo-white-001");
    expect(ns.metadata.labels[LABELS.state]).toBe("free");
    for (const o of renderSlot("white", 1, POOL).objects.slice(1)) {
      expect(
        [...api.objects.values()].some((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && x.metadata.namespace === o.metadata.namespace),
      ).toBe(true);
    }
  });

  test("an expired claim is wiped (namespace and outside objects) and recreated on the next run; other slots are untouched", async () => {
    const api = await runningPool(onlyWhite(2));
    const a = await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 });
    const b = await claimSlot(api, { belt: "white", learner: "bob", now: hours(10), ttlHours: 24 });
    await applyPlan(api, onlyWhite(2), planReconcile(onlyWhite(2), api.namespaces(), hours(11)), hours(11)); // both claims observed
    const bobBefore = JSON.stringify(api.namespace(b.slot));
    const plan = planReconcile(POOL, api.namespaces(), hours(25));
    expect(plan.remove).toEqual([expect.objectContaining({ name: a.slot, reason: "expired" })]);
    await applyPlan(api, onlyWhite(2), plan, hours(25));
    expect(api.namespace(a.slot)).toBeUndefined();
    expect(api.objects.has(`/api/v1/namespaces/${POOL.validatorNamespace}/serviceaccounts/${a.slot}`)).toBe(false);
    expect(JSON.stringify(api.namespace(b.slot))).toBe(bobBefore);
    const next = planReconcile(onlyWhite(2), api.namespaces(), hours(25));
    expect(next.create).toEqual([{ belt: "white", index: 1, name: a.slot }]);
  });

  test("a released slot is wiped at once; a claim in progress is only observed (time recorded, learner bound)", async () => {
    const api = await runningPool(onlyWhite(2));
    const a = await claimSlot(api, { belt: "white", learner: "alice", user: "alice@example.com", now: NOW, ttlHours: 24 });
    const b = await claimSlot(api, { belt: "white", learner: "bob", now: NOW, ttlHours: 24 });
    await releaseSlot(api, b.slot);
    const plan = planReconcile(onlyWhite(2), api.namespaces(), hours(1));
    expect(plan.remove.map((r) => [r.name, r.reason])).toEqual([[b.slot, "released"]]);
    expect(plan.observe.map((o) => o.name)).toEqual([a.slot]);
    await applyPlan(api, onlyWhite(2), plan, hours(1));
    expect(api.namespace(a.slot).metadata.annotations[ANNOTATIONS.observedAt]).toBe(hours(1).toISOString());
    const binding = api.objects.get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${a.slot}/rolebindings/dojo-learner`);
    expect(binding.subjects).toContainEqual({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice@example.com" });
  });

  test("a wipe is conditional: a slot changed since it was read is left for the next run", async () => {
    const api = await runningPool(onlyWhite(1));
    const a = await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 });
    const plan = planReconcile(onlyWhite(1), api.namespaces(), hours(25));
    // The learner's module changes between the read and the delete.
    const ns = api.namespace(a.slot);
    await api.request("PUT", `/api/v1/namespaces/${a.slot}`, {
      ...ns,
      metadata: { ...ns.metadata, annotations: { ...ns.metadata.annotations, [ANNOTATIONS.module]: "02-expose" } },
    });
    const errors = await applyPlan(api, onlyWhite(1), plan, hours(25));
    expect(errors).toEqual([]);
    expect(api.namespace(a.slot)).toBeDefined();
  });

  test("fewer slots configured: free surplus slots go, claimed ones stay until released or expired", async () => {
    const api = await runningPool(onlyWhite(3));
    await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 }); // takes 001
    const plan = planReconcile(onlyWhite(0), api.namespaces(), hours(1));
    expect(plan.remove.map((r) => [r.name, r.reason]).sort()).toEqual([
      ["dojo-white-002", "surplus"],
      ["dojo-white-003", "surplus"],
    ]);
    expect(plan.create).toEqual([]);
  });

  test("a changed pool definition rebuilds free slots only", async () => {
    const api = await runningPool(onlyWhite(2));
    await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24 });
    const bigger = onlyWhite(2);
    bigger.belts.white = { ...bigger.belts.white, quota: { ...bigger.belts.white.quota, cpu: "4" } };
    const plan = planReconcile(bigger, api.namespaces(), hours(1));
    expect(plan.remove.map((r) => [r.name, r.reason])).toEqual([["dojo-white-002", "pool definition changed"]]);
  });

  test("one slot per learner and belt: a second claim is wiped, the first kept", () => {
    const base = renderSlot("white", 1, POOL).objects[0];
    const mk = (i: number, at: Date) => ({
      ...claimNamespace(
        {
          ...renderSlot("white", i, POOL).objects[0],
          metadata: { ...base.metadata, name: slotName("white", i), labels: { ...base.metadata.labels, [LABELS.index]: String(i) } },
        },
        { learner: "alice", now: at, ttlHours: 24 },
      ),
    });
    const plan = planReconcile(onlyWhite(2), [mk(1, NOW), mk(2, hours(1))], hours(2));
    expect(plan.remove.map((r) => [r.name, r.reason])).toEqual([["dojo-white-002", "duplicate claim"]]);
    expect(plan.observe.map((o) => o.name)).toEqual(["dojo-white-001"]);
  });

  test("a slot still terminating is neither recreated nor touched; objects of vanished slots are orphans", () => {
    const ns = {
      ...renderSlot("white", 1, POOL).objects[0],
      metadata: { ...renderSlot("white", 1, POOL).objects[0].metadata, deletionTimestamp: NOW.toISOString() },
    };
    const orphan = {
      kind: "ServiceAccount",
      metadata: { name: "dojo-white-009", namespace: POOL.validatorNamespace, labels: { [LABELS.slot]: "dojo-white-009" } },
    } as K8sObject;
    const plan = planReconcile(onlyWhite(1), [ns], NOW, [orphan]);
    expect(plan.create).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.orphans).toEqual([{ kind: "ServiceAccount", namespace: POOL.validatorNamespace, name: "dojo-white-009", slot: "dojo-white-009" }]);
  });

  test("a slot stuck provisioning (a failed run) is rebuilt after 10 minutes", () => {
    const ns = renderSlot("white", 1, POOL, NOW.toISOString()).objects[0];
    expect(planReconcile(onlyWhite(1), [ns], new Date(NOW.getTime() + 5 * 60e3)).remove).toEqual([]);
    expect(planReconcile(onlyWhite(1), [ns], new Date(NOW.getTime() + 11 * 60e3)).remove.map((r) => r.reason)).toEqual(["stuck provisioning"]);
  });
});

describe("the check language", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "podinfo", annotations: { "deployment.kubernetes.io/revision": "3" } },
    spec: {
      selector: { matchLabels: { app: "podinfo" } },
      template: {
        metadata: { labels: { app: "podinfo", track: "green" } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "podinfo",
              image: "ghcr.io/stefanprodan/podinfo:6.14.1",
              resources: { requests: { cpu: "100m", memory: "64Mi" } },
              readinessProbe: { httpGet: { path: "/readyz" } },
            },
          ],
        },
      },
    },
    status: { availableReplicas: 2, conditions: [{ type: "Available", status: "True" }] },
  };
  const service = {
    kind: "Service",
    metadata: { name: "podinfo", labels: { app: "podinfo" } },
    spec: { selector: { app: "podinfo" }, ports: [{ name: "http", port: 80, targetPort: 9898 }] },
  };
  const lister =
    (objects: Record<string, any[]>): Lister =>
    async (kind) =>
      objects[kind] ?? [];
  const vars = { slot: "dojo-white-001", domain: "fawkes.test", belt: "white", learner: "alice" };

  test("paths: keys, quoted keys, wildcards, indexes and filters", () => {
    expect(resolve(deployment, 'metadata.annotations["deployment.kubernetes.io/revision"]')).toEqual(["3"]);
    expect(resolve(deployment, "spec.template.spec.containers[*].image")).toEqual(["ghcr.io/stefanprodan/podinfo:6.14.1"]);
    expect(resolve(deployment, "spec.template.spec.containers[0].resources.requests.cpu")).toEqual(["100m"]);
    expect(resolve(deployment, "status.conditions[type=Available].status")).toEqual(["True"]);
    expect(resolve(service, "spec.ports[name=http].targetPort")).toEqual([9898]);
  });

  test("selectors: plain maps and LabelSelectors; an empty selector selects nothing on purpose", () => {
    expect(selectorMatches({ app: "podinfo" }, { app: "podinfo", x: "y" })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "track", operator: "In", values: ["green"] }] }, { track: "green" })).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "other" } }, { app: "podinfo" })).toBe(false);
    expect(selectorMatches({}, { app: "podinfo" })).toBe(false);
  });

  test("every module of the white belt passes against a slot that did the work", async () => {
    const white = loadCurriculum().white;
    const done = {
      Deployment: [
        {
          ...deployment,
          spec: {
            ...deployment.spec,
            template: {
              ...deployment.spec.template,
              spec: {
                ...deployment.spec.template.spec,
                containers: [
                  {
                    ...deployment.spec.template.spec.containers[0],
                    envFrom: [{ configMapRef: { name: "podinfo-config" } }],
                    livenessProbe: { httpGet: { path: "/healthz" } },
                  },
                ],
              },
            },
          },
          status: { ...deployment.status, updatedReplicas: 2 },
        },
      ],
      Service: [service],
      Ingress: [
        {
          metadata: { name: "podinfo", annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-staging" } },
          spec: {
            ingressClassName: "traefik",
            rules: [{ host: "podinfo-dojo-white-001.fawkes.test", http: { paths: [{ backend: { service: { name: "podinfo" } } }] } }],
            tls: [{ hosts: ["podinfo-dojo-white-001.fawkes.test"], secretName: "podinfo-tls" }],
          },
        },
      ],
      Certificate: [
        {
          metadata: { name: "podinfo-tls" },
          spec: { dnsNames: ["podinfo-dojo-white-001.fawkes.test"] },
          status: { conditions: [{ type: "Ready", status: "True" }] },
        },
      ],
      ConfigMap: [{ metadata: { name: "podinfo-config" }, data: { PODINFO_UI_MESSAGE: "hello" } }],
      ServiceMonitor: [
        { metadata: { name: "podinfo" }, spec: { selector: { matchLabels: { app: "podinfo" } }, endpoints: [{ port: "http", path: "/metrics" }] } },
      ],
      Pod: [1, 2].map((i) => ({ metadata: { name: `podinfo-${i}`, labels: { app: "podinfo" } }, status: { conditions: [{ type: "Ready", status: "True" }] } })),
    };
    for (const mod of white) {
      const r = await runModule(mod, lister(done), vars);
      expect({ module: mod.id, failed: r.checks.filter((c) => !c.passed) }).toEqual({ module: mod.id, failed: [] });
    }
  });

  test("a failing check says what is wrong, on which object", async () => {
    const check: Check = {
      id: "available",
      description: "2 replicas",
      kind: "Deployment",
      name: "podinfo",
      expect: [{ path: "status.availableReplicas", op: ">=", value: 3 }],
    };
    expect(await runCheck(check, lister({ Deployment: [deployment] }), vars)).toMatchObject({
      passed: false,
      message: "Deployment/podinfo: status.availableReplicas is 2, expected >= 3",
    });
    expect(await runCheck(check, lister({}), vars)).toMatchObject({ passed: false, message: "no Deployment named podinfo in dojo-white-001" });
    const host: Check = {
      id: "host",
      description: "host",
      kind: "Ingress",
      name: "podinfo",
      expect: [{ path: "spec.rules[*].host", op: "==", value: "podinfo-{{slot}}.{{domain}}" }],
    };
    const wrong = { metadata: { name: "podinfo" }, spec: { rules: [{ host: "podinfo.fawkes.test" }] } };
    expect((await runCheck(host, lister({ Ingress: [wrong] }), vars)).message).toBe(
      'Ingress/podinfo: spec.rules[*].host is "podinfo.fawkes.test", expected == "podinfo-dojo-white-001.fawkes.test"',
    );
  });

  test("`all` needs every selected object to pass; `every` needs every value to pass", async () => {
    const pinned = {
      ...deployment,
      spec: {
        ...deployment.spec,
        template: { ...deployment.spec.template, spec: { containers: [{ image: "a@sha256:" + "a".repeat(64) }, { image: "b:latest" }] } },
      },
    };
    const digest: Check = {
      id: "digest",
      description: "d",
      kind: "Deployment",
      name: "podinfo",
      expect: [{ path: "spec.template.spec.containers[*].image", op: "matches", value: "@sha256:[0-9a-f]{64}$", every: true }],
    };
    expect(await runCheck(digest, lister({ Deployment: [pinned] }), vars)).toMatchObject({
      passed: false,
      message: 'Deployment/podinfo: spec.template.spec.containers[*].image is "b:latest", expected every value matches "@sha256:[0-9a-f]{64}$"',
    });
    const labelled: Check = { id: "labels", description: "l", kind: "Deployment", all: true, expect: [{ path: "metadata.labels.team" }] };
    const a = { metadata: { name: "a", labels: { team: "x" } } };
    const b = { metadata: { name: "b" } };
    expect(await runCheck(labelled, lister({ Deployment: [a, b] }), vars)).toMatchObject({
      passed: false,
      message: "Deployment/b: metadata.labels.team is not set",
    });
    expect(await runCheck(labelled, lister({ Deployment: [a] }), vars)).toMatchObject({ passed: true });
  });

  test("an API the cluster lacks is a failed check with the reason, not a crash", async () => {
    const check: Check = { id: "app", description: "app", kind: "Application", name: "podinfo" };
    const broken: Lister = async () => {
      throw new KubeError(403, "Forbidden", "applications is forbidden");
    };
    expect(await runCheck(check, broken, vars)).toMatchObject({ passed: false, message: "cannot list Application: applications is forbidden" });
  });
});

describe("progress metrics", () => {
  const results = (passed: Record<string, boolean>) =>
    Object.entries(passed).map(([module, ok]) => ({ module, title: module, passed: ok, checks: [{ id: "c", description: "c", passed: ok, message: "" }] }));
  const answer = (text: string, group: Record<string, string> = { learner_id: "alice", belt: "white" }) => {
    // The Pushgateway's /api/v1/metrics shape (api/v1/api.go): one entry per group, metric families by name.
    const families: Record<string, any> = {};
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
      const m = /^([a-z_]+)(?:\{(.*)\})? (.*)$/.exec(line)!;
      const labels = Object.fromEntries(
        (m[2] ?? "")
          .split(",")
          .filter(Boolean)
          .map((kv) => kv.split("="))
          .map(([k, v]) => [k, v.replace(/"/g, "")]),
      );
      (families[m[1]] ??= { type: "GAUGE", metrics: [] }).metrics.push({ labels, value: m[3] });
    }
    return { status: "success", data: [{ labels: { job: "dojo", ...group }, ...families }] };
  };

  test("a module's first completion time is kept across validations, and across a wiped slot", () => {
    const ids = ["01-deploy", "02-expose"];
    const first = progressMetrics({
      results: results({ "01-deploy": true, "02-expose": false }),
      previous: previousProgress(undefined, { learnerId: "alice", learner: "alice" }, "white"),
      moduleIds: ids,
      claimedAt: NOW.toISOString(),
      now: hours(1),
      learner: "alice",
    });
    expect(first.text).toContain('dojo_module_completed_timestamp_seconds{learner="alice",module="01-deploy"} ' + hours(1).getTime() / 1000);
    expect(first.text).toContain('dojo_belt_completion_ratio{learner="alice"} 0.5');
    // Later, in a new slot, module 01 fails (the slot was wiped) and 02 passes: the belt is earned.
    const later = progressMetrics({
      results: results({ "01-deploy": false, "02-expose": true }),
      previous: previousProgress(answer(first.text), { learnerId: "alice", learner: "alice" }, "white"),
      moduleIds: ids,
      claimedAt: hours(30).toISOString(),
      now: hours(31),
      learner: "alice",
    });
    expect(later.progress).toMatchObject({
      earned: true,
      startedAt: NOW.getTime() / 1000,
      completedAt: { "01-deploy": hours(1).getTime() / 1000, "02-expose": hours(31).getTime() / 1000 },
    });
    expect(later.text).toContain('dojo_belt_earned{learner="alice"} 1');
    expect(later.text).toContain('dojo_check_passed{learner="alice",module="01-deploy",check="c"} 0');
  });

  test("progress is keyed by the learner id: a renamed learner keeps one history, and a group from before learner_id is carried over", () => {
    const ids = ["01-deploy", "02-expose"];
    const kcId = "5f0c1c8e-2b7a-4a59-9d43-1f7c2b0e9a11";
    const asAlice = progressMetrics({
      results: results({ "01-deploy": true, "02-expose": false }),
      previous: previousProgress(undefined, { learnerId: kcId, learner: "alice" }, "white"),
      moduleIds: ids,
      now: hours(1),
      learner: "alice",
    });
    expect(groupPath("dojo", progressGroup(kcId, "white"))).toBe(`/metrics/job/dojo/learner_id/${kcId}/belt/white`);
    // Renamed to alice.smith in Keycloak: the same group (by id) is found, so module 01 keeps its first pass.
    const renamed = previousProgress(answer(asAlice.text, { learner_id: kcId, belt: "white" }), { learnerId: kcId, learner: "alice.smith" }, "white");
    expect(renamed.completedAt).toEqual({ "01-deploy": hours(1).getTime() / 1000 });
    // Another learner called alice (another id) does not inherit it.
    expect(previousProgress(answer(asAlice.text, { learner_id: kcId, belt: "white" }), { learnerId: "other", learner: "alice" }, "white").completedAt).toEqual(
      {},
    );
    // A name-keyed group pushed before this change is the fallback.
    const legacy = previousProgress(answer(asAlice.text, { learner: "alice", belt: "white" }), { learnerId: kcId, learner: "alice" }, "white");
    expect(legacy.completedAt).toEqual({ "01-deploy": hours(1).getTime() / 1000 });
  });

  test("groups are per learner and belt; the pool reports slots by state", () => {
    expect(groupPath("dojo", progressGroup("alice", "white"))).toBe("/metrics/job/dojo/learner_id/alice/belt/white");
    const text = poolMetrics({ white: { free: 2, claimed: 1 } }, { belts: { white: { slots: 3 } } }, NOW);
    expect(text).toContain('dojo_slots{belt="white",state="claimed"} 1');
    expect(text).toContain('dojo_slots_configured{belt="white"} 3');
    expect(poolMetrics({}, { belts: {} }, NOW, false)).not.toContain("dojo_reconcile_last_success_timestamp_seconds");
  });
});

test("every belt's slots render (no belt is missing from the shipped pool)", () => {
  for (const belt of BELTS as Belt[]) expect(() => renderSlot(belt, 1, POOL)).not.toThrow();
});

describe("the in-cluster jobs (main.js) against a fake API server and Pushgateway", () => {
  const white = onlyWhite(2);
  let api: FakeApi;
  const pushed: { method: string; url: string; body?: string }[] = [];
  const asIdentity: { token?: string; path: string }[] = [];
  let out: jest.SpyInstance;

  beforeEach(() => {
    api = new FakeApi();
    pushed.length = 0;
    asIdentity.length = 0;
    jest.spyOn(kube, "inClusterClient").mockImplementation(((o?: { token?: string }) => ({
      request: (method: string, p: string, body?: unknown) => {
        asIdentity.push({ token: o?.token, path: p });
        return api.request(method, p, body);
      },
    })) as any);
    jest.spyOn(kube, "send").mockImplementation((async (url: string, opts: any = {}) => {
      pushed.push({ method: opts.method ?? "GET", url, body: opts.body });
      return { status: 200, text: JSON.stringify({ status: "success", data: [] }) };
    }) as any);
    out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  test("reconcile builds the pool and reports it to the Pushgateway", async () => {
    expect(await main.reconcile(white)).toBe(0);
    expect(api.namespaces().map((n) => [n.metadata.name, n.metadata.labels[LABELS.state]])).toEqual([
      ["dojo-white-001", "free"],
      ["dojo-white-002", "free"],
    ]);
    const push = pushed.find((p) => p.method === "POST")!;
    expect(push.url).toBe(`${POOL.pushgateway}/metrics/job/dojo-pool`);
    expect(push.body).toContain('dojo_slots{belt="white",state="free"} 2');
  });

  test("validate reads each claimed slot only with that slot's own identity, and records progress per learner and belt", async () => {
    await main.reconcile(white);
    const a = await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24, learnerId: "kc-alice", learnerEmail: "alice@example.com" });
    await claimSlot(api, { belt: "white", learner: "bob", now: NOW, ttlHours: 24 });
    asIdentity.length = 0;
    expect(await main.validate(white, curriculumJson(loadCurriculum()), undefined)).toBe(0);
    const slotReads = asIdentity.filter((c) => c.token);
    expect(slotReads.length).toBeGreaterThan(0);
    for (const c of slotReads) expect(c.path).toContain(`/namespaces/${c.token!.replace("token-of-", "")}/`);
    const puts = pushed
      .filter((p) => p.method === "PUT")
      .map((p) => p.url)
      .sort();
    // alice was claimed with identity (her Keycloak id), bob by name only.
    expect(puts).toEqual([
      `${POOL.pushgateway}/metrics/job/dojo/learner_id/bob/belt/white`,
      `${POOL.pushgateway}/metrics/job/dojo/learner_id/kc-alice/belt/white`,
    ]);
    expect(pushed.find((p) => p.url.endsWith("kc-alice/belt/white"))!.body).toContain('dojo_module_passed{learner="alice",module="01-deploy"} 0');
    expect(pushed.filter((p) => p.method === "DELETE")).toEqual([]);
    const printed = out.mock.calls.map((c) => String(c[0])).join("");
    expect(printed).toContain(`${a.slot} (learner alice, white belt)`);
    expect(printed).toContain("FAIL available: no Deployment named podinfo in " + a.slot);
  });

  test("a progress group from before learner_id is carried over into the learner_id group, then deleted (no learner counted twice)", async () => {
    await main.reconcile(white);
    await claimSlot(api, { belt: "white", learner: "alice", now: NOW, ttlHours: 24, learnerId: "kc-alice" });
    const started = { metrics: [{ labels: { job: "dojo", learner: "alice", belt: "white" }, value: String(NOW.getTime() / 1000) }] };
    const legacy = { labels: { job: "dojo", learner: "alice", belt: "white" }, dojo_belt_started_timestamp_seconds: started };
    (kube.send as jest.Mock).mockImplementation(async (url: string, opts: any = {}) => {
      pushed.push({ method: opts.method ?? "GET", url, body: opts.body });
      return { status: 200, text: JSON.stringify({ status: "success", data: url.endsWith("/api/v1/metrics") ? [legacy] : [] }) };
    });
    pushed.length = 0;
    expect(await main.validate(white, curriculumJson(loadCurriculum()), undefined)).toBe(0);
    const put = pushed.find((p) => p.method === "PUT")!;
    expect(put.url).toBe(`${POOL.pushgateway}/metrics/job/dojo/learner_id/kc-alice/belt/white`);
    expect(put.body).toContain(`dojo_belt_started_timestamp_seconds{learner="alice"} ${NOW.getTime() / 1000}`);
    expect(pushed.filter((p) => p.method === "DELETE").map((p) => p.url)).toEqual([`${POOL.pushgateway}/metrics/job/dojo/learner/alice/belt/white`]);
  });
});

test("the engine is type-checked where it lives: // @ts-check in every file, typed by its JSDoc, no hand-written .d.ts", () => {
  // A .d.ts beside a .js wins module resolution and hides the JSDoc; a file without // @ts-check is not checked at all.
  const dir = path.join(__dirname, "..", "constructs", "components", "dojo", "engine");
  const files = fs.readdirSync(dir);
  expect(files.filter((f) => f.endsWith(".d.ts"))).toEqual([]);
  const unchecked = files.filter((f) => f.endsWith(".js") && !fs.readFileSync(path.join(dir, f), "utf8").split("\n").slice(0, 2).includes("// @ts-check"));
  expect(unchecked).toEqual([]);
  const tsconfig = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "tsconfig.json"), "utf8"));
  expect(tsconfig.compilerOptions.allowJs).toBe(true);
  expect(tsconfig.include).toContain("constructs/components/dojo/engine/**/*.js");
});
