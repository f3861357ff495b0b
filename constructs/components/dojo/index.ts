import * as fs from "node:fs";
import * as path from "node:path";
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { ClusterRoleV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { PlatformContext } from "../../context";
import { escapeTemplates, manifestsRelease, platformRelease, releaseValues, renderYaml } from "../../helm";
import { grafanaDashboard, monitoringCrds } from "../../monitoring";
import { platformNamespace } from "../../namespace";
import { sumRequests } from "../../sizes";
import type { Component, ComponentOutput, Installed } from "../../platform";
import { CURRICULUM_DIR, curriculumJson, loadCurriculum, type Curriculum } from "./curriculum";
import { progressDashboard } from "./dashboard";
import { BELTS, cpuMillis, memoryMiB, type Belt, type BeltPool, type K8sObject, type PoolDefinition } from "./engine/slot";
import { ingressHostValidation, placementMutation, placementValidation, reconcilerScope, selfServiceClaims } from "./policies";
import * as rbac from "./rbac";
import { runbookUrl } from "../../runbooks";

/** Per-belt pool settings, as in the config (`dojo.belts.<belt>`). */
export interface DojoBeltProps {
  /** Warm lab slots kept for this belt (0-500). @default 2 */
  readonly slots?: number;
  /** CPU quota of each slot (requests and limits). @default "2" */
  readonly cpu?: string;
  /** Memory quota of each slot (requests and limits). @default "4Gi" */
  readonly memory?: string;
  /** Storage quota of each slot (sum of PVC requests). @default "10Gi" */
  readonly storage?: string;
}

export interface DojoProps {
  /** Hours a claimed slot lives before it is wiped and returned to the pool (1-720). @default 24 */
  readonly ttlHours?: number;
  /** Warm slots and quota per belt. @default - 2 slots per belt, 2 CPU / 4Gi / 10Gi each */
  readonly belts?: Partial<Record<Belt, DojoBeltProps>>;
  /**
   * Cluster group whose members may claim and release their own slot with scripts/dojo (an
   * admission policy limits them to exactly that). @default "dojo-learners"
   */
  readonly learnerGroup?: string;
  /** Minutes between validations of every claimed slot (1-59). @default 10 */
  readonly validateEveryMinutes?: number;
  /** Folder of the curriculum (one folder per belt, one YAML file per module). @default - constructs/components/dojo/curriculum */
  readonly curriculumDir?: string;
}

const DEFAULT_QUOTA = { cpu: "2", memory: "4Gi", storage: "10Gi" } as const;
/** Smallest quota the curriculum's workloads fit in. */
const MIN_QUOTA = { cpu: 500, memoryMiB: 512, storageMiB: 1024 } as const;
/** Where each slot's validator identity lives: only those service accounts, so minting their tokens grants nothing else. */
const VALIDATORS_NAMESPACE = "dojo-validators";
/** Slot namespaces whose learners keep Argo CD Applications in their own namespace (Green belt and up). */
export const ARGOCD_APPLICATION_NAMESPACES = ["dojo-green-*", "dojo-brown-*", "dojo-black-*"];
const KYVERNO_NAMESPACE = "kyverno";
const PUSHGATEWAY = "dojo-pushgateway";
/** Official Node.js image (docker-library), pinned: the engine needs nothing but Node. */
export const NODE_IMAGE = "docker.io/library/node:24.19.0-alpine3.24";
/** The image's `node` user. */
const NODE_UID = 1000;
const ENGINE_DIR = path.join(__dirname, "engine");
const ENGINE_FILES = ["main.js", "kube.js", "slot.js", "pool.js", "checks.js", "metrics.js", "kinds.json"];
const ENGINE_CONFIGMAP = "dojo-engine";
const POOL_CONFIGMAP = "dojo-pool";
const JOB_RESOURCES = { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

/**
 * The Dojo: belt-based, hands-on platform learning in isolated lab slots on the real platform.
 *
 * Slots are not Terraform resources. Terraform installs a constant set of objects — the engine
 * (plain JavaScript in a ConfigMap), the pool definition and curriculum, RBAC, two CronJobs, the
 * admission policies, the Pushgateway and a dashboard — and an in-cluster reconciler keeps the warm
 * pool: it renders every slot from the pool definition, wipes expired or released ones, and
 * rebuilds free ones when the definition changes. 500 slots cost Terraform nothing.
 */
export class DojoComponent implements Component {
  readonly id = "dojo";
  readonly needs = ["ingress", "tls"];
  // identity: its issuer goes into the pool definition, so scripts/dojo checks learners there.
  readonly uses = ["observability", "argocd", "identity"];
  readonly info = {
    title: "The Dojo",
    description: "Belt-based platform learning: isolated lab slots on the real platform, progress checked automatically",
    // The Dojo is Fawkes's own: its documentation is the README section (no upstream project).
    docs: "README.md#the-dojo",
    lifecycle: "experimental",
  } as const;

  private readonly curriculum: Curriculum;
  private readonly ttlHours: number;
  private readonly belts: Record<Belt, Required<DojoBeltProps>>;
  private readonly learnerGroup: string;
  private readonly validateEveryMinutes: number;

  constructor(props: DojoProps = {}) {
    this.ttlHours = props.ttlHours ?? 24;
    if (!Number.isInteger(this.ttlHours) || this.ttlHours < 1 || this.ttlHours > 720)
      throw new Error(`DojoProps.ttlHours must be a whole number of hours from 1 to 720, got ${props.ttlHours}`);
    this.validateEveryMinutes = props.validateEveryMinutes ?? 10;
    if (!Number.isInteger(this.validateEveryMinutes) || this.validateEveryMinutes < 1 || this.validateEveryMinutes > 59) {
      throw new Error(`DojoProps.validateEveryMinutes must be a whole number from 1 to 59, got ${props.validateEveryMinutes}`);
    }
    this.learnerGroup = props.learnerGroup ?? "dojo-learners";
    if (!this.learnerGroup.trim()) throw new Error(`DojoProps.learnerGroup must be a group name, got "${props.learnerGroup}"`);
    for (const key of Object.keys(props.belts ?? {})) {
      if (!(BELTS as string[]).includes(key)) throw new Error(`DojoProps.belts has no belt "${key}": use ${BELTS.join(", ")}`);
    }
    this.belts = {} as Record<Belt, Required<DojoBeltProps>>;
    for (const belt of BELTS) this.belts[belt] = validateBelt(belt, props.belts?.[belt] ?? {});
    // Fails synth naming the file and field of a malformed module.
    this.curriculum = loadCurriculum(props.curriculumDir ?? CURRICULUM_DIR);
  }

  install(root: Construct, ctx: PlatformContext, deps: Installed): ComponentOutput {
    const ns = platformNamespace(root, ctx, this.id);
    const validatorsNs = platformNamespace(new Construct(root, "Validators"), ctx, VALIDATORS_NAMESPACE);
    const observability = deps.has("observability");
    const monitoring = deps.maybe("monitoring");
    // Argo CD's namespace when it is installed before the Dojo (its `uses`): slots get AppProjects there.
    const argocdNamespace = deps.has("argocd") ? deps.namespaceOf("argocd") : undefined;
    const labels = { "app.kubernetes.io/part-of": "fawkes", "app.kubernetes.io/name": "dojo" };

    // Kyverno: only to place lab pods on the dojo pool (see policies.ts). Cluster infrastructure in
    // the admission path, so on the system pool like the front door.
    const kyvernoScope = new Construct(root, "Kyverno");
    const kyvernoNs = platformNamespace(kyvernoScope, ctx, KYVERNO_NAMESPACE);
    const system = { nodeSelector: ctx.nodePools.system.nodeSelector, tolerations: ctx.nodePools.system.tolerations };
    const kyverno = platformRelease(kyvernoScope, "Release", ctx, {
      chart: "kyverno",
      name: "kyverno",
      namespace: KYVERNO_NAMESPACE,
      createNamespace: false,
      // Its ServiceMonitor needs the Prometheus Operator's CRDs (only those: not Grafana).
      dependsOn: [kyvernoNs, ...(observability ? monitoringCrds(deps) : [])],
      values: [
        renderYaml(
          releaseValues(ctx, "dojo-kyverno", { admissionController: { ...system, serviceMonitor: { enabled: observability } }, webhooksCleanup: system }),
        ),
      ],
    });

    const workloads = { nodeSelector: ctx.nodePools.workloads.nodeSelector, tolerations: ctx.nodePools.workloads.tolerations };
    const fromNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
    const pushgatewayValues = releaseValues(ctx, "dojo-pushgateway", {
      fullnameOverride: PUSHGATEWAY,
      ...workloads,
      serviceMonitor: { enabled: observability, namespace: this.id },
      // Only the Dojo's jobs push, only Prometheus scrapes: a learner cannot forge progress.
      networkPolicy: { customSelectors: [fromNamespace(this.id), ...(monitoring ? [fromNamespace(monitoring.namespace)] : [])] },
    });
    const pushgateway = platformRelease(root, "Pushgateway", ctx, {
      chart: "prometheus-pushgateway",
      name: PUSHGATEWAY,
      namespace: this.id,
      createNamespace: false,
      // Its ServiceMonitor needs the monitoring CRDs.
      dependsOn: [ns, ...(observability ? monitoringCrds(deps) : [])],
      values: [renderYaml(pushgatewayValues)],
    });

    // Placement (from ctx.nodePools.dojo) apart from the other guards, which are the same on every
    // foundation and need no Kyverno (native ValidatingAdmissionPolicies).
    const placement = manifestsRelease(root, "Placement", ctx, {
      name: "dojo-placement",
      namespace: this.id,
      dependsOn: [kyverno, ns],
      manifests: [placementMutation(ctx.nodePools.dojo), ...placementValidation(ctx.nodePools.dojo)],
    });
    const reconcilerName = "dojo-reconciler";
    const policies = manifestsRelease(root, "Policies", ctx, {
      name: "dojo-policies",
      namespace: this.id,
      dependsOn: [ns],
      manifests: [
        ...ingressHostValidation(ctx.domain),
        ...reconcilerScope({ reconciler: `system:serviceaccount:${this.id}:${reconcilerName}`, validatorNamespace: VALIDATORS_NAMESPACE, argocdNamespace }),
        ...selfServiceClaims(this.learnerGroup),
      ],
    });

    const pool = this.poolDefinition(ctx, deps);
    const engine = new ConfigMapV1(root, "Engine", {
      metadata: { name: ENGINE_CONFIGMAP, namespace: this.id, labels },
      // JavaScript is full of `${...}`: escaped so Terraform passes it through.
      data: Object.fromEntries(engineSources().map(([file, text]) => [file, escapeTemplates(text)])),
      dependsOn: [ns],
    });
    const definition = new ConfigMapV1(root, "Pool", {
      metadata: { name: POOL_CONFIGMAP, namespace: this.id, labels },
      data: {
        "pool.json": escapeTemplates(JSON.stringify(pool, null, 1)),
        "curriculum.json": escapeTemplates(JSON.stringify(curriculumJson(this.curriculum))),
      },
      dependsOn: [ns],
    });

    // RBAC: roles for learners and the validator's per-slot identities (bound inside slots by the
    // reconciler), and the two jobs' own identities.
    const access = new Construct(root, "Rbac");
    const role = (id: string, name: string, rules: rbac.Rule[]) => new ClusterRoleV1(access, id, { metadata: { name, labels }, rule: rules.map(toRule) });
    const learnerRoles = BELTS.map((belt) => role(`Learner${title(belt)}`, rbac.ROLE_NAMES.learner(belt), rbac.learnerRules(belt, this.curriculum)));
    const readerRole = role("SlotReader", rbac.ROLE_NAMES.reader, rbac.readerRules());
    const boundRoles = [...BELTS.map(rbac.ROLE_NAMES.learner), rbac.ROLE_NAMES.reader];

    const identity = (id: string, name: string) => ({
      name,
      namespace: this.id,
      // Tokens are mounted by the jobs' pods only (automountServiceAccountToken on the pod).
      resource: new ServiceAccountV1(access, id, { metadata: { name, namespace: this.id, labels }, automountServiceAccountToken: false, dependsOn: [ns] }),
    });
    const reconcilerSa = identity("ReconcilerIdentity", reconcilerName);
    const reconcilerBindings: ITerraformDependable[] = [
      clusterBinding(
        access,
        "Reconciler",
        role("Reconciler", rbac.ROLE_NAMES.reconciler, rbac.reconcilerRules(boundRoles)),
        rbac.ROLE_NAMES.reconciler,
        reconcilerSa,
      ),
      namespacedGrant(access, "ReconcilerValidators", rbac.ROLE_NAMES.reconciler, VALIDATORS_NAMESPACE, rbac.RECONCILER_VALIDATORS_RULES, reconcilerSa, [
        validatorsNs,
      ]),
    ];
    if (argocdNamespace) {
      reconcilerBindings.push(
        namespacedGrant(
          access,
          "ReconcilerArgocd",
          rbac.ROLE_NAMES.reconciler,
          argocdNamespace,
          rbac.RECONCILER_ARGOCD_RULES,
          reconcilerSa,
          deps.ready("argocd"),
        ),
      );
    }
    const validatorSa = identity("ValidatorIdentity", rbac.ROLE_NAMES.validator);
    const validatorBindings = [
      clusterBinding(access, "Validator", role("Validator", rbac.ROLE_NAMES.validator, rbac.VALIDATOR_RULES), rbac.ROLE_NAMES.validator, validatorSa),
      namespacedGrant(access, "ValidatorTokens", rbac.ROLE_NAMES.validator, VALIDATORS_NAMESPACE, rbac.VALIDATOR_TOKEN_RULES, validatorSa, [validatorsNs]),
    ];
    // For instructors: bind with `kubectl create clusterrolebinding/rolebinding` (README).
    role("Operator", rbac.ROLE_NAMES.operator, rbac.OPERATOR_RULES);
    new RoleV1(access, "OperatorJobs", {
      metadata: { name: rbac.ROLE_NAMES.operator, namespace: this.id, labels },
      rule: rbac.OPERATOR_JOB_RULES.map(toRule),
      dependsOn: [ns],
    });
    const claimer = role("Claimer", rbac.ROLE_NAMES.claimer, rbac.CLAIMER_RULES);
    new ClusterRoleBindingV1(access, "ClaimerBinding", {
      metadata: { name: rbac.ROLE_NAMES.claimer, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: rbac.ROLE_NAMES.claimer },
      subject: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: this.learnerGroup }],
      // The self-service policy must be in place before anyone gets the rights it narrows.
      dependsOn: [claimer, policies],
    });

    // The two CronJobs are plain manifests in one release (no CRD involved): the same objects as
    // kubernetes_cron_job_v1 would make, without that provider type's 13,000 lines of type-checking.
    const cronJob = (name: string, props: { schedule: string; args: string[]; deadlineSeconds: number }) => ({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name, namespace: this.id, labels },
      spec: {
        schedule: props.schedule,
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 120,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: props.deadlineSeconds,
            ttlSecondsAfterFinished: 3600,
            template: {
              metadata: { labels: { ...labels, "app.kubernetes.io/component": name } },
              spec: {
                serviceAccountName: name,
                automountServiceAccountToken: true,
                restartPolicy: "Never",
                nodeSelector: workloads.nodeSelector,
                tolerations: workloads.tolerations,
                securityContext: { runAsNonRoot: true, runAsUser: NODE_UID, runAsGroup: NODE_UID, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                  {
                    name: "engine",
                    image: NODE_IMAGE,
                    command: ["node", "/opt/dojo/main.js"],
                    args: props.args,
                    env: [
                      { name: "DOJO_POOL", value: "/etc/dojo/pool.json" },
                      { name: "DOJO_CURRICULUM", value: "/etc/dojo/curriculum.json" },
                    ],
                    resources: JOB_RESOURCES,
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
                    volumeMounts: [
                      { name: "engine", mountPath: "/opt/dojo", readOnly: true },
                      { name: "pool", mountPath: "/etc/dojo", readOnly: true },
                    ],
                  },
                ],
                volumes: [
                  { name: "engine", configMap: { name: ENGINE_CONFIGMAP } },
                  { name: "pool", configMap: { name: POOL_CONFIGMAP } },
                ],
              },
            },
          },
        },
      },
    });
    const jobs = manifestsRelease(root, "Jobs", ctx, {
      name: "dojo-jobs",
      namespace: this.id,
      manifests: [
        cronJob(reconcilerName, { schedule: "* * * * *", args: ["reconcile"], deadlineSeconds: 900 }),
        cronJob(rbac.ROLE_NAMES.validator, { schedule: `*/${this.validateEveryMinutes} * * * *`, args: ["validate"], deadlineSeconds: 1500 }),
      ],
      // Slots are created only once their guardrails can be enforced and their roles exist.
      dependsOn: [
        engine,
        definition,
        reconcilerSa.resource,
        validatorSa.resource,
        placement,
        policies,
        pushgateway,
        readerRole,
        ...learnerRoles,
        ...reconcilerBindings,
        ...validatorBindings,
      ],
    });

    grafanaDashboard(root, "Dashboard", { namespace: this.id, name: "dojo-progress", folder: "Dojo", json: progressDashboard(), dependsOn: [ns] });
    if (observability) {
      manifestsRelease(root, "Alerts", ctx, {
        name: "dojo-alerts",
        namespace: this.id,
        dependsOn: [...monitoringCrds(deps), ns],
        manifests: [alerts(this.id, ctx.domain)],
      });
    }

    return {
      ready: [kyverno, placement, policies, pushgateway, jobs],
      endpoints: {},
      // The Pushgateway, and at most one run of each job at a time (concurrencyPolicy Forbid).
      requests: sumRequests([{ resources: pushgatewayValues.resources }, { resources: JOB_RESOURCES, replicas: 2 }]),
    };
  }

  /** What the in-cluster engine renders slots from (pool.json). */
  poolDefinition(ctx: PlatformContext, deps: Installed): PoolDefinition {
    const monitoring = deps.maybe("monitoring")?.namespace;
    // Namespaces are asked for, not assumed: the ingress serves lab hosts; Jenkins (installed before
    // or after the Dojo) runs the agents that smoke-test yellow labs.
    const ingress = deps.namespaceOf("ingress");
    const jenkins = deps.isEnabled("jenkins") ? deps.namespaceOf("jenkins") : undefined;
    const identity = deps.maybe("identity");
    const belts = {} as Record<Belt, BeltPool>;
    for (const belt of BELTS) {
      const b = this.belts[belt];
      belts[belt] = {
        slots: b.slots,
        quota: { cpu: b.cpu, memory: b.memory, storage: b.storage },
        learnerRole: rbac.ROLE_NAMES.learner(belt),
        // The platform ingress serves lab hosts, Prometheus scrapes lab monitors; Jenkins agents smoke-test yellow labs.
        ingressFrom: [ingress, ...(monitoring ? [monitoring] : []), ...(belt === "yellow" && jenkins ? [jenkins] : [])],
        // Observability and architecture belts query Prometheus from their pods.
        egressTo: [ingress, ...(monitoring && (belt === "brown" || belt === "black") ? [monitoring] : [])],
      };
    }
    const seeds: PoolDefinition["seeds"] = {};
    for (const belt of BELTS) {
      const objects = this.curriculum[belt].flatMap((m) => m.seed as K8sObject[]);
      if (objects.length) seeds[belt] = objects;
    }
    return {
      version: 1,
      namespace: this.id,
      validatorNamespace: VALIDATORS_NAMESPACE,
      domain: ctx.domain,
      ttlHours: this.ttlHours,
      scheduling: { nodeSelector: { ...ctx.nodePools.dojo.nodeSelector }, tolerations: ctx.nodePools.dojo.tolerations.map((t) => ({ ...t })) },
      readerRole: rbac.ROLE_NAMES.reader,
      argocd: deps.has("argocd") ? { namespace: deps.namespaceOf("argocd") } : null,
      identity: identity ? { issuer: identity.issuer } : null,
      pushgateway: `http://${PUSHGATEWAY}.${this.id}.svc:9091`,
      belts,
      seeds,
    };
  }
}

