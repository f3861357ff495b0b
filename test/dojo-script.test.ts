import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kubectlClient } from "../constructs/components/dojo/engine/kube";
import { ANNOTATIONS, BELTS, LABELS, renderSlot, type BeltPool, type PoolDefinition } from "../constructs/components/dojo/engine/slot";

const ROOT = path.join(__dirname, "..");

/** What kubectl (or a stand-in) returns: spawnSync's result shape. */
interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}
interface DojoIo {
  kubectl?: (args: string[], input?: string) => KubectlResult;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  sleep?: (ms: number) => Promise<void>;
  cwd?: string;
  http?: Http;
}
type Http = (url: string, options?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<{ status: number; text: string }>;
// Plain CommonJS without an extension (an executable): loaded as is, typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dojo: { main: (argv: string[], io?: DojoIo) => Promise<number> } = require("../scripts/dojo");

interface FakeState {
  /** API objects by path. */
  objects: Record<string, any>;
  /** Every kubectl invocation, args joined (without --context). */
  log: string[];
}

/**
 * A stand-in for kubectl: the raw API (get/create/replace --raw) over in-memory objects by path,
 * with resourceVersion conflicts, plus the few other verbs scripts/dojo uses. Bodies go in and out
 * as JSON text, as through the real process boundary, so the script never shares objects with it.
 */
function fakeKubectl(state: FakeState) {
  return (argv: string[], input?: string): KubectlResult => {
    const args = argv[0] === "--context" ? argv.slice(2) : argv;
    const out = (o: unknown): KubectlResult => ({ status: 0, stdout: typeof o === "string" ? o : JSON.stringify(o), stderr: "" });
    const err = (reason: string, msg: string): KubectlResult => ({ status: 1, stdout: "", stderr: `Error from server (${reason}): ${msg}\n` });
    const [verb, a1, a2] = args;
    state.log.push(args.join(" "));
    if (verb === "auth" && a1 === "whoami") return out({ status: { userInfo: { username: "Alice@Example.com" } } });
    if (verb === "auth" && a1 === "can-i") return out(args.includes("jobs") ? "no\n" : "yes\n");
    if (verb === "config") return out({ clusters: [{ name: "c", cluster: { server: "https://k8s.example:6443", "certificate-authority-data": "Q0E=" } }] });
    if (a1 !== "--raw") return out("");
    const [p, q] = a2.split("?");
    const sel = new URLSearchParams(q || "").get("labelSelector");
    if (verb === "get") {
      if (state.objects[p]) return out(state.objects[p]);
      // A named object that is not there (the real API's answer; collections list instead).
      if (/\/(secrets|configmaps)\/[^/]+$/.test(p)) return err("NotFound", `${p} not found`);
      const items = Object.entries(state.objects)
        .filter(([k]) => k.startsWith(p + "/") && !k.slice(p.length + 1).includes("/"))
        .map(([, v]) => v);
      const matches = (o: any) =>
        !sel ||
        sel.split(",").every((t) => {
          const [k, v] = t.split("=");
          const l = o.metadata.labels || {};
          return v === undefined ? k in l : l[k] === v;
        });
      return out({ items: items.filter(matches) });
    }
    if (verb === "create") {
      const b = JSON.parse(input!);
      if (p.endsWith("/token")) return out({ status: { token: "fake-token-for-" + p.split("/")[4] } });
      state.objects[p + "/" + b.metadata.name] = b;
      return out(b);
    }
    if (verb === "replace") {
      const b = JSON.parse(input!);
      const cur = state.objects[p];
      if (!cur) return err("NotFound", p);
      if (cur.metadata.resourceVersion !== b.metadata.resourceVersion) return err("Conflict", "Operation cannot be fulfilled: the object has been modified");
      b.metadata.resourceVersion = String(Number(cur.metadata.resourceVersion) + 1);
      state.objects[p] = b;
      return out(b);
    }
    return out("");
  };
}

/**
 * A pool definition shaped like the one the component ships with default settings (pool.json; the
 * shipped one is synthesized and rendered in dojo-engine.test.ts). Literal here: synthesizing just
 * for these fixtures would cost this file more than all its tests together.
 */
const BELT: BeltPool = { slots: 2, quota: { cpu: "2", memory: "4Gi", storage: "10Gi" }, learnerRole: "", ingressFrom: ["ingress"], egressTo: ["ingress"] };
const POOL: PoolDefinition = {
  version: 1,
  namespace: "dojo",
  validatorNamespace: "dojo-validators",
  domain: "fawkes.test",
  ttlHours: 24,
  scheduling: {
    nodeSelector: { "fawkes.dev/pool": "dojo" },
    tolerations: [{ key: "fawkes.dev/pool", operator: "Equal", value: "dojo", effect: "NoSchedule" }],
  },
  readerRole: "dojo-slot-reader",
  argocd: null,
  pushgateway: "http://dojo-pushgateway.dojo.svc:9091",
  belts: Object.fromEntries(BELTS.map((b) => [b, { ...BELT, learnerRole: `dojo-learner-${b}` }])) as PoolDefinition["belts"],
  seeds: {},
};

function freeSlot(i: number) {
  const ns = renderSlot("white", i, POOL, "2026-09-01T00:00:00Z").objects[0];
  ns.metadata.labels![LABELS.state] = "free";
  (ns.metadata as any).resourceVersion = "1";
  return ns;
}

/** Two free white slots; `run` is one `scripts/dojo ...` command line, in-process, in a fresh directory. */
function world(http?: Http) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dojo-script-"));
  const state: FakeState = { objects: Object.fromEntries([1, 2].map((i) => [`/api/v1/namespaces/dojo-white-00${i}`, freeSlot(i)])), log: [] };
  const run = async (...args: string[]) => {
    let stdout = "";
    let stderr = "";
    const status = await dojo.main(args, {
      kubectl: fakeKubectl(state),
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      sleep: async () => undefined,
      cwd: dir,
      ...(http ? { http } : {}),
    });
    return { status, stdout, stderr };
  };
  return { dir, run, state };
}

