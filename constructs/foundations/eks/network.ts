import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { cidrSubnet } from "../shared";

export interface EksNetworkProps {
  /** Prefix of resource names, and the cluster name the subnets are tagged for. */
  readonly clusterName: string;
  readonly cidr: string;
  /** One NAT gateway per zone (resilient) or one for all (cheaper). */
  readonly natPerZone: boolean;
}

/** Three zones. */
export const ZONES = 3;

/**
 * VPC over three zones: private subnets for nodes, isolated-from-the-internet subnets for
 * databases, and public subnets that only load balancers use (nodes get no public IPs).
 */
export class EksNetwork extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[] = [];
  readonly publicSubnets: Subnet[] = [];
  readonly databaseSubnets: Subnet[] = [];
  /** Internet gateway and NAT gateways: what load balancers' addresses keep from being deleted. */
  readonly internetGateway: InternetGateway;
  readonly natGateways: NatGateway[] = [];

  constructor(scope: Construct, id: string, props: EksNetworkProps) {
    super(scope, id);
    const name = props.clusterName;
    const zones = new DataAwsAvailabilityZones(this, "Zones", {
      state: "available",
      filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    this.vpc = new Vpc(this, "Vpc", { cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name } });
    const igw = new InternetGateway(this, "InternetGateway", { vpcId: this.vpc.id, tags: { Name: name } });
    this.internetGateway = igw;
    const publicRoutes = new RouteTable(this, "PublicRoutes", {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: { Name: `${name}-public` },
    });

    const nats = this.natGateways;
    for (let i = 0; i < ZONES; i++) {
      const az = Fn.element(zones.names, i);
      // /19 per zone for nodes and pods (VPC CNI gives pods VPC addresses), /24s for the rest.
      const priv = new Subnet(this, `Private${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(props.cidr, 3, i),
        tags: { Name: `${name}-private-${i}`, "kubernetes.io/role/internal-elb": "1", [`kubernetes.io/cluster/${name}`]: "shared" },
      });
      const pub = new Subnet(this, `Public${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(props.cidr, 8, 96 + i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1", [`kubernetes.io/cluster/${name}`]: "shared" },
      });
      const db = new Subnet(this, `Database${i}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(props.cidr, 8, 104 + i),
        tags: { Name: `${name}-database-${i}` },
      });
      new RouteTableAssociation(this, `PublicRoute${i}`, { subnetId: pub.id, routeTableId: publicRoutes.id });
      if (i === 0 || props.natPerZone) {
        const eip = new Eip(this, `NatAddress${i}`, { domain: "vpc", tags: { Name: `${name}-nat-${i}` } });
        nats.push(new NatGateway(this, `Nat${i}`, { allocationId: eip.id, subnetId: pub.id, tags: { Name: `${name}-${i}` }, dependsOn: [igw] }));
      }
      const privateRoutes = new RouteTable(this, `PrivateRoutes${i}`, {
        vpcId: this.vpc.id,
        route: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[props.natPerZone ? i : 0].id }],
        tags: { Name: `${name}-private-${i}` },
      });
      new RouteTableAssociation(this, `PrivateRoute${i}`, { subnetId: priv.id, routeTableId: privateRoutes.id });
      // Database subnets get a route table with no default route: no way in or out of the VPC.
      const dbRoutes = new RouteTable(this, `DatabaseRoutes${i}`, { vpcId: this.vpc.id, tags: { Name: `${name}-database-${i}` } });
      new RouteTableAssociation(this, `DatabaseRoute${i}`, { subnetId: db.id, routeTableId: dbRoutes.id });
      this.privateSubnets.push(priv);
      this.publicSubnets.push(pub);
      this.databaseSubnets.push(db);
    }
  }
}
