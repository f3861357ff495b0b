import { ComputeGlobalAddress } from "@cdktf/provider-google/lib/compute-global-address";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { ServiceNetworkingConnection } from "@cdktf/provider-google/lib/service-networking-connection";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { GCP_NAME_LIMITS, fitName } from "./names";

export interface GkeNetworkProps {
  /** Prefix of resource names. */
  readonly name: string;
  readonly region: string;
  /** Primary range of the subnet: nodes and internal load balancers. */
  readonly subnetCidr: string;
  /** Secondary range for pod IPs (VPC-native cluster). */
  readonly podsCidr: string;
  /** Secondary range for Service cluster IPs. */
  readonly servicesCidr: string;
  /** Range peered to Google's service producers: Cloud SQL private IPs come from it. */
  readonly privateServicesCidr: string;
  /** The project's APIs. */
  readonly dependsOn: ITerraformDependable[];
}

/** Names of the subnet's secondary ranges, as the cluster's IP allocation policy refers to them. */
export const POD_RANGE = "pods";
export const SERVICE_RANGE = "services";

/**
 * A custom-mode VPC with one regional subnet (secondary ranges for pods and services, Private Google
 * Access so nodes without public IPs reach Google APIs), Cloud NAT for egress, and a private
 * services connection so Cloud SQL gets an address inside the VPC and none on the internet.
 */
export class GkeNetwork extends Construct {
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  readonly nat: ComputeRouterNat;
  /** The peering Cloud SQL instances are created through. */
  readonly privateServices: ServiceNetworkingConnection;
  readonly privateServicesRange: ComputeGlobalAddress;

  constructor(scope: Construct, id: string, props: GkeNetworkProps) {
    super(scope, id);
    const name = props.name;
    // Compute names are RFC 1035 labels of up to 63 characters.
    const fit = (n: string) => fitName(n, GCP_NAME_LIMITS.compute);
    this.network = new ComputeNetwork(this, "Vpc", {
      name: fit(name),
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
      dependsOn: props.dependsOn,
    });
    this.subnet = new ComputeSubnetwork(this, "Subnet", {
      name: fit(`${name}-nodes`),
      region: props.region,
      network: this.network.id,
      ipCidrRange: props.subnetCidr,
      secondaryIpRange: [
        { rangeName: POD_RANGE, ipCidrRange: props.podsCidr },
        { rangeName: SERVICE_RANGE, ipCidrRange: props.servicesCidr },
      ],
      privateIpGoogleAccess: true,
      // Flow logs, sampled: who talked to whom, for incident response.
      logConfig: { aggregationInterval: "INTERVAL_10_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    });

    const router = new ComputeRouter(this, "Router", { name: fit(name), region: props.region, network: this.network.id });
    this.nat = new ComputeRouterNat(this, "Nat", {
      name: fit(name),
      region: props.region,
      router: router.name,
      natIpAllocateOption: "AUTO_ONLY",
      // Only the node subnet (all its ranges: nodes and pods) gets egress.
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetwork: [{ name: this.subnet.id, sourceIpRangesToNat: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });

    const [address, prefix] = props.privateServicesCidr.split("/");
    this.privateServicesRange = new ComputeGlobalAddress(this, "PrivateServicesRange", {
      name: fit(`${name}-private-services`),
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address,
      prefixLength: Number(prefix),
      network: this.network.id,
    });
    this.privateServices = new ServiceNetworkingConnection(this, "PrivateServices", {
      network: this.network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [this.privateServicesRange.name],
      // Cloud SQL holds the connection for up to days after its last instance is deleted, so
      // deleting it fails ("Producer services ... are still using this connection"). ABANDON, as
      // the provider recommends with Cloud SQL, drops it from state instead; the peering it made
      // can still hold the VPC, which the README's destroy steps remove with one gcloud command.
      deletionPolicy: "ABANDON",
    });
  }
}