describe("scripts/dojo", () => {
  test("an instructor claims a lab for a learner with one command, and gets a kubeconfig for that slot only", async () => {
    const w = world();
    const r = await w.run("claim", "white", "bob");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Claimed dojo-white-001 for bob (white belt)");
    expect(r.stdout).toContain("white belt, module 01-deploy: Deploy your first service");
    const ns = w.state.objects["/api/v1/namespaces/dojo-white-001"];
    expect(ns.metadata.labels).toMatchObject({ [LABELS.state]: "claimed", [LABELS.learner]: "bob" });
    expect(ns.metadata.annotations[ANNOTATIONS.module]).toBe("01-deploy");
    const kubeconfig = JSON.parse(fs.readFileSync(path.join(w.dir, "dojo-white-001.kubeconfig"), "utf8"));
    expect(kubeconfig.contexts[0].context).toMatchObject({ namespace: "dojo-white-001" });
    expect(kubeconfig.users[0].user.token).toBe("fake-token-for-dojo-white-001");
    expect(fs.statSync(path.join(w.dir, "dojo-white-001.kubeconfig")).mode & 0o077).toBe(0);
    expect(r.stdout).not.toContain("fake-token");
  });

  test("a learner claims for themselves (their own identity, no token); an unknown module is refused first", async () => {
    const w = world();
    const refused = await w.run("claim", "white", "--module", "09-nope");
    expect(refused.stderr).toContain('the white belt has no module "09-nope"');
    expect(refused.status).toBe(1);
    expect(w.state.objects["/api/v1/namespaces/dojo-white-001"].metadata.labels[LABELS.state]).toBe("free");
    expect((await w.run("claim", "white")).stdout).toContain("Claimed dojo-white-001 for alice-example.com (white belt)");
    expect(w.state.objects["/api/v1/namespaces/dojo-white-001"].metadata.annotations[ANNOTATIONS.user]).toBe("Alice@Example.com");
    expect(fs.existsSync(path.join(w.dir, "dojo-white-001.kubeconfig"))).toBe(false);
  });

  test("without identity, an instructor's claim records the learner by name, as before, and says so", async () => {
    const w = world(async () => {
      throw new Error("no Keycloak to ask");
    });
    const r = await w.run("claim", "white", "bob");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("No identity on this platform (no Secret identity/keycloak-admin): bob is recorded by name only.");
    const a = w.state.objects["/api/v1/namespaces/dojo-white-001"].metadata.annotations;
    expect(a[ANNOTATIONS.learnerId]).toBeUndefined();
  });

  describe("with identity: the learner must be an enabled Keycloak user in learners", () => {
    // Recorded answers of Keycloak 26's Admin REST API.
    const ALICE = {
      id: "5f0c1c8e-2b7a-4a59-9d43-1f7c2b0e9a11",
      username: "alice",
      firstName: "Alice",
      email: "alice@example.com",
      emailVerified: true,
      enabled: true,
      createdTimestamp: 1764580000000,
      requiredActions: [],
    };
    const LEARNERS = [{ id: "0d7e6c57-8a7e-4b6f-a3f5-9f1a9a1c6b21", name: "learners", path: "/learners", subGroups: [] }];
    const PASSWORD = "generated-by-terraform";
    const b64 = (t: string) => Buffer.from(t).toString("base64");
    const ISSUER = "https://sso.fawkes.test/realms/fawkes";

    function identityWorld(user: Record<string, unknown>, groups: unknown[]) {
      const calls: { url: string; body?: string }[] = [];
      const w = world(async (url, o = {}) => {
        calls.push({ url, body: o.body });
        if (url === "https://sso.fawkes.test/realms/master/protocol/openid-connect/token")
          return { status: 200, text: JSON.stringify({ access_token: "kc-token" }) };
        if (o.headers?.Authorization !== "Bearer kc-token") return { status: 401, text: "{}" };
        if (url === `https://sso.fawkes.test/admin/realms/fawkes/users?username=alice&exact=true`) return { status: 200, text: JSON.stringify([user]) };
        if (url === `https://sso.fawkes.test/admin/realms/fawkes/users/${ALICE.id}/groups`) return { status: 200, text: JSON.stringify(groups) };
        return { status: 404, text: JSON.stringify({ error: "not found" }) };
      });
      w.state.objects["/api/v1/namespaces/identity/secrets/keycloak-admin"] = {
        metadata: { name: "keycloak-admin", namespace: "identity" },
        data: { username: b64("admin"), password: b64(PASSWORD) },
      };
      w.state.objects["/api/v1/namespaces/dojo/configmaps/dojo-pool"] = {
        metadata: { name: "dojo-pool", namespace: "dojo" },
        data: { "pool.json": JSON.stringify({ ...POOL, identity: { issuer: ISSUER } }) },
      };
      return { ...w, calls };
    }

    test("a member: claimed, with her Keycloak id and e-mail on the slot; the admin password never in argv or output", async () => {
      const w = identityWorld(ALICE, LEARNERS);
      const r = await w.run("claim", "white", "alice");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`alice is a learner in Keycloak (user id ${ALICE.id})`);
      const ns = w.state.objects["/api/v1/namespaces/dojo-white-001"];
      expect(ns.metadata.labels[LABELS.learner]).toBe("alice");
      expect(ns.metadata.annotations).toMatchObject({ [ANNOTATIONS.learnerId]: ALICE.id, [ANNOTATIONS.learnerEmail]: "alice@example.com" });
      // The issuer came from the pool definition; the password only in the token request's body.
      expect(w.calls[0].body).toContain(`password=${PASSWORD}`);
      expect(w.state.log.join("\n")).not.toContain(PASSWORD);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      expect(r.stdout).not.toContain("kc-token");
    });

    test("not in learners: refused, saying where to add her, and no slot is claimed", async () => {
      const w = identityWorld(ALICE, [{ id: "x", name: "developers", path: "/developers" }]);
      const r = await w.run("claim", "white", "alice");
      expect(r.status).toBe(1);
      expect(r.stderr).toBe("dojo: alice is not in the learners group: add them in Keycloak → Users → alice → Groups\n");
      expect(w.state.objects["/api/v1/namespaces/dojo-white-001"].metadata.labels[LABELS.state]).toBe("free");
    });

    test("a disabled user: refused; --issuer overrides the pool's", async () => {
      const w = identityWorld({ ...ALICE, enabled: false }, LEARNERS);
      const r = await w.run("claim", "white", "alice", "--issuer", ISSUER);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("alice is disabled in Keycloak: enable them in Keycloak → Users → alice");
      expect(w.state.objects["/api/v1/namespaces/dojo-white-001"].metadata.labels[LABELS.state]).toBe("free");
      const other = identityWorld(ALICE, LEARNERS);
      await other.run("claim", "white", "alice", "--issuer", "https://login.example.com/realms/fawkes");
      expect(other.calls[0].url).toBe("https://login.example.com/realms/master/protocol/openid-connect/token");
    });
  });

  test("status lists slots; release gives back exactly the named slot", async () => {
    const w = world();
    await w.run("claim", "white", "bob", "--module", "02-expose");
    const status = (await w.run("status")).stdout;
    expect(status).toMatch(/dojo-white-001\s+white\s+claimed\s+bob\s+02-expose\s+in 24h/);
    expect(status).toMatch(/dojo-white-002\s+white\s+free/);
    const before = JSON.stringify(w.state.objects["/api/v1/namespaces/dojo-white-002"]);
    const released = await w.run("release", "dojo-white-001");
    expect(released.stdout).toContain("Released dojo-white-001");
    expect(released.status).toBe(0);
    expect(w.state.objects["/api/v1/namespaces/dojo-white-001"].metadata.labels[LABELS.state]).toBe("released");
    expect(JSON.stringify(w.state.objects["/api/v1/namespaces/dojo-white-002"])).toBe(before);
  });

  test("check runs the slot's checks with the caller's credentials and prints what passes and what does not", async () => {
    const w = world();
    const slot = renderSlot("white", 1, POOL).objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "dojo-slot")!;
    w.state.objects["/api/v1/namespaces/dojo-white-001/configmaps/dojo-slot"] = slot;
    w.state.objects["/apis/apps/v1/namespaces/dojo-white-001/deployments/podinfo"] = {
      metadata: { name: "podinfo" },
      spec: {
        template: {
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{ image: "ghcr.io/stefanprodan/podinfo:6.14.1" }],
          },
        },
      },
      status: { availableReplicas: 2, conditions: [{ type: "Available", status: "True" }] },
    };
    const out = (await w.run("check", "dojo-white-001")).stdout;
    expect(out).toContain("dojo-white-001 (learner -, white belt)");
    expect(out).toMatch(/ok {3}available: Deployment podinfo has at least 2 available replicas/);
    expect(out).toContain("FAIL requests: Deployment/podinfo: spec.template.spec.containers[0].resources.requests.cpu is not set");
    expect(out).toContain("FAIL ingress-host: no Ingress named podinfo in dojo-white-001");
  });

  test("the executable runs kubectl from $KUBECTL with the --context given and prints to stdout (smoke test of the real entry)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dojo-script-"));
    fs.writeFileSync(path.join(dir, "namespaces.json"), JSON.stringify({ items: [freeSlot(1)] }));
    // A shell stand-in (no second node start): records its args, answers with one free slot.
    fs.writeFileSync(path.join(dir, "kubectl"), '#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$(dirname "$0")/log"\ncat "$(dirname "$0")/namespaces.json"\n', {
      mode: 0o755,
    });
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "dojo"), "status", "--context", "lab"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, KUBECTL: path.join(dir, "kubectl") },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dojo-white-001\s+white\s+free/);
    expect(fs.readFileSync(path.join(dir, "log"), "utf8")).toBe(
      `--context lab get --raw /api/v1/namespaces?labelSelector=${encodeURIComponent(LABELS.belt)}\n`,
    );
  });
});

test("the kubectl client maps kubectl's errors to HTTP statuses (409 drives the claim retry)", async () => {
  const api = kubectlClient({
    spawnSync: (() => ({ status: 1, stderr: 'Error from server (Conflict): Operation cannot be fulfilled on namespaces "x"', stdout: "" })) as any,
  });
  await expect(api.request("PUT", "/api/v1/namespaces/x", {})).rejects.toMatchObject({ status: 409, reason: "Conflict" });
});