function validateBelt(belt: Belt, p: DojoBeltProps): Required<DojoBeltProps> {
  const out = { slots: p.slots ?? 2, cpu: p.cpu ?? DEFAULT_QUOTA.cpu, memory: p.memory ?? DEFAULT_QUOTA.memory, storage: p.storage ?? DEFAULT_QUOTA.storage };
  const where = `DojoProps.belts.${belt}`;
  if (!Number.isInteger(out.slots) || out.slots < 0 || out.slots > 500) throw new Error(`${where}.slots must be a whole number from 0 to 500, got ${p.slots}`);
  const quantity = (key: "cpu" | "memory" | "storage", parse: (q: string) => number, min: number, example: string) => {
    let v: number;
    try {
      v = parse(out[key]);
    } catch {
      throw new Error(`${where}.${key} must be a quantity such as "${example}", got "${out[key]}"`);
    }
    if (v < min)
      throw new Error(`${where}.${key} must be at least ${key === "cpu" ? `${min}m` : `${min}Mi`} (the curriculum's workloads need it), got "${out[key]}"`);
  };
  quantity("cpu", cpuMillis, MIN_QUOTA.cpu, "2");
  quantity("memory", memoryMiB, MIN_QUOTA.memoryMiB, "4Gi");
  quantity("storage", memoryMiB, MIN_QUOTA.storageMiB, "10Gi");
  return out;
}

