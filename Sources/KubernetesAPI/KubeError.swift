/// Why talking to the Kubernetes API did not work, in one line a user can act on.
///
/// `kind` is for code that reacts differently (reconcile keeps doing the runtime
/// part whatever the kind); `operation` names what was attempted (a file, a URL)
/// and `detail` says what went wrong there.
public struct KubeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// No kubeconfig, no `KUBECONFIG`, no `~/.kube/config` and not in a pod.
        case noCredentials
        /// A kubeconfig, token, certificate or key could not be read or makes no sense.
        case configuration
        /// The kubeconfig asks for an authentication tailtrace does not implement
        /// (exec plugins, auth-provider, basic auth).
        case unsupportedAuthentication
        /// The node name is not a DNS-1123 subdomain, so no node can have it.
        case invalidNodeName
        /// No TCP connection: refused, no route, name not resolved.
        case unreachable
        /// The TLS handshake failed: the server certificate is not signed by the
        /// trusted CA, does not name the host, or the server rejected our certificate.
        case tls
        /// Connect, read or the whole request took longer than the limit.
        case timeout
        /// HTTP 401: no credentials, or the token/certificate is not accepted.
        case unauthorized
        /// HTTP 403: authenticated, but RBAC does not allow listing pods.
        case forbidden
        /// Any other HTTP status that is not 200.
        case httpStatus(Int)
        /// The body is not a PodList we can decode.
        case malformedResponse
        /// The body is larger than the client's limit.
        case responseTooLarge
    }

    public var kind: Kind
    public var operation: String
    public var detail: String

    public init(_ kind: Kind, _ operation: String, _ detail: String) {
        self.kind = kind
        self.operation = operation
        self.detail = detail
    }

    public var description: String { "\(operation): \(detail)" }
}
