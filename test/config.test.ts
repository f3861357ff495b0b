import { platformComponents } from "../stacks/components";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, loadConfig, parseConfig } from "../stacks/config/load";

describe("config", () => {
  test("embedded defaults need no file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-"));
    const { config, file } = loadConfig({}, dir);
    expect(file).toBeUndefined();
    expect(config).toMatchObject({ name: "fawkes", profile: "small", domain: "fawkes.example.com", letsEncrypt: { issuer: "staging" } });
    expect(config.api.allowedCidrs).toEqual(["deployer"]);
    expect(config.allowDestroy).toBe(false);
    expect(config.nodePools.dojo).toEqual({ min: 0, max: 5, desired: 0 });
  });

  test("partial sections keep the defaults of the keys they leave out", () => {
    const config = parseConfig({ nodePools: { workloads: { max: 9 } }, letsEncrypt: { email: "ops@acme.io" } }, "f.yaml");
    expect(config.nodePools.workloads).toEqual({ min: 2, max: 9, desired: 3 });
    expect(config.letsEncrypt).toEqual({ email: "ops@acme.io", issuer: "staging" });
  });

  test.each([
    [{ profile: "huge" }, 'fawkes.yaml: profile: expected one of "lab"|"small"|"standard", got "huge"'],
    [
      { api: { allowedCidrs: ["0.0.0.0/0"] } },
      'fawkes.yaml: api.allowedCidrs.0: expected a CIDR narrower than /0 (the API endpoint is never open to the whole internet), got "0.0.0.0/0"',
    ],
    [{ api: { allowedCidrs: ["10.0.0.1"] } }, 'fawkes.yaml: api.allowedCidrs.0: expected an IPv4 CIDR such as 203.0.113.0/24, got "10.0.0.1"'],
    [{ domain: "Not A Domain" }, 'fawkes.yaml: domain: expected a lower-case DNS domain such as platform.example.org, got "Not A Domain"'],
    [{ kubernetes: { version: 1.33 } }, "fawkes.yaml: kubernetes.version: expected string, received number, got 1.33"],
    [{ nodePools: { dojo: { min: 3, desired: 1 } } }, 'fawkes.yaml: nodePools.dojo: expected min <= desired <= max, got {"min":3,"desired":1}'],
    [{ components: { jenkinz: false } }, "fawkes.yaml: components.jenkinz: unknown component; expected one of ingress, tls, dns, secrets"],
    [{ letsEncrypt: { email: "nope" } }, 'fawkes.yaml: letsEncrypt.email: expected an e-mail address for Let\'s Encrypt expiry notices, got "nope"'],
    [{ domian: "x.org" }, "fawkes.yaml: domian: unknown key; expected one of name, environment, profile, domain"],
  ])("rejects %j with a message naming file, key and expectation", (input, message) => {
    expect(() => parseConfig(input, "fawkes.yaml")).toThrow(ConfigError);
    expect(() => parseConfig(input, "fawkes.yaml")).toThrow(message);
  });

  test("a file from FAWKES_CONFIG is read, and a YAML error names the file and line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-"));
    fs.writeFileSync(path.join(dir, "ok.yaml"), "domain: idp.acme.io\nprofile: standard\n");
    expect(loadConfig({ FAWKES_CONFIG: "ok.yaml" }, dir).config).toMatchObject({ domain: "idp.acme.io", profile: "standard" });
    fs.writeFileSync(path.join(dir, "bad.yaml"), "domain: [unclosed\n");
    expect(() => loadConfig({ FAWKES_CONFIG: "bad.yaml" }, dir)).toThrow(/^bad\.yaml \(line \d+\): not valid YAML or JSON/);
  });

  test("a missing FAWKES_CONFIG file is an error, not a silent fallback to defaults", () => {
    expect(() => loadConfig({ FAWKES_CONFIG: "nope.yaml" }, os.tmpdir())).toThrow("nope.yaml: no such file (from FAWKES_CONFIG)");
  });

  test("the top level must be a mapping", () => {
    expect(() => parseConfig(["a"], "list.yaml")).toThrow('list.yaml: the top level must be a mapping of keys (name:, domain:, ...), got ["a"]');
  });
});

