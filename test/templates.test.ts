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
import * as fs from "node:fs";
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
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { TEMPLATE_KINDS, templateFiles, type TemplateKind, type TemplatePlatform } from "../constructs/golden-path/templates";
import { validateManifests, type Manifest } from "./support-manifests";

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
    for (const { pairs } of k.labels ?? []) o.metadata.labels = { ...o.metadata.labels, ...pairs };
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

  test("GitHub: every repository in the one organisation, published by publish:github, private", () => {
    const github = { ...PLATFORM, gitProvider: "github" as const, gitOrganisation: "acme", gitUrl: "https://github.com" };
    for (const kind of TEMPLATE_KINDS) {
      const r = render(github, kind);
      expect(r.steps.publish.action).toBe("publish:github");
      expect(r.steps.publish.input).toMatchObject({ repoUrl: "github.com?owner=acme&repo=orders", repoVisibility: "private", defaultBranch: "main" });
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
    expect(parseYaml(bare.files["catalog-info.yaml"]).metadata.links.map((l: any) => l.title)).toEqual(["Staging", "Production"]);
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
      "https://grafana.fawkes.example.org/explore",
    ]);
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
      expect(pkg.dependencies).toBeUndefined();
      expect(JSON.parse(r.files["package-lock.json"]).packages[""].devDependencies).toEqual(pkg.devDependencies);
      for (const v of Object.values<string>(pkg.devDependencies)) expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    }
    if (kind === "web-service") {
      for (const f of ["requirements.txt", "requirements-runtime.txt"])
        for (const l of r.files[f].split("\n").filter((x) => x && !x.startsWith("#") && !x.startsWith("-r"))) expect(l).toMatch(/^[a-z-]+==\d+(\.\d+)+$/);
      expect(r.files["requirements.txt"]).toMatch(/^pytest-cov==/m);
      expect(r.files["pyproject.toml"]).toContain("--cov-report=xml:coverage.xml");
    }
    if (kind === "worker") {
      expect(r.files["go.mod"]).toMatch(/^module git\.fawkes\.example\.org\/payments\/orders\n\ngo 1\.25\n$/);
      expect(source).not.toMatch(/^\s*"(github\.com|golang\.org)\//m); // standard library only
    }
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
        expect(objects.map((o) => o.kind).sort()).toEqual(["Deployment", "Ingress", "Service"]);
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
