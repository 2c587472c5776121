import Shared
import TailcallPool

/// The pods of this node, fetched once per reconcile pass. Without
/// credentials, reconcile does the runtime part only.
struct KubernetesLookup {
    let kubeconfig: String?
    let node: String

    struct Result {
        var lookup: ((String) -> KubernetesIdentity?)?
        var problems: [String]
    }

    func fetch() -> Result {
        Result(lookup: nil, problems: [])
    }
}