describe("a config that validates is one the clouds accept", () => {
  const today = new Date("2026-12-01T00:00:00Z");
  test.each([
    // names: every accepted name/environment yields valid cloud names
    [{ name: "a--b" }, 'f.yaml: name: expected a name without "--" (S3 buckets, storage accounts and Key Vaults reject it), got "a--b"'],
    [{ name: "xn--abc" }, 'f.yaml: name: expected a name without "--"'],
    [{ name: "sthree-x" }, 'f.yaml: name: expected a name not starting with "xn--", "sthree-" or "goog"'],
    [{ name: "googly" }, 'f.yaml: name: expected a name not starting with "xn--", "sthree-" or "goog"'],
    [{ environment: "my-google" }, 'f.yaml: environment: expected an environment without "google"'],
    [{ environment: "dev-" }, "f.yaml: environment: expected a lower-case DNS label of 1-20 characters"],
    // Kubernetes versions
    [
      { kubernetes: { version: "1.39" } },
      'f.yaml: kubernetes.version: expected a minor EKS, AKS or GKE offers today (1.34, 1.35, 1.36); 1.39 is not offered by any of them yet, got "1.39"',
    ],
    [
      { kubernetes: { version: "1.31" } },
      'f.yaml: kubernetes.version: expected a minor in standard support today (1.34, 1.35, 1.36); 1.31 is past the end of standard support on EKS, AKS and GKE, got "1.31"',
    ],
    // pools, ports, zones
    [{ nodePools: { system: { min: 0, desired: 0 } } }, "f.yaml: nodePools.system.min: expected at least 1 (AKS needs a system node"],
    [{ local: { httpNodePort: 30443 } }, "f.yaml: local.httpsNodePort: expected a node port other than local.httpNodePort (30443), got 30443"],
    [{ azure: { zones: ["1", "1"] } }, 'f.yaml: azure.zones: expected distinct zones (each of "1", "2", "3" at most once), got ["1","1"]'],
    // regions
    [{ aws: { region: "eu-wset-1" } }, 'f.yaml: aws.region: expected an AWS region such as eu-west-1 (did you mean eu-west-1?), got "eu-wset-1"'],
    [
      { azure: { location: "westeurop" } },
      'f.yaml: azure.location: expected an Azure region name such as westeurope (did you mean westeurope?), got "westeurop"',
    ],
    [{ gcp: { region: "europe-west7" } }, "f.yaml: gcp.region: expected a GCP region such as europe-west1 (did you mean"],
    [{ aws: { region: "mars-north-1" } }, 'f.yaml: aws.region: expected an AWS region such as eu-west-1, got "mars-north-1"'],
    // network math
    [{ aws: { vpcCidr: "10.40.0.1/16" } }, 'f.yaml: aws.vpcCidr: expected a network address (no host bits): 10.40.0.0/16, got "10.40.0.1/16"'],
    [{ aws: { vpcCidr: "10.0.0.0/8" } }, "f.yaml: aws.vpcCidr: expected a /16 to /20 (AWS allows /16-/28 subnets"],
    [{ aws: { vpcCidr: "10.40.0.0/24" } }, "f.yaml: aws.vpcCidr: expected a /16 to /20"],
    [{ aws: { vpcCidr: "8.8.0.0/16" } }, "f.yaml: aws.vpcCidr: expected a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10)"],
    [{ azure: { vnetCidr: "10.244.0.0/16" } }, "f.yaml: azure.vnetCidr: expected a range apart from the AKS pod range 10.244.0.0/16"],
    [{ azure: { vnetCidr: "10.41.0.0/22" } }, "f.yaml: azure.vnetCidr: expected a /8 to /20"],
    [{ gcp: { masterCidr: "172.16.0.0/27" } }, "f.yaml: gcp.masterCidr: expected a /28 (GKE private control planes take exactly a /28)"],
    [{ gcp: { privateServicesCidr: "10.50.0.0/25" } }, "f.yaml: gcp.privateServicesCidr: expected a /8 to /24 (private services access needs a /24 or larger)"],
    [{ gcp: { podsCidr: "10.42.0.0/16" } }, 'f.yaml: gcp.podsCidr: expected a range apart from gcp.subnetCidr (10.42.0.0/20), got "10.42.0.0/16"'],
    [{ gcp: { masterCidr: "10.48.0.0/28" } }, 'f.yaml: gcp.masterCidr: expected a range apart from gcp.servicesCidr (10.48.0.0/20), got "10.48.0.0/28"'],
    [{ api: { privateCidrs: ["192.168.1.1/24"] } }, "f.yaml: api.privateCidrs.0: expected a network address (no host bits): 192.168.1.0/24"],
    // component needs, named by key (not by FawkesPlatform at synth)
    [{ components: { ingress: false } }, "f.yaml: components.ingress: expected true (or left out): "],
    [
      { components: { tls: false } },
      "f.yaml: components.tls: expected true (or left out): backstage needs tls; to leave tls out, set components.backstage: false too, got false",
    ],
    [{ local: { components: { scanning: true, secrets: false } } }, "f.yaml: local.components.secrets: expected true (or left out): scanning needs secrets"],
    [{ kubernetes: { version: "1.33" } }, "1.33 is past the end of standard support on EKS, AKS and GKE"], // the old default (defect 4)
    [{ local: { kubeconfig: " " } }, "f.yaml: local.kubeconfig: expected a kubeconfig file path"],
  ])("rejects %j naming file, key and expectation", (input, message) => {
    expect(() => parseConfig(input, "f.yaml", today)).toThrow(ConfigError);
    expect(() => parseConfig(input, "f.yaml", today)).toThrow(message);
  });

  test.each([
    [{ name: "a".repeat(20), environment: "b".repeat(17) }],
    [{ name: "x", environment: "1" === "1" ? "p" : "" }],
    [{ aws: { vpcCidr: "10.40.0.0/20" }, azure: { vnetCidr: "192.168.0.0/20" } }],
    [{ aws: { region: "us-gov-west-1" } }],
    [{ aws: { region: "cn-north-1" } }],
    [{ kubernetes: { version: "1.34" } }], // past AKS standard support, still EKS's and GKE's: the stacks refuse or warn per cloud
    [{ components: { dojo: false, observability: false } }],
  ])("accepts %j", (input) => {
    expect(() => parseConfig(input, "f.yaml", today)).not.toThrow();
  });
});

