import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Construct } from "constructs";
import { cidrSubnet } from "../shared";

export interface AksNetworkProps {
  /** Prefix of resource names, e.g. `fawkes-dev`. */
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** Address space of the VNet (at most a /20). */
  readonly cidr: string;
  readonly tags: Record<string, string>;
}

/** Pod and service ranges of the overlay network: never routed in the VNet, but must not overlap it. */
export const POD_CIDR = "10.244.0.0/16";
export const SERVICE_CIDR = "10.245.0.0/16";
export const DNS_SERVICE_IP = "10.245.0.10";

/** The delegation Flexible Server needs on its subnet. */
const POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers";
/** MySQL's Flexible Server needs its own: a subnet is delegated to one service only. */
const MYSQL_DELEGATION = "Microsoft.DBforMySQL/flexibleServers";

/**
 * The VNet: one subnet for nodes (pods live on the Azure CNI overlay, so only nodes take VNet
 * addresses), one delegated to PostgreSQL Flexible Server, one for private endpoints (Key Vault,
 * Blob storage), and one delegated to MySQL Flexible Server once a MySQL database is asked for.
 * Private DNS zones are linked to the VNet so pods resolve private endpoints.
 */
export class AksNetwork extends Construct {
  readonly vnet: VirtualNetwork;
  readonly nodes: Subnet;
  readonly databases: Subnet;
  readonly privateEndpoints: Subnet;
  private readonly zones = new Map<string, LinkedZone>();
  private mysql?: Subnet;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AksNetworkProps,
  ) {
    super(scope, id);
    const { name, resourceGroupName, location, cidr, tags } = props;
    this.vnet = new VirtualNetwork(this, "Vnet", { name, resourceGroupName, location, addressSpace: [cidr], tags });
    const subnet = (sid: string, subnetName: string, prefix: string, extra: Partial<ConstructorParameters<typeof Subnet>[2]> = {}) =>
      new Subnet(this, sid, { name: subnetName, resourceGroupName, virtualNetworkName: this.vnet.name, addressPrefixes: [prefix], ...extra });
    // First sixteenth for nodes (a /20 of a /16), then two /24-equivalents right after it.
    this.nodes = subnet("Nodes", "nodes", cidrSubnet(cidr, 4, 0));
    this.databases = subnet("Databases", "databases", cidrSubnet(cidr, 8, 16), {
      delegation: [
        {
          name: "postgres",
          serviceDelegation: { name: POSTGRES_DELEGATION, actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] },
        },
      ],
    });
    this.privateEndpoints = subnet("PrivateEndpoints", "private-endpoints", cidrSubnet(cidr, 8, 17));
  }

  /** The subnet delegated to MySQL Flexible Server (the /24-equivalent after the endpoints'), made on first use. */
  mysqlDatabases(): Subnet {
    const { resourceGroupName, cidr } = this.props;
    this.mysql ??= new Subnet(this, "MysqlDatabases", {
      name: "mysql-databases",
      resourceGroupName,
      virtualNetworkName: this.vnet.name,
      addressPrefixes: [cidrSubnet(cidr, 8, 18)],
      delegation: [{ name: "mysql", serviceDelegation: { name: MYSQL_DELEGATION, actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } }],
    });
    return this.mysql;
  }

  /** A private DNS zone linked to the VNet, made once per zone name; clients must wait for the link. */
  privateDnsZone(id: string, zoneName: string): LinkedZone {
    let linked = this.zones.get(zoneName);
    if (!linked) {
      const zone = new PrivateDnsZone(this, id, { name: zoneName, resourceGroupName: this.props.resourceGroupName, tags: this.props.tags });
      const link = new PrivateDnsZoneVirtualNetworkLink(this, `${id}Link`, {
        name: this.props.name,
        resourceGroupName: this.props.resourceGroupName,
        privateDnsZoneName: zone.name,
        virtualNetworkId: this.vnet.id,
        registrationEnabled: false,
        tags: this.props.tags,
      });
      linked = { zone, link };
      this.zones.set(zoneName, linked);
    }
    return linked;
  }

  /**
   * A private endpoint for one sub-resource (`vault`, `blob`) of a service, in the private-endpoints
   * subnet, with its A record in the service's privatelink zone: pods reach the service without any
   * public network access.
   */
  privateEndpoint(scope: Construct, id: string, props: { resourceId: string; subresource: string; zoneName: string; endpointName: string }): PrivateEndpoint {
    const { zone, link } = this.privateDnsZone(`${id}Zone`, props.zoneName);
    return new PrivateEndpoint(scope, id, {
      name: props.endpointName,
      resourceGroupName: this.props.resourceGroupName,
      location: this.props.location,
      subnetId: this.privateEndpoints.id,
      privateServiceConnection: {
        name: props.endpointName,
        privateConnectionResourceId: props.resourceId,
        subresourceNames: [props.subresource],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name: "default", privateDnsZoneIds: [zone.id] },
      tags: this.props.tags,
      dependsOn: [link],
    });
  }
}

export interface LinkedZone {
  readonly zone: PrivateDnsZone;
  readonly link: PrivateDnsZoneVirtualNetworkLink;
}
