/**
 * The golden-path templates (templates/, constructs/golden-path/templates.ts), rendered as
 * Backstage's scaffolder renders them and validated the way the tools that read the result do.
 *
 * Rendering mimics the scaffolder's SecureTemplater (plugin-scaffolder-backend): nunjucks with
 * `${{`/`}}` variable tags (block and comment tags stay `{% %}`/`{# #}`), autoescape off, and the
 * default filters `parseRepoUrl`, `parseEntityRef` (catalog-model's), `pick` (lodash `get`) and
 * `projectSlug`. The template's step inputs are rendered with `parameters` and fake step outputs,
 * then every skeleton file with the `fetch` step's rendered `values`, as `fetch:template` does.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  entityKindSchemaValidator,
  FieldFormatEntityPolicy,
  locationEntityV1alpha1Validator,
  NoForeignRootFieldsEntityPolicy,
  parseEntityRef,
  SchemaValidEntityPolicy,
  type Entity,
} from "@backstage/catalog-model";
import * as nunjucks from "nunjucks";
import * as ts from "typescript";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import {
  DEFAULT_OTLP_ENDPOINT,
  TEMPLATE_KINDS,
  templateFiles,
  troubleshootLinks,
  type TemplateKind,
  type TemplatePlatform,
} from "../constructs/golden-path/templates";
import { validateManifests, type Manifest } from "./support-manifests";
import { synthesized } from "./synthesized";
import { publishedRepositories } from "./support";

const REPO = path.join(__dirname, "..");
const LIBRARY = path.join(REPO, "pipeline-library");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gitops = require(path.join(LIBRARY, "resources/fawkes/gitops.js")) as { bumpImage(text: string, t: { newName: string; digest: string }): string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pipelineConfig = require(path.join(LIBRARY, "resources/fawkes/config.js")) as { parseConfig(raw: unknown): Record<string, unknown> };

const PLATFORM: TemplatePlatform = {
  domain: "fawkes.example.org",
  gitUrl: "https://git.fawkes.example.org/",
  registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fawkes",
  ingressClassName: "traefik",
  clusterIssuer: "letsencrypt",
  ingressAnnotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "websecure" },
  jenkinsUrl: "https://jenkins.fawkes.example.org",
  argocdUrl: "https://argocd.fawkes.example.org",
  sonarqubeUrl: "https://sonarqube.fawkes.example.org",
  grafanaUrl: "https://grafana.fawkes.example.org",
};
/** What a developer types in the form (the description with YAML's and JSON's special characters). */
const PARAMETERS = { name: "orders", owner: "group:default/payments", description: 'Takes orders: "fast", #1 & cheap' };
const SERVICE_NAME = /^[a-z][a-z0-9-]{1,29}$/; // shared contracts
const DIGEST = `sha256:${"ab".repeat(32)}`;

function scaffolderEnv(): nunjucks.Environment {
  // throwOnUndefined is the test's own strictness: a value a skeleton names but nobody sets fails here
  // (the scaffolder would render an empty string).
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, tags: { variableStart: "${{", variableEnd: "}}" } });
  env.addFilter("parseEntityRef", (ref: string, ctx?: { defaultKind?: string; defaultNamespace?: string }) => parseEntityRef(ref, ctx));
  env.addFilter("pick", (obj: Record<string, unknown>, key: string) => key.split(".").reduce<any>((o, k) => o?.[k], obj));
  env.addFilter("parseRepoUrl", (url: string) => {
    const u = new URL(`https://${url}`);
    return { host: u.host, owner: u.searchParams.get("owner") ?? undefined, repo: u.searchParams.get("repo") ?? undefined };
  });
  env.addFilter("projectSlug", (url: string) => {
    const u = new URL(`https://${url}`);
    return `${u.searchParams.get("owner")}/${u.searchParams.get("repo")}`;
  });
  return env;
}
const env = scaffolderEnv();

/** Renders every string of a step input or output, as the scaffolder's workflow runner does. */
function renderDeep(v: unknown, ctx: object): any {
  if (typeof v === "string") return env.renderString(v, ctx);
  if (Array.isArray(v)) return v.map((x) => renderDeep(x, ctx));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderDeep(x, ctx)]));
  return v;
}

interface Rendered {
  readonly kind: TemplateKind;
  readonly template: any;
  readonly steps: Record<string, { action: string; input: any }>;
  readonly output: any;
  readonly values: Record<string, any>;
  /** The new repository: path → content. */
  readonly files: Record<string, string>;
}

const publishedCache = new Map<TemplatePlatform, Record<string, string>>();
function render(platform: TemplatePlatform, kind: TemplateKind, parameters = PARAMETERS): Rendered {
  if (!publishedCache.has(platform)) publishedCache.set(platform, templateFiles(platform));
  const published = publishedCache.get(platform)!;
  const template = parseYaml(published[`templates/${kind}/template.yaml`]);
  const stepOutputs = {
    publish: {
      output: { remoteUrl: `${platform.gitUrl}payments/orders.git`, repoContentsUrl: "https://git.fawkes.example.org/payments/orders/src/branch/main/" },
    },
    register: { output: { entityRef: "component:default/orders" } },
  };
  const ctx = { parameters, steps: stepOutputs };
  const steps = Object.fromEntries(template.spec.steps.map((s: any) => [s.id, { action: s.action, input: renderDeep(s.input, ctx) }]));
  const values = steps.fetch.input.values;
  const prefix = `templates/${kind}/skeleton/`;
  const files = Object.fromEntries(
    Object.entries(published)
      .filter(([p]) => p.startsWith(prefix))
      .map(([p, content]) => [p.slice(prefix.length), env.renderString(content, { values })]),
  );
  return { kind, template, steps, output: renderDeep(template.spec.output, ctx), values, files };
}

const rendered = TEMPLATE_KINDS.map((kind) => render(PLATFORM, kind));
const byKind = (kind: TemplateKind) => rendered.find((r) => r.kind === kind)!;
const LANGUAGE: Record<TemplateKind, string> = { "http-api": "node", "web-service": "python", worker: "go" };

