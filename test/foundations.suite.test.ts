/** EKS, AKS and the existing-cluster foundation, and API access: one module registry (see components.suite.test.ts). */
import "./eks.spec";
import "./aks.spec";
import "./local.spec";
import "./api-access.spec";
import "./registry.spec";