let sources: [string, string][] | undefined;
/** The engine's files, read once per process (they are the ConfigMap the jobs run). */
function engineSources(): [string, string][] {
  sources ??= ENGINE_FILES.map((f) => [f, fs.readFileSync(path.join(ENGINE_DIR, f), "utf8")]);
  return sources;
}

function title(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function toRule(r: rbac.Rule) {
  return { apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs, resourceNames: r.resourceNames };
}

/** Names are written out (not references) so the synthesized JSON says who gets what; order comes from dependsOn. */
function clusterBinding(
  scope: Construct,
  id: string,
  role: ClusterRoleV1,
  name: string,
  sa: { name: string; namespace: string; resource: ServiceAccountV1 },
): ClusterRoleBindingV1 {
  return new ClusterRoleBindingV1(scope, `${id}Binding`, {
    metadata: { name, labels: { "app.kubernetes.io/part-of": "fawkes" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subject: [{ kind: "ServiceAccount", name: sa.name, namespace: sa.namespace }],
    dependsOn: [role, sa.resource],
  });
}

/** A Role and its RoleBinding in one namespace, for one service account. */
function namespacedGrant(
  scope: Construct,
  id: string,
  name: string,
  namespace: string,
  rules: rbac.Rule[],
  sa: { name: string; namespace: string; resource: ServiceAccountV1 },
  dependsOn: ITerraformDependable[],
): RoleBindingV1 {
  const meta = { name, namespace, labels: { "app.kubernetes.io/part-of": "fawkes" } };
  const role = new RoleV1(scope, `${id}Role`, { metadata: meta, rule: rules.map(toRule), dependsOn });
  return new RoleBindingV1(scope, `${id}Binding`, {
    metadata: meta,
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subject: [{ kind: "ServiceAccount", name: sa.name, namespace: sa.namespace }],
    dependsOn: [role, sa.resource],
  });
}

/** Alerts on the Dojo itself: a stalled reconciler, a belt without free slots. */
function alerts(namespace: string, domain: string): Record<string, unknown> {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "dojo", namespace },
    spec: {
      groups: [
        {
          name: "dojo",
          rules: [
            {
              alert: "DojoReconcilerStale",
              expr: "(time() - max(dojo_reconcile_last_success_timestamp_seconds) > 900) or absent(dojo_reconcile_last_success_timestamp_seconds)",
              for: "15m",
              labels: { service: "dojo", severity: "warning" },
              annotations: {
                runbook_url: runbookUrl(domain, "dojo", "DojoReconcilerStale"),
                summary: "The Dojo's lab pool has not been reconciled for 15 minutes",
                description: `Expired labs are not wiped and new ones not created. Look at the logs of the last jobs of CronJob ${namespace}/dojo-reconciler.`,
              },
            },
            {
              alert: "DojoNoFreeSlots",
              expr: '(sum by (belt) (dojo_slots{state="free"}) == 0) and on (belt) (sum by (belt) (dojo_slots_configured) > 0)',
              for: "30m",
              labels: { service: "dojo", severity: "warning" },
              annotations: {
                runbook_url: runbookUrl(domain, "dojo", "DojoNoFreeSlots"),
                summary: "No free {{ $labels.belt }} lab slot for 30 minutes",
                description: "Learners cannot claim a {{ $labels.belt }} lab: raise dojo.belts.{{ $labels.belt }}.slots, or shorten dojo.ttlHours.",
              },
            },
          ],
        },
      ],
    },
  };
}

export type { Curriculum, Module } from "./curriculum";
