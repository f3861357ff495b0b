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
    [{ api: { allowedCidrs: ["0.0.0.0/0"] } }, "fawkes.yaml: api.allowedCidrs.0: expected a CIDR narrower than /0 (the API endpoint is never open to the whole internet), got \"0.0.0.0/0\""],
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

describe("config example", () => {
  test("fawkes.example.yaml is valid and states exactly the embedded defaults", () => {
    const example = loadConfig({ FAWKES_CONFIG: "fawkes.example.yaml" }, path.join(__dirname, "..")).config;
    expect(example).toEqual(parseConfig({}, "defaults"));
  });

  test("an empty section (only comments under it) means the defaults", () => {
    expect(parseConfig({ components: null, aws: { state: null } }, "f.yaml")).toEqual(parseConfig({}, "defaults"));
  });
});