describe("loading", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-"));

  test.each([
    ["empty.yaml", ""],
    ["comments.yaml", "# only a comment\n\n  # another\n"],
  ])("%s: an empty file is an error, not the defaults", (file, text) => {
    fs.writeFileSync(path.join(dir, file), text);
    expect(() => loadConfig({ FAWKES_CONFIG: file }, dir)).toThrow(
      `${file}: the file is empty; delete it to use the embedded defaults, or set at least one key`,
    );
  });

  test("a file that is not UTF-8 says so, with the byte and its offset", () => {
    fs.writeFileSync(path.join(dir, "latin1.yaml"), Buffer.concat([Buffer.from("name: caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    expect(() => loadConfig({ FAWKES_CONFIG: "latin1.yaml" }, dir)).toThrow("latin1.yaml: not UTF-8 text (byte 0xe9 at offset 9); save it as UTF-8");
  });

  test("UTF-8 text with multi-byte characters (in a comment) still loads", () => {
    fs.writeFileSync(path.join(dir, "utf8.yaml"), "# café — ok ✓ 🚀\nprofile: lab\n");
    expect(loadConfig({ FAWKES_CONFIG: "utf8.yaml" }, dir).config.profile).toBe("lab");
  });
});

describe("config example", () => {
  test("fawkes.example.yaml is valid and states exactly the embedded defaults", () => {
    const example = loadConfig({ FAWKES_CONFIG: "fawkes.example.yaml" }, path.join(__dirname, "..")).config;
    expect(example).toEqual(parseConfig({}, "defaults"));
  });

  test("an empty section (only comments under it) means the defaults", () => {
    expect(parseConfig({ components: null, aws: { state: null } }, "f.yaml")).toEqual(parseConfig({}, "defaults"));
  });
});

describe("identity and teams", () => {
  test("defaults: Keycloak at sso, additive realm management, no broker, no teams", () => {
    const c = parseConfig({}, "defaults");
    expect(c.identity).toEqual({ subdomain: "sso", realm: { manage: "additive" }, breakGlass: [] });
    expect(c.teams).toEqual([]);
    expect(c.mattermost).toEqual({ signupDomains: [] });
  });

  test("break-glass and the Mattermost license reach the components that use them", () => {
    const c = parseConfig(
      { identity: { breakGlass: ["argocd", "jenkins"] }, mattermost: { license: { key: "fawkes/mm-license" }, signupDomains: ["example.org"] } },
      "f.yaml",
    );
    const byId = new Map(platformComponents(c).map((x) => [x.id, x as any]));
    expect(byId.get("argocd").props.breakGlass).toBe(true);
    expect(byId.get("jenkins").breakGlass).toBe(true);
    expect(byId.get("observability").breakGlass).toBe(false);
    expect(byId.get("mattermost").props).toMatchObject({ license: { key: "fawkes/mm-license" }, signupDomains: ["example.org"] });
    expect(() => parseConfig({ mattermost: { license: "the-license-text" } }, "f.yaml")).toThrow(
      /f\.yaml: mattermost\.license: expected the secret's location in the cloud secret store/,
    );
    expect(() => parseConfig({ identity: { breakGlass: ["backstage"] } }, "f.yaml")).toThrow(/f\.yaml: identity\.breakGlass\.0: expected one of/);
  });

  test("teams and an OIDC broker whose secret is a secret-store location", () => {
    const c = parseConfig(
      {
        teams: [{ name: "payments", members: ["alice"] }, { name: "search" }],
        identity: {
          broker: {
            type: "oidc",
            issuer: "https://login.corp.example",
            clientId: "fawkes",
            clientSecret: { key: "corp/sso" },
            groupMappings: { "corp-devs": "developers", pay: "payments" },
          },
        },
      },
      "f.yaml",
    );
    expect(c.teams).toEqual([
      { name: "payments", members: ["alice"] },
      { name: "search", members: [] },
    ]);
    expect(c.identity.broker).toMatchObject({ type: "oidc", groupsClaim: "groups", clientSecret: { key: "corp/sso" } });
  });

  const oidc = { type: "oidc", issuer: "https://login.corp.example", clientId: "fawkes", clientSecret: { key: "corp/sso" } };
  test.each([
    [
      { identity: { broker: { ...oidc, issuer: "http://login.corp.example" } } },
      'fawkes.yaml: identity.broker.issuer: expected an https:// URL, got "http://login.corp.example"',
    ],
    [
      { identity: { broker: { ...oidc, clientSecret: undefined } } },
      "fawkes.yaml: identity.broker.clientSecret: expected the secret's location in the cloud secret store, { key, property? } (never the value), got nothing",
    ],
    [
      { identity: { broker: { ...oidc, clientSecret: { key: "" } } } },
      "fawkes.yaml: identity.broker.clientSecret.key: expected the secret store key (name) holding the secret",
    ],
    [
      { identity: { broker: { ...oidc, clientSecret: "s3cr3t" } } },
      "fawkes.yaml: identity.broker.clientSecret: expected the secret's location in the cloud secret store",
    ],
    [
      { identity: { broker: { type: "saml", metadataUrl: "ftp://idp/md" } } },
      'fawkes.yaml: identity.broker.metadataUrl: expected an https:// URL, got "ftp://idp/md"',
    ],
    [
      { identity: { broker: { ...oidc, groupMappings: { x: "admins" } } } },
      'fawkes.yaml: identity.broker.groupMappings.x: expected a platform group or team (platform-admins, developers, learners), got "admins"',
    ],
    [{ identity: { subdomain: "SSO" } }, 'fawkes.yaml: identity.subdomain: expected a DNS label (a-z, 0-9, "-") such as "payments", got "SSO"'],
    [{ identity: { realm: { manage: "everything" } } }, 'fawkes.yaml: identity.realm.manage: expected one of "additive"|"full", got "everything"'],
    [{ teams: [{ name: "learners" }] }, "fawkes.yaml: teams.0.name: expected a name other than the platform groups"],
    [{ teams: [{ name: "a" }, { name: "a" }] }, 'fawkes.yaml: teams.1.name: expected a team name used once ("a" is listed twice), got "a"'],
  ])("rejects %j naming the file and the key", (input, message) => {
    expect(() => parseConfig(input, "fawkes.yaml")).toThrow(message);
  });
});
