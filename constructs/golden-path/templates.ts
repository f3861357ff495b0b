import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isSeq, parseDocument, stringify } from "yaml";
import { exploreUrl, serviceQueries } from "../monitoring";

/**
 * The golden path's Backstage software templates, as the files of the `platform-templates`
 * repository the platform publishes into its git service (`git.publishRepository`).
 *
 * The sources live in `templates/` at the root of this repository:
 * - `templates/<kind>/template.yaml`: the Template entity (form, steps) without platform values;
 * - `templates/<kind>/skeleton/`: what a new service's repository gets (nunjucks, `${{ values.x }}`);
 * - `templates/_shared/`: files every skeleton gets (Jenkinsfile, fawkes.yaml, catalog-info.yaml,
 *   docs, deploy/), copied under each skeleton at publish; a skeleton's own file of the same path wins.
 * Platform values are not in the sources: `templateFiles` writes them into each template (the
 * `fetch` step's `values.platform`, the `publish` step's `repoUrl`, the output links), so one
 * source serves every cloud and domain.
 */
export const TEMPLATE_KINDS = ["http-api", "web-service", "worker"] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/** Where the template sources are read from at synth. */
const TEMPLATES_DIR = path.join(__dirname, "..", "..", "templates");
const SHARED = "_shared";

/** What the templates need to know about the platform; the skeletons read it as `values.platform`. */
export interface TemplatePlatform {
  /** Base domain: a service's hosts are `<name>-<env>.<domain>`. */
  readonly domain: string;
  /** The git service's web and clone base, `https://git.<domain>` (GitService.url); the scaffolder's repoUrl host is its host. */
  readonly gitUrl: string;
  /**
   * The git service (GitService.provider): Gitea has one organisation per team (`<team>/<name>`),
   * GitHub one organisation for every service (`<gitOrganisation>/<name>`). @default "gitea"
   */
  readonly gitProvider?: "gitea" | "github";
  /** GitHub's organisation (GitService.ownerOf): required with `gitProvider: "github"`. */
  readonly gitOrganisation?: string;
  /** Where nodes pull images from (RegistryCapability.pullUrl): deploy/<env> names `<registry>/<service>`. */
  readonly registry: string;
  /** IngressClass of the services' Ingresses (IngressService.className). */
  readonly ingressClassName: string;
  /** cert-manager ClusterIssuer that signs the services' certificates. */
  readonly clusterIssuer: string;
  /** Annotations the ingress controller needs on every Ingress (IngressService.annotations). @default {} */
  readonly ingressAnnotations?: Record<string, string>;
  /** Public URLs of the tools a service page and the template's output link to; an absent tool gets no link. */
  readonly jenkinsUrl?: string;
  readonly argocdUrl?: string;
  readonly sonarqubeUrl?: string;
  readonly grafanaUrl?: string;
  /** The portal (TechDocs: a service's runbook page). @default `https://backstage.<domain>` */
  readonly backstageUrl?: string;
  /**
   * The in-cluster OTLP/HTTP endpoint services export traces to (MonitoringService.otlpEndpoint): the
   * Deployment's `OTEL_EXPORTER_OTLP_ENDPOINT`. @default "http://alloy.observability.svc:4318"
   */
  readonly otlpEndpoint?: string;
  /** The DORA component is installed: its Grafana dashboard gets a Troubleshoot link. @default true (with grafanaUrl) */
  readonly dora?: boolean;
}

