import Foundation
import NIOSSL

/// Where the Kubernetes API is and how to prove who we are to it.
///
/// Built by ``load(kubeconfig:context:environment:inClusterDirectory:)`` from, in
/// order: an explicit kubeconfig, `KUBECONFIG`, `~/.kube/config`, or the pod's
/// service account (in-cluster). Certificates are kept as PEM bytes and checked
/// when loaded, so a bad file is reported with its name rather than as a TLS
/// failure later.
public struct KubeCredentials: Equatable, Sendable {
    /// Where the credentials came from, for messages.
    public enum Source: Equatable, Sendable, CustomStringConvertible {
        case kubeconfig(path: String, context: String)
        case inCluster(directory: String)

        public var description: String {
            switch self {
            case .kubeconfig(let path, let context): "kubeconfig \(path) (context \"\(context)\")"
            case .inCluster(let directory): "in-cluster service account \(directory)"
            }
        }
    }

    public enum BearerToken: Equatable, Sendable {
        case inline(String)
        /// Read again before every request: kubelet rewrites projected
        /// service-account tokens before they expire (bound tokens live ~1 h),
        /// so a `reconcile --watch` must not keep the first one forever.
        case file(String)
    }

    public struct ClientCertificate: Equatable, Sendable {
        public var certificatePEM: [UInt8]
        public var keyPEM: [UInt8]

        public init(certificatePEM: [UInt8], keyPEM: [UInt8]) {
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    /// `https://host[:port][/path prefix]`, without a trailing slash.
    public var server: String
    /// PEM CA bundle that must have signed the server certificate; `nil` means the
    /// system trust store (a kubeconfig cluster with no CA, e.g. a public endpoint).
    public var certificateAuthorityPEM: [UInt8]?
    /// Only from a kubeconfig that says `insecure-skip-tls-verify: true`.
    public var insecureSkipTLSVerify: Bool
    public var bearerToken: BearerToken?
    public var clientCertificate: ClientCertificate?
    public var source: Source

    public init(
        server: String, certificateAuthorityPEM: [UInt8]?, insecureSkipTLSVerify: Bool = false,
        bearerToken: BearerToken? = nil, clientCertificate: ClientCertificate? = nil, source: Source
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.bearerToken = bearerToken
        self.clientCertificate = clientCertificate
        self.source = source
    }

    /// Where kubelet mounts the pod's service account (token, ca.crt, namespace).
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Finds credentials the way kubectl does, first match wins:
    /// 1. `kubeconfig` (from `--kubeconfig`): must exist;
    /// 2. `KUBECONFIG`: the first existing file of its colon-separated list
    ///    (kubeconfig merging is not implemented; the first file must be complete);
    /// 3. `$HOME/.kube/config`, if it exists;
    /// 4. in-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT` with the service
    ///    account's `token` and `ca.crt` from `inClusterDirectory`.
    ///
    /// `environment` and `inClusterDirectory` are parameters so tests never read
    /// the machine's own `~/.kube` or service account.
    public static func load(
        kubeconfig: String? = nil,
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        inClusterDirectory: String = serviceAccountDirectory
    ) throws -> KubeCredentials {
        if let kubeconfig {
            return try Kubeconfig.credentials(path: kubeconfig, context: context)
        }

        var tried: [String] = []
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            if let path = paths.first(where: BoundedFile.exists) {
                return try Kubeconfig.credentials(path: path, context: context)
            }
            tried.append("KUBECONFIG=\(list) names no existing file")
        } else {
            tried.append("KUBECONFIG not set")
        }

        if let home = environment["HOME"], !home.isEmpty {
            let path = (home.hasSuffix("/") ? home : home + "/") + ".kube/config"
            if BoundedFile.exists(path) {
                return try Kubeconfig.credentials(path: path, context: context)
            }
            tried.append("\(path) does not exist")
        } else {
            tried.append("HOME not set")
        }

        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            return try inCluster(
                host: host, port: environment["KUBERNETES_SERVICE_PORT"], directory: inClusterDirectory)
        }
        tried.append("KUBERNETES_SERVICE_HOST not set (not running in a pod)")

        throw KubeError(
            .noCredentials, "find Kubernetes credentials",
            "no --kubeconfig given; " + tried.joined(separator: "; "))
    }

    /// The pod's own identity: kubelet sets `KUBERNETES_SERVICE_HOST`/`_PORT` to
    /// the `kubernetes` Service and mounts the token and the cluster CA.
    static func inCluster(host: String, port: String?, directory: String) throws -> KubeCredentials {
        let operation = "use in-cluster credentials"
        guard let port, !port.isEmpty else {
            throw KubeError(
                .configuration, operation, "KUBERNETES_SERVICE_HOST is set but KUBERNETES_SERVICE_PORT is not")
        }
        guard let portNumber = UInt16(port), portNumber > 0 else {
            throw KubeError(.configuration, operation, "KUBERNETES_SERVICE_PORT=\(port) is not a port number")
        }
        // An IPv6 service address (IPv6 or dual-stack clusters) needs brackets in a URL.
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let tokenPath = dir + "/token"
        let token = try readToken(tokenPath)
        guard !token.isEmpty else {
            throw KubeError(.configuration, "read service account token \(tokenPath)", "file is empty")
        }
        let caPath = dir + "/ca.crt"
        let ca = try BoundedFile.read(caPath, what: "service account CA")
        try checkCertificates(ca, "read service account CA \(caPath)")
        return KubeCredentials(
            server: "https://\(hostPart):\(portNumber)",
            certificateAuthorityPEM: ca,
            bearerToken: .file(tokenPath),
            source: .inCluster(directory: dir))
    }

    /// A token file holds the token and maybe a trailing newline; client-go trims
    /// whitespace the same way.
    static func readToken(_ path: String) throws -> String {
        let bytes = try BoundedFile.read(path, what: "bearer token")
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try checkToken(token, operation: "read bearer token \(path)")
        return token
    }

    /// The token goes into an HTTP header: only visible ASCII may appear there.
    static func checkToken(_ token: String, operation: String) throws {
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw KubeError(.configuration, operation, "token contains characters not allowed in an HTTP header")
        }
    }

    static func checkCertificates(_ pem: [UInt8], _ operation: String) throws {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(pem)
        } catch {
            throw KubeError(.configuration, operation, "not a PEM certificate (\(error))")
        }
        guard !certificates.isEmpty else {
            throw KubeError(.configuration, operation, "contains no PEM certificate")
        }
    }

    static func checkPrivateKey(_ pem: [UInt8], _ operation: String) throws {
        do {
            _ = try NIOSSLPrivateKey(bytes: pem, format: .pem)
        } catch {
            throw KubeError(.configuration, operation, "not a PEM private key (\(error))")
        }
    }
}
