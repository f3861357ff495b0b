import { Testing, TerraformStack } from "cdktf";
import { parseConfig } from "../stacks/config/load";
import { apiAccess, DEPLOYER_ADDRESS_URL } from "../stacks/install";
import { synthesized } from "./synthesized";
import { testConfig } from "./support";

describe("API access (defect: a private API that the deploy cannot reach)", () => {
  test("the default allows the deployer's own address, looked up when Terraform plans", () => {
    const tf = synthesized("fawkes-aws");
    const http = tf.data.http.DeployerAddress;
    expect(http.url).toBe(DEPLOYER_ADDRESS_URL);
    // The plan fails, before anything is created, when the lookup does not return an address.
    expect(http.lifecycle.postcondition[0].condition).toMatch(/status_code == 200 && can\(regex/);
    const cluster = Object.values<any>(tf.resource.aws_eks_cluster)[0];
    expect(cluster.vpc_config).toMatchObject({ endpoint_public_access: true, public_access_cidrs: ["${chomp(data.http.DeployerAddress.response_body)}/32"] });
  });

  test.each(["fawkes-azure", "fawkes-gcp"] as const)("%s resolves deployer the same way", (name) => {
    expect(JSON.stringify(synthesized(name))).toContain("${chomp(data.http.DeployerAddress.response_body)}/32");
  });

  test("listed CIDRs are used as they are, with no lookup", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    const access = apiAccess(stack, testConfig({ api: { allowedCidrs: ["203.0.113.0/24"], privateCidrs: ["10.8.0.0/16"] } }));
    expect(access).toEqual({ publicCidrs: ["203.0.113.0/24"], privateCidrs: ["10.8.0.0/16"] });
    expect(JSON.parse(Testing.synth(stack)).data).toBeUndefined();
  });

  test("an empty list is refused at synth, naming the file and the key, unless the deploy runs inside the network", () => {
    expect(() => parseConfig({ api: { allowedCidrs: [] } }, "prod.yaml")).toThrow(
      /^prod\.yaml: api\.allowedCidrs: expected at least one network .*api\.deployFromInsideNetwork: true/,
    );
    const inside = parseConfig({ api: { allowedCidrs: [], deployFromInsideNetwork: true } }, "prod.yaml");
    const stack = new TerraformStack(Testing.app(), "t");
    expect(apiAccess(stack, inside).publicCidrs).toEqual([]);
  });
});