/** The catalog's own checks of an entity: envelope, namespace, no foreign fields, field formats, schema. */
const catalogPolicies = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

/**
 * The parts of scaffolder-common's Template v1beta3 schema that Fawkes' templates use (that package
 * is not installed): spec.type and steps required, every step an action, links with titles.
 */
const templateKindValidator = entityKindSchemaValidator({
  $schema: "http://json-schema.org/draft-07/schema",
  $id: "FawkesTemplateV1beta3",
  allOf: [
    { $ref: "Entity" },
    {
      type: "object",
      required: ["spec"],
      properties: {
        apiVersion: { enum: ["scaffolder.backstage.io/v1beta3"] },
        kind: { enum: ["Template"] },
        spec: {
          type: "object",
          required: ["type", "steps", "owner"],
          additionalProperties: false,
          properties: {
            type: { type: "string", minLength: 1 },
            owner: { type: "string", minLength: 1 },
            lifecycle: { type: "string", minLength: 1 },
            parameters: { type: "array", items: { type: "object", required: ["properties"] } },
            steps: {
              type: "array",
              items: {
                type: "object",
                required: ["id", "action", "input"],
                additionalProperties: false,
                properties: {
                  id: { type: "string" },
                  name: { type: "string" },
                  action: { type: "string" },
                  input: { type: "object" },
                  if: { type: ["string", "boolean"] },
                },
              },
            },
            output: {
              type: "object",
              additionalProperties: false,
              properties: {
                links: {
                  type: "array",
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["title"],
                    properties: {
                      title: { type: "string", minLength: 1 },
                      icon: { type: "string" },
                      url: { type: "string", minLength: 1 },
                      entityRef: { type: "string" },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  ],
});

/** `kustomize build deploy/<env>` for what the templates use: namespace, labels, JSON6902 replace patches, images. */
function kustomize(files: Record<string, string>, envDir: string): Manifest[] {
  const k = parseYaml(files[`deploy/${envDir}/kustomization.yaml`]);
  const base = parseYaml(files["deploy/base/kustomization.yaml"]);
  const objects: any[] = base.resources.flatMap((r: string) => parseAllDocuments(files[`deploy/base/${r}`]).map((d) => d.toJS()));
  for (const o of objects) {
    o.metadata.namespace = k.namespace;
    for (const { pairs, includeTemplates } of k.labels ?? []) {
      o.metadata.labels = { ...o.metadata.labels, ...pairs };
      const template = o.spec?.template?.metadata;
      if (includeTemplates && template) template.labels = { ...template.labels, ...pairs };
    }
    for (const p of k.patches ?? []) {
      if (p.target.kind !== o.kind || p.target.name !== o.metadata.name) continue;
      for (const op of parseYaml(p.patch)) {
        if (op.op !== "replace") throw new Error(`patch op ${op.op} not handled`);
        const keys = op.path.split("/").slice(1);
        const parent = keys.slice(0, -1).reduce((x: any, key: string) => x[key], o);
        if (!(keys.at(-1)! in parent)) throw new Error(`replace of a missing path ${op.path}`);
        parent[keys.at(-1)!] = op.value;
      }
    }
    for (const c of o.spec?.template?.spec?.containers ?? []) {
      const image = k.images.find((i: any) => i.name === c.image);
      if (image) c.image = image.digest ? `${image.newName}@${image.digest}` : `${image.newName}:${image.newTag}`;
    }
  }
  return objects;
}

describe("templateFiles", () => {
  const files = templateFiles(PLATFORM);

  test("the repository: a catalog Location listing the three templates, each with its skeleton and the shared files", async () => {
    const location = parseYaml(files["catalog-info.yaml"]);
    await expect(locationEntityV1alpha1Validator.check(location)).resolves.toBe(true);
    expect(location.spec.targets).toEqual(TEMPLATE_KINDS.map((k) => `./templates/${k}/template.yaml`));
    for (const target of location.spec.targets) expect(files[target.replace("./", "")]).toBeDefined();
    for (const kind of TEMPLATE_KINDS) {
      for (const f of ["Jenkinsfile", "fawkes.yaml", "catalog-info.yaml", "mkdocs.yml", "docs/index.md", "docs/runbook.md", "Dockerfile", ".trivyignore.yaml"])
        expect(files[`templates/${kind}/skeleton/${f}`]).toBeDefined();
      for (const env of ["base", "staging", "production"]) expect(files[`templates/${kind}/skeleton/deploy/${env}/kustomization.yaml`]).toBeDefined();
    }
    expect(Object.keys(files).some((p) => p.includes("_shared"))).toBe(false);
    expect(files["README.md"]).toMatch(/overwritten/);
  });

  test("platform values are written into each template: fetch values, the Gitea target, the output links", () => {
    for (const kind of TEMPLATE_KINDS) {
      const t = parseYaml(files[`templates/${kind}/template.yaml`]);
      const fetch = t.spec.steps.find((s: any) => s.id === "fetch");
      expect(fetch.input.values.platform).toMatchObject({
        domain: "fawkes.example.org",
        gitUrl: "https://git.fawkes.example.org",
        gitHost: "git.fawkes.example.org",
        registry: PLATFORM.registry,
      });
      expect(t.spec.steps.find((s: any) => s.id === "publish").input.repoUrl).toMatch(
        /^git\.fawkes\.example\.org\?owner=\$\{\{.*\}\}&repo=\$\{\{ parameters\.name \}\}$/,
      );
    }
    // The sources stay free of platform values: one source for every cloud and domain.
    expect(fs.readFileSync(path.join(REPO, "templates/http-api/template.yaml"), "utf8")).not.toMatch(/example\.org/);
  });

  test("code in the skeletons holds no nunjucks block or comment tag ({% or {#), which the scaffolder would swallow", () => {
    const code = Object.entries(files).filter(([p]) => /\/skeleton\/.*(\.(ts|py|go|json|toml|txt|mod)|Dockerfile|Jenkinsfile)$/.test(p));
    expect(code.length).toBeGreaterThan(15);
    expect(code.filter(([, c]) => /\{[%#]/.test(c)).map(([p]) => p)).toEqual([]);
  });

  test("a value known only at apply (a Terraform token, e.g. ACR's login server) is written as it is", () => {
    const registry = "${TfToken[TOKEN.42]}/fawkes"; // what cdktf's Token.asString of an attribute looks like
    const t = parseYaml(templateFiles({ ...PLATFORM, registry })["templates/worker/template.yaml"]);
    expect(t.spec.steps[0].input.values.platform.registry).toBe(registry);
  });

  test("the unrendered sources, as the publisher's ConfigMap carries them, hold no invalid Kubernetes object (test/manifests.test.ts walks them)", () => {
    const objects = Object.entries(files)
      .filter(([p]) => p.includes("/deploy/base/") && !p.endsWith("kustomization.yaml"))
      .flatMap(([, content]) => {
        try {
          return [parseYaml(content) as Manifest];
        } catch {
          return []; // a nunjucks block (`{% for %}`) is no YAML: manifests.test.ts skips it too
        }
      });
    expect(objects.length).toBeGreaterThanOrEqual(TEMPLATE_KINDS.length * 2);
    expect(validateManifests(objects.map((manifest) => ({ manifest })))).toEqual(objects.map(() => []));
  });

  test("GitHub: every repository in the one organisation, published by publish:github, private, with the team's topic", () => {
    const github = { ...PLATFORM, gitProvider: "github" as const, gitOrganisation: "acme", gitUrl: "https://github.com" };
    for (const kind of TEMPLATE_KINDS) {
      const r = render(github, kind);
      expect(r.steps.publish.action).toBe("publish:github");
      expect(r.steps.publish.input).toMatchObject({
        repoUrl: "github.com?owner=acme&repo=orders",
        repoVisibility: "private",
        defaultBranch: "main",
        topics: ["team-payments"], // the team's ApplicationSet finds the repository by it (argocd teams.ts teamTopic)
      });
      expect(r.output.links[0]).toEqual({ title: "Repository", icon: "github", url: "https://github.com/acme/orders" });
      const entity = parseYaml(r.files["catalog-info.yaml"]);
      expect(entity.metadata.annotations["backstage.io/source-location"]).toBe("url:https://github.com/acme/orders/tree/main/");
      expect(entity.spec.owner).toBe("group:default/payments"); // the team still owns it
      if (kind === "worker") expect(r.files["go.mod"]).toMatch(/^module github\.com\/acme\/orders$/m);
    }
    expect(() => templateFiles({ ...github, gitOrganisation: undefined })).toThrow(
      'TemplatePlatform.gitOrganisation must be a GitHub organisation with gitProvider "github", got "undefined"',
    );
  });

  test("the OTLP endpoint: the platform's collector by default, or the one the platform names; written into the Deployment", () => {
    expect(DEFAULT_OTLP_ENDPOINT).toBe("http://alloy.observability.svc:4318");
    expect(byKind("worker").files["deploy/base/deployment.yaml"]).toContain(`value: ${DEFAULT_OTLP_ENDPOINT}\n`);
    const named = parseYaml(templateFiles({ ...PLATFORM, otlpEndpoint: "http://otel.monitoring.svc:4318/" })["templates/worker/template.yaml"]);
    expect(named.spec.steps[0].input.values.platform.otlpEndpoint).toBe("http://otel.monitoring.svc:4318");
    expect(() => templateFiles({ ...PLATFORM, otlpEndpoint: "alloy:4318" })).toThrow(
      'TemplatePlatform.otlpEndpoint must be an http(s)://<host>:<port> URL without path, got "alloy:4318"',
    );
    // Without the DORA component, no link to its dashboard.
    expect(troubleshootLinks({ ...PLATFORM, dora: false }, { name: "a1", team: "t" }).map((l) => l.title)).not.toContain("Troubleshoot: delivery (DORA)");
    // The runbook link follows the portal's URL when the platform names it.
    expect(troubleshootLinks({ ...PLATFORM, backstageUrl: "https://portal.example.org/" }, { name: "a1", team: "t" })[0].url).toBe(
      "https://portal.example.org/docs/default/component/a1/runbook/",
    );
  });

  test("refuses platform values the templates cannot use, naming the field", () => {
    expect(() => templateFiles({ ...PLATFORM, domain: "https://x.org" })).toThrow('TemplatePlatform.domain must be a DNS name, got "https://x.org"');
    expect(() => templateFiles({ ...PLATFORM, gitUrl: "http://git.x.org" })).toThrow("TemplatePlatform.gitUrl must be an https:// URL");
    expect(() => templateFiles({ ...PLATFORM, registry: "https://r.example.org" })).toThrow(
      "TemplatePlatform.registry must be a registry host and path without scheme",
    );
  });
});

describe.each(TEMPLATE_KINDS)("template %s", (kind) => {
  const r = byKind(kind);
  const troubleshoot = troubleshootLinks(PLATFORM, { name: "orders", team: "payments" });

  test("is a valid Template entity (catalog policies and the v1beta3 schema)", async () => {
    await expect(catalogPolicies.enforce(r.template as Entity)).resolves.toBeDefined();
    expect(templateKindValidator(r.template)).toBeTruthy();
    expect(r.template.metadata.name).toBe(`fawkes-${kind}`);
  });

  test("the form asks only name, owner team (a Group) and description; the name follows the shared contract", () => {
    const properties = Object.assign({}, ...r.template.spec.parameters.map((p: any) => p.properties));
    expect(Object.keys(properties).sort()).toEqual(["description", "name", "owner"]);
    expect(properties.name.pattern).toBe(SERVICE_NAME.source);
    expect(properties.owner["ui:field"]).toBe("OwnerPicker");
    expect(properties.owner["ui:options"].catalogFilter).toEqual({ kind: "Group" });
    expect(r.template.spec.parameters.flatMap((p: any) => p.required ?? []).sort()).toEqual(["description", "name", "owner"]);
  });

  test("steps: skeleton with values, publish to the team's Gitea organisation, register catalog-info.yaml", () => {
    expect(Object.values(r.steps).map((s) => s.action)).toEqual(["fetch:template", "publish:gitea", "catalog:register"]);
    expect(r.steps.fetch.input.url).toBe("./skeleton");
    expect(r.values).toMatchObject({
      name: "orders",
      team: "payments",
      repoOwner: "payments",
      sourceUrl: "https://git.fawkes.example.org/payments/orders/src/branch/main/",
      template: kind,
      language: LANGUAGE[kind],
      description: PARAMETERS.description,
    });
    // publish:gitea's inputs (plugin-scaffolder-backend-module-gitea): repoUrl, description, defaultBranch, gitCommitMessage.
    expect(r.steps.publish.input).toEqual({
      repoUrl: "git.fawkes.example.org?owner=payments&repo=orders",
      description: PARAMETERS.description,
      defaultBranch: "main",
      gitCommitMessage: `feat: orders from the Fawkes ${kind} template`,
    });
    expect(r.steps.register.input).toEqual({
      repoContentsUrl: "https://git.fawkes.example.org/payments/orders/src/branch/main/",
      catalogInfoPath: "/catalog-info.yaml",
    });
    // A bare team name (typed, not picked) is a group too.
    expect(render(PLATFORM, kind, { ...PARAMETERS, owner: "payments" }).values.team).toBe("payments");
  });

  test("output links: repository, catalog entity, Jenkins job, Argo CD app, staging URL", () => {
    expect(r.output.links).toEqual([
      { title: "Repository", icon: "github", url: "https://git.fawkes.example.org/payments/orders" },
      { title: "Open in the catalog", icon: "catalog", entityRef: "component:default/orders" },
      { title: "Pipeline (Jenkins)", icon: "dashboard", url: "https://jenkins.fawkes.example.org/job/payments/job/orders/" },
      { title: "Staging deployment (Argo CD)", icon: "dashboard", url: "https://argocd.fawkes.example.org/applications/argocd/orders-staging" },
      { title: "Staging", icon: "web", url: "https://orders-staging.fawkes.example.org" },
    ]);
    const bare = render({ ...PLATFORM, jenkinsUrl: undefined, argocdUrl: undefined, sonarqubeUrl: undefined, grafanaUrl: undefined }, kind);
    expect(bare.output.links.map((l: any) => l.title)).toEqual(["Repository", "Open in the catalog", "Staging"]);
    // Without Grafana and Jenkins, the runbook is the one Troubleshoot link left.
    expect(parseYaml(bare.files["catalog-info.yaml"]).metadata.links.map((l: any) => l.title)).toEqual(["Staging", "Production", "Troubleshoot: runbook"]);
  });

  test("every file renders completely, and every YAML and JSON file parses", () => {
    expect(
      Object.entries(r.files)
        .filter(([, c]) => /\$\{\{|\{%|\{#|\[object Object\]/.test(c))
        .map(([p]) => p),
    ).toEqual([]);
    for (const [p, content] of Object.entries(r.files)) {
      if (/\.ya?ml$/.test(p)) for (const d of parseAllDocuments(content)) expect([p, d.errors.map(String)]).toEqual([p, []]);
      if (p.endsWith(".json")) expect(() => JSON.parse(content)).not.toThrow();
    }
  });

  test("catalog-info.yaml: a Component the catalog accepts, with the annotations the plugins read", async () => {
    const entity = parseYaml(r.files["catalog-info.yaml"]);
    await expect(catalogPolicies.enforce(entity)).resolves.toBeDefined();
    await expect(componentEntityV1alpha1Validator.check(entity)).resolves.toBe(true);
    expect(entity.metadata.name).toBe("orders");
    expect(entity.metadata.description).toBe(PARAMETERS.description);
    expect(entity.spec).toEqual({ type: "service", lifecycle: "experimental", owner: "group:default/payments" });
    expect(entity.metadata.annotations).toEqual({
      "backstage.io/kubernetes-id": "orders",
      "backstage.io/kubernetes-label-selector": "app.kubernetes.io/name=orders",
      "argocd/app-selector": "app.kubernetes.io/name=orders",
      "jenkins.io/job-full-name": "payments/orders/main",
      "sonarqube.org/project-key": "payments_orders",
      "backstage.io/techdocs-ref": "dir:.",
      "backstage.io/source-location": "url:https://git.fawkes.example.org/payments/orders/src/branch/main/",
    });
    expect(entity.metadata.links.map((l: any) => l.url)).toEqual([
      "https://orders-staging.fawkes.example.org",
      "https://orders-production.fawkes.example.org",
      "https://jenkins.fawkes.example.org/job/payments/job/orders/job/main/",
      "https://argocd.fawkes.example.org/applications/argocd/orders-staging",
      "https://sonarqube.fawkes.example.org/dashboard?id=payments_orders",
      ...troubleshoot.map((l) => l.url),
    ]);
  });

  test("catalog-info.yaml: Troubleshoot links to the runbook, logs, traces, dashboard, image scan and DORA of this service", () => {
    const links = parseYaml(r.files["catalog-info.yaml"]).metadata.links.filter((l: any) => l.type === "troubleshoot");
    expect(links).toEqual(troubleshoot);
    const byTitle = Object.fromEntries(links.map((l: any) => [l.title.replace("Troubleshoot: ", ""), l]));
    expect(Object.keys(byTitle)).toEqual(["runbook", "logs (staging)", "traces (staging)", "dashboard (staging)", "image scan (Trivy)", "delivery (DORA)"]);
    for (const l of links) {
      expect(() => new URL(l.url)).not.toThrow();
      expect(l.url).not.toMatch(/\$\{\{|__FAWKES/);
      expect(l.icon).toMatch(/^[a-z]+$/);
    }
    // The runbook page TechDocs builds from this repository's docs/runbook.md (mkdocs nav).
    expect(byTitle.runbook.url).toBe("https://backstage.fawkes.example.org/docs/default/component/orders/runbook/");
    expect(parseYaml(r.files["mkdocs.yml"]).nav).toContainEqual({ Runbook: "runbook.md" });
    // Explore URLs decode to one pane on the logs or traces datasource, filtered to this service in staging.
    const pane = (url: string) => {
      const u = new URL(url);
      expect(`${u.origin}${u.pathname}`).toBe("https://grafana.fawkes.example.org/explore");
      expect(u.searchParams.get("schemaVersion")).toBe("1");
      const panes = JSON.parse(u.searchParams.get("panes")!);
      expect(Object.keys(panes)).toHaveLength(1);
      const p = Object.values<any>(panes)[0];
      expect(p.range).toEqual({ from: "now-1h", to: "now" });
      expect(p.queries).toHaveLength(1);
      return { datasource: p.datasource, query: p.queries[0] };
    };
    const logs = pane(byTitle["logs (staging)"].url);
    expect(logs.datasource).toBe("loki");
    expect(logs.query).toMatchObject({ datasource: { type: "loki", uid: "loki" }, expr: '{service="orders", env="staging"}' });
    const traces = pane(byTitle["traces (staging)"].url);
    expect(traces.datasource).toBe("tempo");
    expect(traces.query).toMatchObject({
      datasource: { type: "tempo", uid: "tempo" },
      queryType: "traceql",
      query: '{resource.service.name="orders" && resource.deployment.environment="staging"}',
    });
    const dashboard = new URL(byTitle["dashboard (staging)"].url);
    expect(dashboard.pathname).toBe("/d/a164a7f0339f99e89cea5cb47e9be617/kubernetes-compute-resources-workload");
    expect(Object.fromEntries(dashboard.searchParams)).toEqual({
      "var-namespace": "payments-orders-staging",
      "var-type": "deployment",
      "var-workload": "orders",
    });
    expect(byTitle["image scan (Trivy)"].url).toBe(
      "https://jenkins.fawkes.example.org/job/payments/job/orders/job/main/lastCompletedBuild/artifact/trivy-summary.md",
    );
    expect(byTitle["delivery (DORA)"].url).toBe("https://grafana.fawkes.example.org/d/fawkes-dora?var-service=orders");
  });

  test("fawkes.yaml is what the pipeline library accepts (its own parseConfig), per the shared contracts", () => {
    const doc = parseYaml(r.files["fawkes.yaml"]);
    expect(doc).toEqual({
      service: "orders",
      team: "payments",
      language: LANGUAGE[kind],
      quality: { coverage: 80 },
      scan: { severity: ["HIGH", "CRITICAL"], ignoreFile: ".trivyignore.yaml" },
      deploy: { staging: { smokePath: "/readyz" }, production: { promotion: "pull-request" } },
    });
    expect(pipelineConfig.parseConfig(doc)).toMatchObject({ service: "orders", team: "payments", language: LANGUAGE[kind] });
    expect(r.files[doc.scan.ignoreFile]).toBeDefined();
    const ignores = parseYaml(r.files[".trivyignore.yaml"]);
    expect(ignores).toEqual({ vulnerabilities: [] });
    expect(r.files[".trivyignore.yaml"]).toMatch(/^#\s+expired_at: \d{4}-\d{2}-\d{2}$/m);
  });

  test("Jenkinsfile: the Fawkes library and fawkesPipeline() only, a step the library defines", () => {
    const jenkinsfile = r.files.Jenkinsfile;
    expect(jenkinsfile.trim().split("\n")).toEqual(["@Library('fawkes') _", "fawkesPipeline()"]);
    const varsDir = path.join(LIBRARY, "vars");
    const steps = fs.existsSync(varsDir)
      ? fs
          .readdirSync(varsDir)
          .filter((f) => f.endsWith(".groovy"))
          .map((f) => f.replace(/\.groovy$/, ""))
      : ["fawkesPipeline"];
    const called = [...jenkinsfile.replace(/^@Library.*$/m, "").matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]);
    expect(called.length).toBeGreaterThan(0);
    expect(called.filter((c) => !steps.includes(c))).toEqual([]);
  });

  test("Dockerfile: multi-stage, every base pinned by version or digest, the final stage a numeric non-root user, no shell to start", () => {
    const lines = r.files.Dockerfile.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
    const froms = lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect([image, image === "scratch" || /@sha256:[0-9a-f]{64}$|:[^:@/]*\d+\.\d+[^:@/]*$/.test(image)]).toEqual([image, true]);
    expect(froms.some((i) => /:latest$/.test(i))).toBe(false);
    const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
    const final = lines.slice(lastFrom);
    const user =
      final
        .filter((l) => /^USER\s/i.test(l))
        .at(-1)
        ?.split(/\s+/)[1] ?? "";
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(
      final
        .filter((l) => /^(CMD|ENTRYPOINT)\s/i.test(l))
        .map((l) => l.replace(/^\w+\s+/, ""))
        .every((a) => a.startsWith("[")),
    ).toBe(true);
  });

  test("the app: /healthz and /readyz, JSON logs of the platform's shape with the request's X-Request-Id, tests with coverage", () => {
    const source = Object.entries(r.files)
      .filter(([p]) => /\.(ts|py|go)$/.test(p) && !/(^|\/)(test|tests)\/|_test\.go$/.test(p))
      .map(([, c]) => c)
      .join("\n");
    const tests = Object.entries(r.files)
      .filter(([p]) => /(^|\/)(test|tests)\/.+\.(ts|py)$|_test\.go$/.test(p))
      .map(([, c]) => c)
      .join("\n");
    // Routes as string literals in code (a comment does not count): "/readyz", @app.get("/readyz"), "GET /readyz".
    for (const route of ["/healthz", "/readyz"]) expect([route, new RegExp(`"(GET )?${route}"`).test(source)]).toEqual([route, true]);
    // Log fields as keys: `timestamp:` (TypeScript), `"timestamp":` (Python), `"timestamp"` (Go's slog attributes).
    for (const s of ["timestamp", "level", "service", "message", "correlation_id", "trace_id", "span_id"])
      expect([s, source.includes(`"${s}"`) || source.includes(`${s}:`)]).toEqual([s, true]);
    expect(source).toMatch(/x-request-id/i);
    for (const s of ["/healthz", "/readyz", "correlation"]) expect([s, tests.toLowerCase().includes(s)]).toEqual([s, true]);
    // The coverage report each language's pipeline command produces (pipeline-library config.js).
    if (kind === "http-api") {
      const pkg = JSON.parse(r.files["package.json"]);
      expect(pkg.scripts.test).toContain("--test-reporter-destination=coverage/lcov.info");
      // The runtime dependencies are the OpenTelemetry SDK setup (src/telemetry.ts), nothing else.
      expect(Object.keys(pkg.dependencies).sort()).toEqual([
        "@opentelemetry/api",
        "@opentelemetry/exporter-trace-otlp-http",
        "@opentelemetry/instrumentation",
        "@opentelemetry/instrumentation-http",
        "@opentelemetry/sdk-node",
      ]);
      const lock = JSON.parse(r.files["package-lock.json"]);
      expect(lock.packages[""].devDependencies).toEqual(pkg.devDependencies);
      expect(lock.packages[""].dependencies).toEqual(pkg.dependencies);
      for (const [name, v] of Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies })) {
        expect([name, v]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
        expect([name, lock.packages[`node_modules/${name}`]?.version]).toEqual([name, v]); // npm ci installs exactly these
      }
      for (const [p, entry] of Object.entries<any>(lock.packages)) if (p) expect([p, entry.integrity]).toEqual([p, expect.stringMatching(/^sha512-/)]);
    }
    if (kind === "web-service") {
      for (const f of ["requirements.txt", "requirements-runtime.txt"])
        for (const l of r.files[f].split("\n").filter((x) => x && !x.startsWith("#") && !x.startsWith("-r")))
          expect(l).toMatch(/^[a-z-]+==\d+(\.\d+)+(b\d+)?$/);
      expect(r.files["requirements.txt"]).toMatch(/^pytest-cov==/m);
      expect(r.files["pyproject.toml"]).toContain("--cov-report=xml:coverage.xml");
    }
    if (kind === "worker") {
      expect(r.files["go.mod"]).toMatch(/^module git\.fawkes\.example\.org\/payments\/orders\n\ngo 1\.25\n/);
      // Besides the standard library, OpenTelemetry and the Prometheus client only, every module pinned.
      const required = [...r.files["go.mod"].matchAll(/^\t(\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
      expect(required.map(([m]) => m)).toEqual([
        "github.com/prometheus/client_golang",
        "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
        "go.opentelemetry.io/otel",
        "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp",
        "go.opentelemetry.io/otel/sdk",
        "go.opentelemetry.io/otel/trace",
      ]);
      for (const [m, v] of required) expect([m, v]).toEqual([m, expect.stringMatching(/^v\d+\.\d+\.\d+$/)]);
      const imports = [...source.matchAll(/^\s*(?:\w+ )?"([a-z0-9.]+\/[^"]+)"$/gm)].map((m) => m[1]).filter((i) => i.split("/")[0].includes("."));
      expect(imports.length).toBeGreaterThan(3);
      for (const i of imports) expect([i, required.some(([m]) => i === m || i.startsWith(`${m}/`))]).toEqual([i, true]);
    }
  });

  test("tracing: the OpenTelemetry SDK over OTLP, W3C traceparent continued in the log line and sent on; the template's own tests check it", () => {
    const file = (p: string) => r.files[p] ?? fail(`${kind}: no ${p}`);
    // What each language's setup must hold (docs/logging-and-tracing.md describes the same).
    const checks: Record<TemplateKind, Record<string, RegExp[]>> = {
      "http-api": {
        "src/telemetry.ts": [
          /new NodeSDK\(/,
          /new OTLPTraceExporter\(\)/,
          /new HttpInstrumentation\(/,
          /propagation\.extract\(ROOT_CONTEXT, headers\)/,
          /propagation\.inject\(/,
          /setTracing\(sdkTracing\(\)\)/,
        ],
        "src/tracing.ts": [/export function parseTraceparent/, /headers\.traceparent/],
        "src/log.ts": [/trace_id: span\?\.traceId/, /span_id: span\?\.spanId/],
        "src/app.ts": [/tracing\(\)\.serverSpan\(.*req\.headers/],
        "test/app.test.ts": [/traceparent: TRACEPARENT/, /assert\.equal\(line\.trace_id, TRACE_ID\)/, /tracedFetch\(/],
        Dockerfile: [/"--import", "\.\/dist\/telemetry\.js"/],
        // The SDK setup is loaded by --import, not by the unit tests: out of SonarQube's coverage, like server.ts.
        "sonar-project.properties": [/^sonar\.coverage\.exclusions=src\/server\.ts,src\/telemetry\.ts$/m],
      },
      "web-service": {
        "app/telemetry.py": [
          /OTLPSpanExporter\(\)/,
          /TracerProvider\(resource=Resource\.create\(\)\)/,
          /FastAPIInstrumentor\.instrument_app\(app/,
          /propagate\.inject\(/,
        ],
        "app/logs.py": [/trace\.get_current_span\(\)\.get_span_context\(\)/, /"trace_id": trace\.format_trace_id/],
        "app/main.py": [/telemetry\.instrument\(app\)/],
        "app/__main__.py": [/telemetry\.configure\(\)/],
        "tests/test_main.py": [
          /"traceparent": TRACEPARENT/,
          /line\["trace_id"\] == TRACE_ID/,
          /outgoing_headers\(/,
          /telemetry\.configure\(InMemorySpanExporter\(\)\)/,
        ],
        "tests/conftest.py": [/InMemorySpanExporter/],
        "requirements-runtime.txt": [/^opentelemetry-sdk==/m, /^opentelemetry-exporter-otlp-proto-http==/m, /^opentelemetry-instrumentation-fastapi==/m],
      },
      worker: {
        "telemetry.go": [/otlptracehttp\.New\(ctx\)/, /propagation\.TraceContext\{\}/, /sdktrace\.NewTracerProvider\(/, /otelhttp\.NewTransport\(/],
        "main.go": [/otelhttp\.NewHandler\(/, /setupTelemetry\(ctx\)/, /tracer\.Start\(/],
        "log.go": [/trace\.SpanContextFromContext\(ctx\)/, /slog\.Any\("trace_id", traceID\)/],
        "main_test.go": [/func TestSetupTelemetry/, /req\.Header\.Set\("traceparent", traceparent\)/, /line\["trace_id"\] != traceID/, /tracedClient\.Do\(/],
      },
    };
    for (const [p, patterns] of Object.entries(checks[kind])) for (const re of patterns) expect([p, re.test(file(p))]).toEqual([p, true]);
    // Python: the SDK and its exporter from one release.
    if (kind === "web-service") {
      const pin = (n: string) => new RegExp(`^${n}==(\\S+)$`, "m").exec(file("requirements-runtime.txt"))?.[1];
      expect(pin("opentelemetry-exporter-otlp-proto-http")).toBe(pin("opentelemetry-sdk"));
      expect(pin("opentelemetry-api")).toBe(pin("opentelemetry-sdk"));
    }
  });

  test("metrics: /metrics serves the request counter and latency histogram the default alerts read, with bounded labels", () => {
    const source = Object.entries(r.files)
      .filter(([p]) => /\.(ts|py|go)$/.test(p) && !/(^|\/)(test|tests)\/|_test\.go$/.test(p))
      .map(([, c]) => c)
      .join("\n");
    const rules = r.files["deploy/base/prometheusrule.yaml"];
    const servicemonitor = r.files["deploy/base/servicemonitor.yaml"];
    if (servicemonitor) expect(parseYaml(servicemonitor).spec.endpoints[0].path).toBe("/metrics");
    // The series the rules select exist: the counter (with its code label) and the histogram with a 0.5 s bucket.
    for (const series of ["http_requests_total", "http_request_duration_seconds_bucket"]) if (rules) expect(rules).toContain(series);
    expect(source).toMatch(/"\/metrics"/);
    expect(source).toMatch(/\bhttp_requests_total\{|"http_requests(_total)?"/); // Python's client adds _total
    expect(source).toMatch(/\bhttp_request_duration_seconds(_bucket\{|")/);
    expect(source).toMatch(/0\.25, 0\.5, 1/); // the latency objective is a bucket
    expect(source).toMatch(/"GET", "HEAD", "POST"|"GET": true, "HEAD": true/); // methods bounded
    const tests = Object.entries(r.files)
      .filter(([p]) => /(^|\/)(test|tests)\/.+\.(ts|py)$|_test\.go$/.test(p))
      .map(([, c]) => c)
      .join("\n");
    expect(tests).toMatch(/\/metrics/);
  });

  test("mkdocs.yml: TechDocs' core plugin, and every page of the nav exists under docs/", () => {
    const mkdocs = parseYaml(r.files["mkdocs.yml"]);
    expect(mkdocs.plugins).toContain("techdocs-core");
    for (const page of mkdocs.nav.flatMap((n: Record<string, string>) => Object.values(n))) expect(r.files[`docs/${page}`]).toBeDefined();
    expect(r.files["docs/runbook.md"]).toContain("payments-orders-production");
  });

  test("deploy/<env>/kustomization.yaml: exactly the shared contract's namespace, base and images entry", () => {
    for (const envDir of ["staging", "production"]) {
      const k = parseYaml(r.files[`deploy/${envDir}/kustomization.yaml`]);
      expect(k.namespace).toBe(`payments-orders-${envDir}`);
      expect(k.resources).toEqual(["../base"]);
      expect(k.images).toEqual([{ name: "app", newName: `${PLATFORM.registry}/orders`, newTag: "pending-first-build" }]);
      // The pipeline's own bumpImage edits it: the entry then carries the digest, the rest is kept.
      const bumped = parseYaml(gitops.bumpImage(r.files[`deploy/${envDir}/kustomization.yaml`], { newName: `${PLATFORM.registry}/orders`, digest: DIGEST }));
      expect(bumped.images).toEqual([{ name: "app", newName: `${PLATFORM.registry}/orders`, digest: DIGEST }]);
      expect({ ...bumped, images: undefined }).toEqual({ ...k, images: undefined });
    }
    const base = parseYaml(r.files["deploy/base/kustomization.yaml"]);
    expect(base.resources.sort()).toEqual(
      Object.keys(r.files)
        .filter((p) => p.startsWith("deploy/base/") && !p.endsWith("kustomization.yaml"))
        .map((p) => p.slice("deploy/base/".length))
        .sort(),
    );
  });

  test("deploy/ built per environment: valid against the Kubernetes schemas, restricted, probed, on the environment's host", () => {
    for (const envDir of ["staging", "production"]) {
      const bumped = {
        ...r.files,
        [`deploy/${envDir}/kustomization.yaml`]: gitops.bumpImage(r.files[`deploy/${envDir}/kustomization.yaml`], {
          newName: `${PLATFORM.registry}/orders`,
          digest: DIGEST,
        }),
      };
      for (const files of [r.files, bumped]) {
        const objects = kustomize(files, envDir);
        // The default alerts' PrometheusRule and ServiceMonitor join them (runbooks' part of issue 14).
        expect(
          objects
            .map((o) => o.kind)
            .filter((k) => !["PrometheusRule", "ServiceMonitor"].includes(String(k)))
            .sort(),
        ).toEqual(["Deployment", "Ingress", "Service"]);
        expect(validateManifests(objects.map((manifest) => ({ manifest })))).toEqual(objects.map(() => []));
        for (const o of objects as any[]) {
          expect(o.metadata.namespace).toBe(`payments-orders-${envDir}`);
          expect(o.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "orders", "fawkes.dev/environment": envDir });
        }
      }
      const [deployment, service, ingress] = ["Deployment", "Service", "Ingress"].map(
        (kindName) => kustomize(bumped, envDir).find((o) => o.kind === kindName) as any,
      );
      const pod = deployment.spec.template.spec;
      expect(deployment.spec.replicas).toBe(envDir === "production" ? 2 : 1);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      const [app] = pod.containers;
      expect(app.image).toBe(`${PLATFORM.registry}/orders@${DIGEST}`);
      expect(app.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect([app.livenessProbe.httpGet.path, app.readinessProbe.httpGet.path]).toEqual(["/healthz", "/readyz"]);
      // Tracing's standard variables; the environment from the pod's own label, which the overlay sets.
      const vars = Object.fromEntries(app.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
      expect(vars).toMatchObject({
        OTEL_SERVICE_NAME: "orders",
        OTEL_EXPORTER_OTLP_ENDPOINT: DEFAULT_OTLP_ENDPOINT,
        OTEL_RESOURCE_ATTRIBUTES: "service.namespace=payments,deployment.environment=$(FAWKES_ENVIRONMENT)",
        FAWKES_ENVIRONMENT: { fieldRef: { fieldPath: "metadata.labels['fawkes.dev/environment']" } },
      });
      // $(VAR) expands only a variable defined before it in the list.
      const names = app.env.map((e: any) => e.name);
      expect(names.indexOf("FAWKES_ENVIRONMENT")).toBeLessThan(names.indexOf("OTEL_RESOURCE_ATTRIBUTES"));
      expect(deployment.spec.template.metadata.labels["fawkes.dev/environment"]).toBe(envDir);
      expect(app.resources.requests).toBeDefined();
      expect(app.resources.limits.memory).toBeDefined();
      expect(deployment.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "orders" });
      expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http" }]);
      const host = `orders-${envDir}.fawkes.example.org`;
      expect(ingress.spec.ingressClassName).toBe("traefik");
      expect(ingress.spec.rules.map((x: any) => x.host)).toEqual([host]);
      expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: "orders-tls" }]);
      expect(ingress.metadata.annotations).toEqual({
        "cert-manager.io/cluster-issuer": "letsencrypt",
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
      });
    }
  });
});

test("the three skeletons share deploy/, docs/ and the pipeline files: one source in templates/_shared", () => {
  const shared = (r: Rendered) => Object.entries(r.files).filter(([p]) => /^deploy\/|^(Jenkinsfile|mkdocs\.yml|\.trivyignore\.yaml)$/.test(p));
  expect(shared(byKind("http-api")).length).toBeGreaterThan(6);
  expect(shared(byKind("worker"))).toEqual(shared(byKind("http-api")));
  expect(shared(byKind("web-service"))).toEqual(shared(byKind("http-api")));
  // docs/ differ only in the "Run it locally" commands of each language.
  expect(byKind("worker").files["docs/index.md"]).toContain("go test -coverprofile=coverage.out");
  expect(byKind("web-service").files["docs/index.md"]).toContain("pytest");
  expect(byKind("http-api").files["docs/index.md"]).toContain("npm test");
});

test("http-api: the template's own tests run with node (log shape, an incoming traceparent continued, the trace sent on)", () => {
  const { files } = byKind("http-api");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-http-api-"));
  try {
    // The rendered TypeScript, transpiled as tsc would emit it (no type check: `npm test` does that in the pipeline).
    // src/telemetry.ts is left out: it loads the OpenTelemetry SDK, not installed here; the tests run on
    // the W3C implementation it replaces in production (src/tracing.ts), with the same ids and headers.
    const sources = Object.entries(files).filter(([p]) => /^(src|test)\/.+\.ts$/.test(p) && p !== "src/telemetry.ts");
    for (const [p, content] of sources) {
      expect([p, /from "(?!node:|\.\.?\/)/.test(content)]).toEqual([p, false]); // built-ins and the service's own modules only
      const { outputText } = ts.transpileModule(content, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true },
      });
      fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p.replace(/\.ts$/, ".js")), outputText);
    }
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const tests = sources.map(([p]) => p.replace(/\.ts$/, ".js")).filter((p) => p.startsWith("test/"));
    const run = spawnSync(process.execPath, ["--test", "--test-reporter=tap", ...tests], { cwd: dir, encoding: "utf8", timeout: 20_000 });
    const report = `${run.stdout}\n${run.stderr}`;
    expect([run.status, report.match(/^# fail \d+$/m)?.[0]]).toEqual([0, "# fail 0"]);
    const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (const name of [
      "a line has the platform's shape and the request's correlation id",
      "an incoming traceparent is continued: the request's log line carries the caller's trace_id",
      "an outgoing call (tracedFetch) sends the active trace context and the correlation id on",
      "the server serves them on /metrics, counting the requests it answered",
    ])
      expect([name, new RegExp(`^\\s*ok \\d+ - ${escape(name)}$`, "m").test(report)]).toEqual([name, true]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the platform publishes the templates with its collector's endpoint, and the DORA link only where DORA runs", () => {
  // The published templates' fetch values (backstage's goldenPath → templateFiles), in the git bootstrap's files.
  for (const [key, dora] of [
    ["fawkes-aws", true],
    ["fawkes-local", false],
  ] as const) {
    const tf = synthesized(key);
    // The bootstrap ConfigMap carries the repositories as gzip (binary data): decoded.
    const stack = JSON.stringify(Object.values<any>(tf.resource.kubernetes_config_map_v1).map((cm) => publishedRepositories(cm)));
    // A YAML line `  <field>: <value>` inside the stack's strings.
    const values = (field: string, value: string) => [...new Set([...stack.matchAll(new RegExp(`[^\\w-]${field}: (${value})\\b`, "g"))].map((m) => m[1]))];
    expect([key, values("otlpEndpoint", "https?://[a-z0-9.-]+:\\d+"), values("dora", "true|false")]).toEqual([key, [DEFAULT_OTLP_ENDPOINT], [String(dora)]]);
  }
});
