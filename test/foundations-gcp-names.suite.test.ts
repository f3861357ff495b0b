/** GKE, names at the edges, data requests on every cloud, destroy: one module registry (see components.suite.test.ts). */
import "./gke.spec";
import "./names.spec";
import "./database.spec";
import "./destroy.spec";