/** The platform collector's OTLP/HTTP endpoint when the caller names none (Alloy in observability). */
export const DEFAULT_OTLP_ENDPOINT = "http://alloy.observability.svc:4318";
/** kube-prometheus-stack's "Kubernetes / Compute Resources / Workload" dashboard (kubernetes-mixin's fixed uid). */
const WORKLOAD_DASHBOARD = "a164a7f0339f99e89cea5cb47e9be617/kubernetes-compute-resources-workload";
/** The DORA overview's uid (constructs/components/dora: DORA_DASHBOARD_UID); not imported, so this module loads without cdktf. */
const DORA_DASHBOARD = "fawkes-dora";

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const HTTPS_URL = /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[^\s?#]*)?$/;
const URL_KEYS = ["gitUrl", "jenkinsUrl", "argocdUrl", "sonarqubeUrl", "grafanaUrl", "backstageUrl"] as const;
/** In-cluster endpoints are plain HTTP (the mesh-less cluster network); a port is required. */
const OTLP_URL = /^https?:\/\/[a-z0-9.-]+:\d+\/?$/;

/**
 * A value known only at apply (e.g. ACR's login server) holds a cdktf string token: written into the
 * files as it is (Terraform fills it in), not checked here. The token's form, as constructs/helm.ts
 * reads it too; no cdktf import, so the template tests load without it.
 */
const known = (v: string) => !v.includes("${TfToken[");

/** The values the skeletons see as `values.platform` (no trailing slashes, no absent keys). */
function platformValues(p: TemplatePlatform): Record<string, unknown> {
  if (known(p.domain) && !DNS_NAME.test(p.domain)) throw new Error(`TemplatePlatform.domain must be a DNS name, got "${p.domain}"`);
  for (const key of URL_KEYS) {
    const url = p[key];
    if (url !== undefined && known(url) && !HTTPS_URL.test(url)) throw new Error(`TemplatePlatform.${key} must be an https:// URL without query, got "${url}"`);
  }
  if (known(p.registry) && !/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/.test(p.registry))
    throw new Error(`TemplatePlatform.registry must be a registry host and path without scheme, got "${p.registry}"`);
  for (const key of ["ingressClassName", "clusterIssuer"] as const)
    if (known(p[key]) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(p[key]))
      throw new Error(`TemplatePlatform.${key} must be a Kubernetes name, got "${p[key]}"`);
  const otlpEndpoint = p.otlpEndpoint ?? DEFAULT_OTLP_ENDPOINT;
  if (known(otlpEndpoint) && !OTLP_URL.test(otlpEndpoint))
    throw new Error(`TemplatePlatform.otlpEndpoint must be an http(s)://<host>:<port> URL without path, got "${otlpEndpoint}"`);
  const provider = p.gitProvider ?? "gitea";
  if (provider !== "gitea" && provider !== "github") throw new Error(`TemplatePlatform.gitProvider must be "gitea" or "github", got "${String(provider)}"`);
  if (provider === "github" && !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(p.gitOrganisation ?? ""))
    throw new Error(`TemplatePlatform.gitOrganisation must be a GitHub organisation with gitProvider "github", got "${p.gitOrganisation}"`);
  const trim = (u: string) => u.replace(/\/+$/, "");
  const gitUrl = trim(p.gitUrl);
  const out: Record<string, unknown> = {
    domain: p.domain,
    gitProvider: provider,
    ...(provider === "github" ? { gitOrganisation: p.gitOrganisation } : {}),
    gitUrl,
    // The scaffolder's repoUrl host (`<host>?owner=…&repo=…`); no URL parsing, the URL may hold a token.
    gitHost: gitUrl.replace(/^https:\/\//, "").replace(/\/.*$/, ""),
    registry: trim(p.registry),
    ingressClassName: p.ingressClassName,
    clusterIssuer: p.clusterIssuer,
    ingressAnnotations: { ...(p.ingressAnnotations ?? {}) },
    otlpEndpoint: trim(otlpEndpoint),
    backstageUrl: trim(p.backstageUrl ?? `https://backstage.${p.domain}`),
    dora: p.dora ?? true,
  };
  for (const key of ["jenkinsUrl", "argocdUrl", "sonarqubeUrl", "grafanaUrl"] as const) {
    const url = p[key];
    if (url) out[key] = trim(url);
  }
  return out;
}

/** A link of a service's catalog entry (Backstage EntityLink). */
export interface EntityLink {
  readonly url: string;
  readonly title: string;
  readonly icon: string;
  readonly type: string;
}

/**
 * A service's Troubleshoot links (catalog-info.yaml `links`, `type: troubleshoot`): its runbook, its
 * logs and traces in Grafana Explore (staging, by the collector's `service`/`env` labels and the
 * traces' resource attributes), its workload dashboard, the pipeline's latest Trivy report and its
 * DORA metrics. A link whose tool is absent is left out. `name` and `team` may be template
 * expressions (`${{ parameters.name }}`): they are written into the URLs as they are.
 */
export function troubleshootLinks(platform: TemplatePlatform, service: { name: string; team: string }, env = "staging"): EntityLink[] {
  return linksFor(platformValues(platform), service, env);
}

function linksFor(v: Record<string, unknown>, service: { name: string; team: string }, env: string): EntityLink[] {
  const { name, team } = service;
  // Written into URL-encoded JSON: a placeholder survives encodeURIComponent, the expression would not.
  const NAME = "__FAWKES_SERVICE__";
  const named = (url: string) => url.split(NAME).join(name);
  const link = (title: string, icon: string, url: string): EntityLink => ({ url, title: `Troubleshoot: ${title}`, icon, type: "troubleshoot" });
  const links = [link("runbook", "docs", `${String(v.backstageUrl)}/docs/default/component/${name}/runbook/`)];
  const grafana = v.grafanaUrl as string | undefined;
  if (grafana) {
    links.push(
      link(`logs (${env})`, "search", named(exploreUrl(grafana, "loki", serviceQueries(NAME, env).logs))),
      link(`traces (${env})`, "search", named(exploreUrl(grafana, "tempo", serviceQueries(NAME, env).traces))),
      link(
        `dashboard (${env})`,
        "dashboard",
        `${grafana}/d/${WORKLOAD_DASHBOARD}?var-namespace=${team}-${name}-${env}&var-type=deployment&var-workload=${name}`,
      ),
    );
  }
  const jenkins = v.jenkinsUrl as string | undefined;
  if (jenkins) links.push(link("image scan (Trivy)", "warning", `${jenkins}/job/${team}/job/${name}/job/main/lastCompletedBuild/artifact/trivy-summary.md`));
  if (grafana && v.dora) links.push(link("delivery (DORA)", "dashboard", `${grafana}/d/${DORA_DASHBOARD}?var-service=${name}`));
  return links;
}

/** Every file under `dir`, as paths relative to it (`/`-separated), sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk("");
  return out.sort();
}

const read = (...parts: string[]) => fs.readFileSync(path.join(TEMPLATES_DIR, ...parts), "utf8");

/** Index of the step `id` in a template document, or a clear error. */
function stepIndex(doc: ReturnType<typeof parseDocument>, kind: string, id: string): number {
  const steps = doc.getIn(["spec", "steps"]);
  const index = isSeq(steps) ? steps.items.findIndex((s) => isMap(s) && s.get("id") === id) : -1;
  if (index < 0) throw new Error(`templates/${kind}/template.yaml must have a step with id "${id}", got none`);
  return index;
}

/** A template with the platform's values written in: fetch values, publish target, output links. */
function publishedTemplate(kind: TemplateKind, platform: Record<string, unknown>): string {
  const doc = parseDocument(read(kind, "template.yaml"));
  const fetch = stepIndex(doc, kind, "fetch");
  const team = doc.getIn(["spec", "steps", fetch, "input", "values", "team"]);
  if (typeof team !== "string" || !team.includes("${{"))
    throw new Error(`templates/${kind}/template.yaml must set steps.fetch.input.values.team from the owner, got ${String(team)}`);
  const name = "${{ parameters.name }}";
  const github = platform.gitProvider === "github";
  // Gitea: one organisation per team; GitHub: the one organisation. The repository is named after the service.
  const owner = github ? String(platform.gitOrganisation) : team;
  const repository = `${String(platform.gitUrl)}/${owner}/${name}`;
  const values = ["spec", "steps", fetch, "input", "values"];
  doc.setIn([...values, "platform"], platform);
  // The service page's Troubleshoot links, with the form's name and team (catalog-info.yaml lists them).
  doc.setIn([...values, "troubleshoot"], linksFor(platform, { name, team }, "staging"));
  doc.setIn([...values, "repoOwner"], owner);
  // Where the catalog's "View source" and TechDocs' edit links point.
  doc.setIn([...values, "sourceUrl"], github ? `${repository}/tree/main/` : `${repository}/src/branch/main/`);
  const publish = ["spec", "steps", stepIndex(doc, kind, "publish")];
  doc.setIn([...publish, "input", "repoUrl"], `${String(platform.gitHost)}?owner=${owner}&repo=${name}`);
  if (github) {
    // publish:github takes the same inputs as publish:gitea, plus the visibility (private by default on an organisation).
    doc.setIn([...publish, "action"], "publish:github");
    doc.setIn([...publish, "input", "repoVisibility"], "private");
    // The team's topic: its Argo CD ApplicationSet finds the team's repositories in the one organisation by it.
    doc.setIn([...publish, "input", "topics"], [`team-${team}`]);
  }
  const links: Record<string, string>[] = [
    { title: "Repository", icon: "github", url: repository },
    { title: "Open in the catalog", icon: "catalog", entityRef: "${{ steps.register.output.entityRef }}" },
  ];
  if (platform.jenkinsUrl) links.push({ title: "Pipeline (Jenkins)", icon: "dashboard", url: `${String(platform.jenkinsUrl)}/job/${team}/job/${name}/` });
  if (platform.argocdUrl)
    links.push({ title: "Staging deployment (Argo CD)", icon: "dashboard", url: `${String(platform.argocdUrl)}/applications/argocd/${name}-staging` });
  links.push({ title: "Staging", icon: "web", url: `https://${name}-staging.${String(platform.domain)}` });
  doc.setIn(["spec", "output"], { links });
  return doc.toString({ lineWidth: 0 });
}

/** The catalog entry of the repository: a Location listing the templates. */
function locationFile(): string {
  const location = {
    apiVersion: "backstage.io/v1alpha1",
    kind: "Location",
    metadata: { name: "fawkes-templates", description: "The Fawkes golden-path software templates" },
    spec: { type: "url", targets: TEMPLATE_KINDS.map((k) => `./templates/${k}/template.yaml`) },
  };
  return `# Registered by the platform (Backstage's catalog locations); lists the golden-path templates.\n${stringify(location)}`;
}

/**
 * The `platform-templates` repository's files (path → content): the root `catalog-info.yaml` (kind
 * Location) and a `README.md`, and per template `templates/<kind>/template.yaml` and its skeleton (the shared
 * files merged in). Reads `templates/` from disk; throws on a platform value the templates cannot use.
 */
export function templateFiles(platform: TemplatePlatform): Record<string, string> {
  // Every stack of a synth asks with (mostly) the same values: read and render once per value set.
  const key = JSON.stringify(platform);
  const cached = rendered.get(key);
  if (cached) return { ...cached };
  const files = renderTemplateFiles(platform);
  rendered.set(key, files);
  return { ...files };
}

const rendered = new Map<string, Record<string, string>>();

function renderTemplateFiles(platform: TemplatePlatform): Record<string, string> {
  const values = platformValues(platform);
  const files: Record<string, string> = {
    "catalog-info.yaml": locationFile(),
    "README.md": `# Fawkes software templates\n\nPublished by the platform from the Fawkes repository's \`templates/\` folder: changes made here are overwritten.\nTemplates: ${TEMPLATE_KINDS.map((k) => `\`${k}\``).join(", ")}.\n`,
  };
  const shared = filesUnder(path.join(TEMPLATES_DIR, SHARED));
  for (const kind of TEMPLATE_KINDS) {
    files[`templates/${kind}/template.yaml`] = publishedTemplate(kind, values);
    for (const f of shared) files[`templates/${kind}/skeleton/${f}`] = read(SHARED, f);
    for (const f of filesUnder(path.join(TEMPLATES_DIR, kind, "skeleton"))) files[`templates/${kind}/skeleton/${f}`] = read(kind, "skeleton", f);
  }
  return files;
}
