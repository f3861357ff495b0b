import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lazy } from "cdktf";
import { main } from "../stacks/main";
import { skipTokenCreationStacks } from "../stacks/token-traces";

/** Runs the app's entry point with a config file, into an output dir that already holds a synth. */
function run(configYaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-main-"));
  const out = path.join(dir, "cdktf.out");
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, "manifest.json"), "previous synth");
  fs.writeFileSync(path.join(dir, "fawkes.yaml"), configYaml);
  const saved = { ...process.env };
  const stderr: string[] = [];
  const write = jest.spyOn(process.stderr, "write").mockImplementation((s) => (stderr.push(String(s)), true));
  try {
    Object.assign(process.env, { FAWKES_CONFIG: path.join(dir, "fawkes.yaml"), CDKTF_OUTDIR: out, FAWKES_SUMMARY: "0" });
    return { code: main(), stderr: stderr.join(""), out, leftovers: fs.readdirSync(dir) };
  } finally {
    write.mockRestore();
    process.env = saved;
  }
}

describe("the app entry point", () => {
  test("a bad config fails with the file, key and expectation, exit code 1, and leaves cdktf.out as it was", () => {
    const r = run("profile: huge\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fawkes\.yaml: profile: expected one of "lab"\|"small"\|"standard", got "huge"/);
    expect(fs.readFileSync(path.join(r.out, "manifest.json"), "utf8")).toBe("previous synth");
    expect(r.leftovers.sort()).toEqual(["cdktf.out", "fawkes.yaml"]);
  });

  test("a wiring error (a needed component switched off) fails naming both, and leaves cdktf.out as it was", () => {
    const r = run("components:\n  ingress: false\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /fawkes\.yaml: components\.ingress: expected true \(or left out\): \w+ needs ingress; to leave ingress out, set components\.\w+: false too/,
    );
    expect(fs.readFileSync(path.join(r.out, "manifest.json"), "utf8")).toBe("previous synth");
    expect(r.leftovers.sort()).toEqual(["cdktf.out", "fawkes.yaml"]);
  });
});

test("cdktf's token creation stacks are not captured (a third of synth under jest); real errors keep their stacks", () => {
  skipTokenCreationStacks();
  const token = Lazy.stringValue({ produce: () => "x" });
  expect(token).toMatch(/TfToken/);
  const holder = { stack: "" };
  Error.captureStackTrace(holder);
  expect(holder.stack).toBe("");
  const other: { stack?: string; cause?: string } = { cause: "kept" };
  Error.captureStackTrace(other);
  expect(other.stack).toMatch(/main\.test/);
  expect(new Error("real").stack).toMatch(/main\.test/);
});
