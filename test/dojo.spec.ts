import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHECK_KINDS, loadCurriculum } from "../constructs/components/dojo/curriculum";
import { DojoComponent, NODE_IMAGE } from "../constructs/components/dojo";
import { renderSlot, specHash, BELTS, LABELS, type PoolDefinition } from "../constructs/components/dojo/engine/slot";
import { selectorMatches } from "../constructs/components/dojo/engine/checks";
import type { Installed } from "../constructs/platform";
import { FakeContext, manifests, release, resources, synthComponents, values } from "./support";

const ROOT = path.join(__dirname, "..");
const byName = (tf: any, type: string, name: string) => resources(tf, type).find(([, r]) => r.metadata?.name === name)?.[1];
const pool = (tf: any): PoolDefinition => JSON.parse(byName(tf, "kubernetes_config_map_v1", "dojo-pool").data["pool.json"].replace(/\$\$\{/g, "${"));

describe("curriculum", () => {
  const curriculum = loadCurriculum();

  test("five belts, each with at least four modules, each module with at least one check", () => {
    expect(Object.keys(curriculum)).toEqual(["white", "yellow", "green", "brown", "black"]);
    for (const belt of BELTS) {
      expect(curriculum[belt].length).toBeGreaterThanOrEqual(4);
      for (const m of curriculum[belt]) {
        expect(m.checks.length).toBeGreaterThanOrEqual(1);
        expect(m.objectives.length).toBeGreaterThanOrEqual(1);
        expect(m.provides.length).toBeGreaterThanOrEqual(1);
        expect(m.instructions.length).toBeLessThanOrEqual(2000);
      }
    }
  });

  test("the issue's example checks exist: available replicas, Ingress TLS, ServiceMonitor, Argo CD health, PrometheusRule alert", () => {
    const all = BELTS.flatMap((b) => curriculum[b].flatMap((m) => m.checks));
    const has = (kind: string, path: RegExp) => all.some((c) => c.kind === kind && (c.expect ?? []).some((e) => "path" in e && path.test(e.path)));
    expect(has("Deployment", /^status\.availableReplicas$/)).toBe(true);
    expect(has("Ingress", /^spec\.tls/)).toBe(true);
    expect(all.some((c) => c.kind === "ServiceMonitor" && (c.expect ?? []).some((e) => "selects" in e))).toBe(true);
    expect(has("Application", /^status\.health\.status$/) && has("Application", /^status\.sync\.status$/)).toBe(true);
    expect(has("PrometheusRule", /\.alert$/)).toBe(true);
  });

  function tmpCurriculum(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dojo-curriculum-"));
    for (const belt of BELTS) {
      fs.mkdirSync(path.join(dir, belt));
      fs.copyFileSync(path.join(ROOT, "constructs/components/dojo/curriculum/white/01-deploy.yaml"), path.join(dir, belt, "01-deploy.yaml"));
    }
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    return dir;
  }
  const good = fs.readFileSync(path.join(ROOT, "constructs/components/dojo/curriculum/white/01-deploy.yaml"), "utf8");

  test("a malformed module fails synth naming the file and the field", () => {
    const dir = tmpCurriculum({
      "green/02-rollback.yaml": good.replace(
        "kind: Deployment\n    name: podinfo\n    expect:\n      - { path: status.availableReplicas",
        "kind: Foo\n    name: podinfo\n    expect:\n      - { path: status.availableReplicas",
      ),
    });
    const file = path.join(dir, "green/02-rollback.yaml");
    expect(() => new DojoComponent({ curriculumDir: dir })).toThrow(`${file}: checks.0.kind: expected one of ${CHECK_KINDS.join(", ")}, got "Foo"`);
  });

  test("a module without checks, with an unknown field or an unknown template variable is refused, naming the field", () => {
    const noChecks = tmpCurriculum({ "black/05-empty.yaml": good.replace(/checks:[\s\S]*$/, "checks: []\n") });
    expect(() => loadCurriculum(noChecks)).toThrow(/black\/05-empty\.yaml: checks: a module needs at least one check/);
    const extra = tmpCurriculum({ "white/05-extra.yaml": good.replace("title:", "difficulty: hard\ntitle:") });
    expect(() => loadCurriculum(extra)).toThrow(/white\/05-extra\.yaml: Unrecognized key: "difficulty"/);
    const variable = tmpCurriculum({ "white/05-var.yaml": good.replace("value: 2 }", 'value: "{{replicas}}" }') });
    expect(() => loadCurriculum(variable)).toThrow(/white\/05-var\.yaml: checks\.0\.expect\.0\.value: unknown template variable \{\{replicas\}\}/);
    const badPath = tmpCurriculum({ "white/05-path.yaml": good.replace("path: status.availableReplicas", "path: status..availableReplicas") });
    expect(() => loadCurriculum(badPath)).toThrow(/white\/05-path\.yaml: checks\.0\.expect\.0\.path: bad path "status\.\.availableReplicas"/);
    const badName = tmpCurriculum({ "white/Deploy.yaml": good });
    expect(() => loadCurriculum(badName)).toThrow(/white\/Deploy\.yaml: the file name must be <nn>-<slug>\.yaml/);
  });

  test("checks read only kinds the validator's role can read, and never secrets", () => {
    expect(CHECK_KINDS).not.toContain("Secret");
    for (const belt of BELTS) for (const m of curriculum[belt]) for (const c of m.checks) expect(CHECK_KINDS).toContain(c.kind);
  });
});

describe("the Dojo component", () => {
  const { tf, ctx, platform } = synthComponents(["dojo", "observability", "argocd"]);
  const roles = Object.fromEntries(resources(tf, "kubernetes_cluster_role_v1").map(([, r]) => [r.metadata.name, r.rule]));

  test("slots scale without Terraform: the resource count does not depend on the number of slots", () => {
    const count = (slots: number) => {
      const s = synthComponents(["dojo", "observability", "argocd"], { config: { dojo: { belts: Object.fromEntries(BELTS.map((b) => [b, { slots }])) } } });
      return Object.fromEntries(Object.entries<any>(s.tf.resource).map(([type, byId]) => [type, Object.keys(byId).length]));
    };
    const none = count(0);
    expect(count(100)).toEqual(none);
    expect(count(2)).toEqual(none);
  });

  test("the slot count reaches the cluster only as data in the pool definition", () => {
    const s = synthComponents(["dojo"], { config: { dojo: { ttlHours: 8, belts: { black: { slots: 7, cpu: "4", memory: "8Gi" } } } } });
    const p = pool(s.tf);
    expect(p.ttlHours).toBe(8);
    expect(p.belts.black).toMatchObject({ slots: 7, quota: { cpu: "4", memory: "8Gi", storage: "10Gi" } });
    expect(p.belts.white).toMatchObject({ slots: 2, quota: { cpu: "2", memory: "4Gi", storage: "10Gi" } });
  });

  test("lab pods are placed on the dojo pool by a Kyverno MutatingPolicy for slot namespaces, from the context's scheduling", () => {
    const objs = manifests(release(tf, "dojo-placement"));
    const mpol = objs.find((o) => o.kind === "MutatingPolicy");
    const dojo = ctx.nodePools.dojo;
    const expr: string = mpol.spec.mutations[0].jsonPatch.expression;
    for (const [k, v] of Object.entries(dojo.nodeSelector)) expect(expr).toContain(`jsonpatch.escapeKey('${k}'), value: '${v}'`);
    for (const t of dojo.tolerations)
      expect(expr).toContain(`{'key': '${t.key}', 'operator': '${t.operator}', 'value': '${t.value}', 'effect': '${t.effect}'}`);
    expect(expr).not.toMatch(/'(system|workloads)'/);
    expect(mpol.spec.autogen).toEqual({ podControllers: { controllers: [] } });
    // The policy selects slot namespaces (as the reconciler labels them) and nothing else.
    const slotNs = renderSlot("white", 1, pool(tf)).objects[0];
    expect(selectorMatches(mpol.spec.matchConstraints.namespaceSelector, slotNs.metadata.labels!)).toBe(true);
    expect(selectorMatches(mpol.spec.matchConstraints.namespaceSelector, { "kubernetes.io/metadata.name": "jenkins" })).toBe(false);
    const [kyvernoId] = resources(tf, "helm_release").find(([, r]) => r.name === "kyverno")!;
    expect(release(tf, "dojo-placement").depends_on).toContain(`helm_release.${kyvernoId}`);
    // The other guards are native policies: they do not wait for Kyverno.
    expect(release(tf, "dojo-policies").depends_on).not.toContain(`helm_release.${kyvernoId}`);
  });

  test("lab pods that would land elsewhere are refused in the API server (fail closed), Kyverno or not", () => {
    const objs = manifests(release(tf, "dojo-placement"));
    const vap = objs.find((o) => o.kind === "ValidatingAdmissionPolicy" && o.metadata.name === "dojo-lab-placement");
    const binding = objs.find((o) => o.kind === "ValidatingAdmissionPolicyBinding" && o.metadata.name === "dojo-lab-placement");
    expect(vap.spec.failurePolicy).toBe("Fail");
    expect(binding.spec).toEqual({ policyName: "dojo-lab-placement", validationActions: ["Deny"] });
    const exprs = vap.spec.validations.map((v: any) => v.expression).join("\n");
    expect(exprs).toContain("object.spec.nodeSelector['fawkes.dev/pool'] == 'dojo'");
    expect(exprs).toContain("t.key == 'fawkes.dev/pool'");
    expect(exprs).toContain("t.value == 'dojo'");
    expect(exprs).toContain("object.spec.nodeName");
    // Kyverno is only the convenience: a Kyverno failure must not block other pods.
    expect(objs.find((o) => o.kind === "MutatingPolicy").spec.failurePolicy).toBe("Ignore");
  });

  test("a different dojo pool in the context changes the policies, not a hard-coded label", () => {
    const custom = synthComponents(["dojo"], {
      context: (c) =>
        ((c as any).nodePools = {
          ...c.nodePools,
          dojo: { nodeSelector: { "example.com/lab": "yes" }, tolerations: [{ key: "example.com/lab", operator: "Exists", effect: "NoExecute" }] },
        }),
    });
    const objs = manifests(release(custom.tf, "dojo-placement"));
    const text = JSON.stringify(objs);
    expect(text).toContain("example.com/lab");
    expect(text).not.toContain("fawkes.dev/pool");
    expect(pool(custom.tf).scheduling).toEqual({
      nodeSelector: { "example.com/lab": "yes" },
      tolerations: [{ key: "example.com/lab", operator: "Exists", effect: "NoExecute" }],
    });
  });

  test("lab Ingress hosts are confined to <name>-<slot>.<domain>", () => {
    const vap = manifests(release(tf, "dojo-policies")).find((o) => o.metadata.name === "dojo-lab-ingress-hosts" && o.kind === "ValidatingAdmissionPolicy");
    expect(vap.spec.variables).toEqual([{ name: "suffix", expression: "'-' + request.namespace + '.fawkes.test'" }]);
    const rule = vap.spec.validations[0].expression;
    expect(rule).toBe(
      "has(object.spec.rules) && object.spec.rules.all(r, has(r.host) && (r.host.endsWith(variables.suffix) && r.host.substring(0, r.host.size() - variables.suffix.size()).matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')))",
    );
    // The same rule in JavaScript, on the hosts that matter.
    const allowed = (host: string, slot: string) => {
      const suffix = `-${slot}.fawkes.test`;
      return host.endsWith(suffix) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(host.slice(0, host.length - suffix.length));
    };
    expect(allowed("podinfo-dojo-white-001.fawkes.test", "dojo-white-001")).toBe(true);
    expect(allowed("grafana.fawkes.test", "dojo-white-001")).toBe(false);
    expect(allowed("podinfo-dojo-white-002.fawkes.test", "dojo-white-001")).toBe(false);
    expect(allowed("a.b-dojo-white-001.fawkes.test", "dojo-white-001")).toBe(false);
  });

  test("a laptop cluster without pool labels: no node selector is added or required, the toleration still is", () => {
    const laptop = synthComponents(["dojo"], {
      context: (c) => ((c as any).nodePools = { ...c.nodePools, dojo: { nodeSelector: {}, tolerations: c.nodePools.dojo.tolerations } }),
    });
    const objs = manifests(release(laptop.tf, "dojo-placement"));
    const expr: string = objs.find((o) => o.kind === "MutatingPolicy").spec.mutations[0].jsonPatch.expression;
    expect(expr).not.toContain("nodeSelector");
    expect(expr).toContain("/spec/tolerations");
    const vap = objs.find((o) => o.kind === "ValidatingAdmissionPolicy" && o.metadata.name === "dojo-lab-placement");
    expect(vap.spec.validations.map((v: any) => v.expression).join("\n")).not.toContain("nodeSelector");
  });

  test("the validator's RBAC cannot read other namespaces: no cluster-wide read beyond namespace names, slot roles bound per slot", () => {
    // The validator job itself: namespace names (to find claimed slots), and tokens in the validators' namespace only.
    expect(roles["dojo-validator"]).toEqual([{ api_groups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] }]);
    const tokenRole = resources(tf, "kubernetes_role_v1").find(([, r]) => r.metadata.name === "dojo-validator")![1];
    expect(tokenRole.metadata.namespace).toBe("dojo-validators");
    // The per-slot reader role: read-only, never secrets...
    for (const rule of roles["dojo-slot-reader"]) {
      expect(rule.verbs).toEqual(["get", "list", "watch"]);
      expect(rule.resources).not.toContain("secrets");
    }
    // ...and never bound cluster-wide: only the slot's own RoleBinding grants it (see the engine tests).
    for (const [, b] of resources(tf, "kubernetes_cluster_role_binding_v1")) {
      expect(b.role_ref.name).not.toBe("dojo-slot-reader");
      for (const s of b.subject) expect(s.namespace).not.toBe("dojo-validators");
    }
    const bindingsOfReader = BELTS.flatMap((belt) => renderSlot(belt, 1, pool(tf)).objects).filter(
      (o: any) => o.kind === "RoleBinding" && o.roleRef.name === "dojo-slot-reader",
    );
    expect(bindingsOfReader.every((b: any) => b.metadata.namespace === b.subjects[0].name)).toBe(true);
  });

  test("learner roles: everything an app needs in the slot, guardrails read-only, Argo CD from green, tenant objects by name for black", () => {
    const can = (belt: string, resource: string, verb: string) =>
      roles[`dojo-learner-${belt}`].some((r: any) => r.resources.includes(resource) && r.verbs.includes(verb) && !r.resource_names);
    expect(can("white", "deployments", "create")).toBe(true);
    expect(can("white", "networkpolicies", "delete")).toBe(false);
    expect(can("white", "resourcequotas", "update")).toBe(false);
    expect(can("white", "rolebindings", "update")).toBe(false);
    expect(can("yellow", "applications", "create")).toBe(false);
    expect(can("green", "applications", "create")).toBe(true);
    const named = roles["dojo-learner-black"].find((r: any) => r.resources.includes("rolebindings") && r.verbs.includes("delete"));
    expect(named.resource_names).toEqual(["team-a-developers"]);
    expect(roles["dojo-learner-black"].find((r: any) => r.resources.includes("resourcequotas") && r.verbs.includes("update")).resource_names).toEqual([
      "team-quota",
    ]);
    for (const belt of BELTS) expect(JSON.stringify(roles[`dojo-learner-${belt}`])).not.toMatch(/"\*"|serviceaccounts\/token|escalate|impersonate/);
  });

  test("the reconciler may bind only the Dojo's roles, and an admission policy confines it to slots", () => {
    const bind = roles["dojo-reconciler"].find((r: any) => r.verbs.includes("bind"));
    expect(bind.resource_names.sort()).toEqual([...BELTS.map((b) => `dojo-learner-${b}`), "dojo-slot-reader"].sort());
    const scope = manifests(release(tf, "dojo-policies")).find((o) => o.metadata.name === "dojo-reconciler-scope" && o.kind === "ValidatingAdmissionPolicy");
    expect(scope.spec.matchConditions).toEqual([
      { name: "is-reconciler", expression: "request.userInfo.username == 'system:serviceaccount:dojo:dojo-reconciler'" },
    ]);
    expect(scope.spec.validations[0].expression).toContain(`'${LABELS.belt}' in namespaceObject.metadata.labels`);
  });

  test("learners claim for themselves through a group, and a policy lets them change only their own claim", () => {
    const binding = resources(tf, "kubernetes_cluster_role_binding_v1").find(([, b]) => b.metadata.name === "dojo-claimer")![1];
    expect(binding.subject).toEqual([{ kind: "Group", api_group: "rbac.authorization.k8s.io", name: "dojo-learners" }]);
    const policy = manifests(release(tf, "dojo-policies")).find(
      (o) => o.metadata.name === "dojo-self-service-claims" && o.kind === "ValidatingAdmissionPolicy",
    );
    expect(policy.spec.matchConditions[0].expression).toBe("'dojo-learners' in request.userInfo.groups");
    const text = policy.spec.validations.map((v: any) => v.expression).join("\n");
    expect(text).toContain("variables.newUser == request.userInfo.username");
    // Only the claim's own labels may change (Pod Security labels, belt and spec hash stay as rendered).
    expect(text).toContain("k in ['fawkes.dev/dojo-state', 'fawkes.dev/dojo-learner']");
    // The Keycloak identity an instructor's claim records is not one of them: a learner cannot take another's progress.
    const annotationsRule = policy.spec.validations.find((v: any) => v.expression.includes("annotations")).expression;
    expect(annotationsRule).toContain("'fawkes.dev/dojo-user'");
    expect(annotationsRule).not.toContain("learner-id");
    expect(annotationsRule).not.toContain("learner-email");
  });

  test("the engine runs from a ConfigMap in CronJobs: pinned Node image, non-root, read-only root, on the workloads pool", () => {
    const engine = byName(tf, "kubernetes_config_map_v1", "dojo-engine");
    const onDisk = fs.readFileSync(path.join(ROOT, "constructs/components/dojo/engine/pool.js"), "utf8");
    expect(engine.data["pool.js"]).toBe(onDisk.replace(/\$\{/g, () => "$${"));
    expect(Object.keys(engine.data).sort()).toEqual(["checks.js", "kinds.json", "kube.js", "main.js", "metrics.js", "pool.js", "slot.js"]);
    expect(NODE_IMAGE).toMatch(/^docker\.io\/library\/node:\d+\.\d+\.\d+-alpine\d+\.\d+$/);
    const jobs = release(tf, "dojo-jobs");
    for (const [name, args] of [
      ["dojo-reconciler", ["reconcile"]],
      ["dojo-validator", ["validate"]],
    ] as const) {
      const job = manifests(jobs).find((m: any) => m.kind === "CronJob" && m.metadata.name === name);
      expect(job.spec.concurrencyPolicy).toBe("Forbid");
      const pod = job.spec.jobTemplate.spec.template.spec;
      expect(pod.serviceAccountName).toBe(name);
      expect(pod.nodeSelector).toEqual(ctx.nodePools.workloads.nodeSelector);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
      const c = pod.containers[0];
      expect(c.image).toBe(NODE_IMAGE);
      expect(c.args).toEqual(args);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(["/opt/dojo", "/etc/dojo"]);
    }
    // The jobs start only after the placement and guard policies exist.
    for (const dep of ["dojo-placement", "dojo-policies"])
      expect(jobs.depends_on).toContain(`helm_release.${resources(tf, "helm_release").find(([, r]) => r.name === dep)![0]}`);
  });

  test("progress is recorded in a Pushgateway that only the Dojo's jobs and Prometheus can reach, scraped by a ServiceMonitor", () => {
    const v = values(release(tf, "dojo-pushgateway"));
    expect(v.serviceMonitor).toMatchObject({ enabled: true, namespace: "dojo" });
    expect(v.networkPolicy.customSelectors.map((s: any) => s.namespaceSelector.matchLabels["kubernetes.io/metadata.name"])).toEqual(["dojo", "observability"]);
    expect(v.persistentVolume.enabled).toBe(true);
    expect(v.extraArgs).toContain("--persistence.file=/data/pushgateway.data");
    expect(pool(tf).pushgateway).toBe("http://dojo-pushgateway.dojo.svc:9091");
    expect(v.nodeSelector).toEqual(ctx.nodePools.workloads.nodeSelector);
  });

  test('a Grafana "Dojo progress" dashboard: completion by belt, time to complete, failing checks, earned belts', () => {
    const cm = byName(tf, "kubernetes_config_map_v1", "dojo-progress");
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    const dash = JSON.parse(cm.data["dojo-progress.json"].replace(/\$\$\{/g, "${"));
    expect(dash.title).toBe("Dojo progress");
    const titles = dash.panels.map((p: any) => p.title);
    expect(titles).toEqual(expect.arrayContaining(["Completion by belt", "Time to complete each module", "Failing checks", "Earned belts"]));
    const exprs = dash.panels
      .flatMap((p: any) => p.targets ?? [])
      .map((t: any) => t.expr)
      .join("\n");
    for (const metric of ["dojo_belt_completion_ratio", "dojo_module_completed_timestamp_seconds", "dojo_check_passed", "dojo_belt_earned"])
      expect(exprs).toContain(metric);
    // One learner's series are matched by identity (learner_id), never by name alone: a rename does not split them.
    const joins = exprs.match(/on \([^)]*\)/g) ?? [];
    expect(joins.length).toBeGreaterThan(0);
    for (const j of joins) expect(j).toBe("on (learner_id, learner, belt)");
  });

  test("with observability: alerts on the Dojo itself; Kyverno's ServiceMonitor on", () => {
    const rule = manifests(release(tf, "dojo-alerts"))[0];
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual(["DojoReconcilerStale", "DojoNoFreeSlots"]);
    expect(values(release(tf, "kyverno")).admissionController.serviceMonitor.enabled).toBe(true);
    // Their ServiceMonitors need the Prometheus Operator's CRDs first.
    for (const name of ["kyverno", "dojo-pushgateway"])
      expect(release(tf, name).depends_on.some((d: string) => d.startsWith("helm_release.Platform_Observability_"))).toBe(true);
  });

  test("without observability and Argo CD: no monitors, no AppProjects, slots still isolated", () => {
    const bare = synthComponents(["dojo"]);
    expect(() => release(bare.tf, "dojo-alerts")).toThrow();
    expect(values(release(bare.tf, "dojo-pushgateway")).serviceMonitor.enabled).toBe(false);
    const p = pool(bare.tf);
    expect(p.argocd).toBeNull();
    expect(renderSlot("green", 1, p).objects.some((o) => o.kind === "AppProject")).toBe(false);
    expect(p.belts.brown.egressTo).toEqual(["ingress"]);
  });

  test("Kyverno sits on the system pool; the Dojo's own pods are counted in requests", () => {
    expect(values(release(tf, "kyverno")).admissionController.nodeSelector).toEqual(ctx.nodePools.system.nodeSelector);
    const out = platform.outputs.get("dojo")!;
    // Pushgateway (10m/32Mi, small profile) + the two jobs (50m/96Mi each).
    expect(out.requests).toEqual({ cpu: 0.11, memoryGiB: 0.219 });
  });

  test("wrong props fail at construction, naming the prop and the value", () => {
    expect(() => new DojoComponent({ ttlHours: 0 })).toThrow("DojoProps.ttlHours must be a whole number of hours from 1 to 720, got 0");
    expect(() => new DojoComponent({ belts: { white: { slots: 501 } } })).toThrow("DojoProps.belts.white.slots must be a whole number from 0 to 500, got 501");
    expect(() => new DojoComponent({ belts: { green: { cpu: "lots" } } })).toThrow('DojoProps.belts.green.cpu must be a quantity such as "2", got "lots"');
    expect(() => new DojoComponent({ belts: { black: { memory: "256Mi" } } })).toThrow(
      'DojoProps.belts.black.memory must be at least 512Mi (the curriculum\'s workloads need it), got "256Mi"',
    );
    expect(() => new DojoComponent({ validateEveryMinutes: 60 })).toThrow("DojoProps.validateEveryMinutes must be a whole number from 1 to 59, got 60");
  });

  test("the pinned charts: Kyverno 3.9.0 and the Pushgateway 3.8.0, with no literal secrets", () => {
    expect(release(tf, "kyverno")).toMatchObject({ chart: "kyverno", version: "3.9.0", repository: "https://kyverno.github.io/kyverno/" });
    expect(release(tf, "dojo-pushgateway")).toMatchObject({ chart: "prometheus-pushgateway", version: "3.8.0" });
  });

  test("the namespaces slots talk to are asked of the platform, not written down", () => {
    // A platform where the ingress, Jenkins and Argo CD run in other namespaces than their ids.
    const where: Record<string, string> = { ingress: "edge", jenkins: "ci", argocd: "delivery" };
    const deps = {
      maybe: () => undefined,
      has: (id: string) => id === "argocd",
      isEnabled: (id: string) => id in where,
      namespaceOf: (id: string) => where[id],
    } as unknown as Installed;
    const p = new DojoComponent().poolDefinition(new FakeContext(), deps);
    expect(p.belts.yellow.ingressFrom).toEqual(["edge", "ci"]);
    expect(p.belts.white.egressTo).toEqual(["edge"]);
    expect(p.argocd).toEqual({ namespace: "delivery" });
    expect(p.identity).toBeNull();
  });

  test("with identity: the pool definition carries its issuer (scripts/dojo checks learners there), without it none", () => {
    const issuer = "https://sso.fawkes.test/realms/fawkes";
    const deps = (withIdentity: boolean) =>
      ({
        maybe: (s: string) => (withIdentity && s === "identity" ? { issuer, registerClient: () => undefined } : undefined),
        has: () => false,
        isEnabled: () => false,
        namespaceOf: (id: string) => id,
      }) as unknown as Installed;
    const dojo = new DojoComponent();
    expect(dojo.uses).toContain("identity");
    expect(dojo.poolDefinition(new FakeContext(), deps(true)).identity).toEqual({ issuer });
    expect(dojo.poolDefinition(new FakeContext(), deps(false)).identity).toBeNull();
    // Not part of what slots are rendered from: turning identity on rebuilds no free slot.
    const on = dojo.poolDefinition(new FakeContext(), deps(true));
    const off = dojo.poolDefinition(new FakeContext(), deps(false));
    for (const belt of BELTS) expect(specHash(belt, on)).toBe(specHash(belt, off));
  });
});
