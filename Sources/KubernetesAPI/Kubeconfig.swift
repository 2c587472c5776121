import Foundation
import Yams

/// The parts of a kubeconfig (`apiVersion: v1, kind: Config`) that say how to
/// reach one cluster: current-context → context → cluster + user. Everything
/// else (preferences, extensions, namespaces) is ignored.
struct Kubeconfig: Decodable {
    struct Named<Value: Decodable>: Decodable {
        var name: String
        var value: Value?
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
    }

    struct User: Decodable {
        struct Exec: Decodable { var command: String? }
        struct AuthProvider: Decodable { var name: String? }

        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var exec: Exec?
        var authProvider: AuthProvider?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    var currentContext: String?
    var clusters: [Named<Cluster>]?
    var contexts: [Named<Context>]?
    var users: [Named<User>]?
    enum CodingKeys: String, CodingKey {
        case clusters, contexts, users
        case currentContext = "current-context"
    }

    /// Reads `path` and resolves `context` (or `current-context`) to credentials.
    static func credentials(path: String, context contextOverride: String?) throws -> KubeCredentials {
        let text = String(decoding: try BoundedFile.read(path, what: "kubeconfig"), as: UTF8.self)
        let config: Kubeconfig
        do {
            config = try YAMLDecoder().decode(Kubeconfig.self, from: text)
        } catch {
            throw KubeError(.configuration, "parse kubeconfig \(path)", "\(error)")
        }
        return try config.credentials(path: path, context: contextOverride)
    }

    func credentials(path: String, context contextOverride: String?) throws -> KubeCredentials {
        let operation = "use kubeconfig \(path)"
        guard let contextName = contextOverride ?? currentContext, !contextName.isEmpty else {
            throw KubeError(.configuration, operation, "no current-context is set")
        }
        guard let context = contexts?.first(where: { $0.name == contextName })?.value else {
            throw KubeError(.configuration, operation, "context \"\(contextName)\" is not defined")
        }
        guard let clusterName = context.cluster, !clusterName.isEmpty,
            let cluster = clusters?.first(where: { $0.name == clusterName })?.value
        else {
            throw KubeError(
                .configuration, operation,
                "cluster \"\(context.cluster ?? "")\" of context \"\(contextName)\" is not defined")
        }
        // A context may name no user (anonymous access); a named but missing user is an error.
        var user = User()
        if let userName = context.user, !userName.isEmpty {
            guard let found = users?.first(where: { $0.name == userName }) else {
                throw KubeError(
                    .configuration, operation, "user \"\(userName)\" of context \"\(contextName)\" is not defined")
            }
            // `user: {}` or an empty `user:` both mean no credentials.
            user = found.value ?? User()
        }

        // client-go resolves relative file references against the kubeconfig's directory.
        let directory = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || directory.isEmpty ? file : directory + "/" + file
        }

        let server = try Self.server(cluster.server, cluster: clusterName, operation: operation)

        // `-data` fields override the file fields, as in client-go.
        func pem(data: String?, file: String?, field: String, owner: String, check: ([UInt8], String) throws -> Void)
            throws -> [UInt8]?
        {
            if let data, !data.isEmpty {
                let what = "\(field)-data of \(owner)"
                let bytes = try Self.base64(data, field: what, operation: operation)
                try check(bytes, "\(operation): \(what)")
                return bytes
            }
            if let file, !file.isEmpty {
                let resolved = resolve(file)
                let bytes = try BoundedFile.read(resolved, what: field)
                try check(bytes, "read \(field) \(resolved)")
                return bytes
            }
            return nil
        }

        let ca = try pem(
            data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
            field: "certificate-authority", owner: "cluster \"\(clusterName)\"",
            check: KubeCredentials.checkCertificates)
        let insecure = cluster.insecureSkipTLSVerify ?? false
        if insecure && ca != nil {
            // kubectl refuses the same combination.
            throw KubeError(
                .configuration, operation,
                "cluster \"\(clusterName)\" sets both a certificate authority and insecure-skip-tls-verify")
        }

        let userName = context.user ?? ""
        if let exec = user.exec {
            throw KubeError(
                .unsupportedAuthentication, operation,
                "user \"\(userName)\" authenticates with an exec plugin (command \"\(exec.command ?? "?")\"), "
                    + "which tailtrace does not run; use a token, tokenFile or client certificate")
        }
        if let provider = user.authProvider {
            throw KubeError(
                .unsupportedAuthentication, operation,
                "user \"\(userName)\" authenticates with auth-provider \"\(provider.name ?? "?")\", "
                    + "which tailtrace does not support; use a token, tokenFile or client certificate")
        }
        if user.username != nil && user.token == nil && user.tokenFile == nil && user.clientCertificate == nil
            && user.clientCertificateData == nil
        {
            // Basic auth was removed from kube-apiserver in 1.19.
            throw KubeError(
                .unsupportedAuthentication, operation,
                "user \"\(userName)\" authenticates with username/password (basic auth), which tailtrace does not support"
            )
        }

        // TokenFile wins over token: client-go documents that the file, re-read
        // periodically, takes precedence.
        var bearer: KubeCredentials.BearerToken?
        if let file = user.tokenFile, !file.isEmpty {
            let tokenPath = resolve(file)
            _ = try KubeCredentials.readToken(tokenPath)
            bearer = .file(tokenPath)
        } else if let token = user.token, !token.isEmpty {
            try KubeCredentials.checkToken(token, operation: "\(operation): token of user \"\(userName)\"")
            bearer = .inline(token)
        }

        let owner = "user \"\(userName)\""
        let certificate = try pem(
            data: user.clientCertificateData, file: user.clientCertificate, field: "client-certificate", owner: owner,
            check: KubeCredentials.checkCertificates)
        let key = try pem(
            data: user.clientKeyData, file: user.clientKey, field: "client-key", owner: owner,
            check: KubeCredentials.checkPrivateKey)
        var clientCertificate: KubeCredentials.ClientCertificate?
        switch (certificate, key) {
        case (let certificate?, let key?):
            clientCertificate = .init(certificatePEM: certificate, keyPEM: key)
        case (nil, nil):
            clientCertificate = nil
        default:
            throw KubeError(
                .configuration, operation,
                "user \"\(userName)\" has a client certificate without a key or a key without a certificate")
        }

        return KubeCredentials(
            server: server, certificateAuthorityPEM: ca, insecureSkipTLSVerify: insecure,
            bearerToken: bearer, clientCertificate: clientCertificate,
            source: .kubeconfig(path: path, context: contextName))
    }

    /// Only https: a bearer token or pod list must not cross the network in clear.
    static func server(_ value: String?, cluster: String, operation: String) throws -> String {
        guard var server = value?.trimmingCharacters(in: .whitespaces), !server.isEmpty else {
            throw KubeError(.configuration, operation, "cluster \"\(cluster)\" has no server")
        }
        while server.hasSuffix("/") { server.removeLast() }
        guard let url = URL(string: server), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil
        else {
            throw KubeError(
                .configuration, operation,
                "server \"\(server)\" of cluster \"\(cluster)\" is not an https://host[:port] URL")
        }
        return server
    }

    static func base64(_ text: String, field: String, operation: String) throws -> [UInt8] {
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else {
            throw KubeError(.configuration, operation, "\(field) is not valid base64")
        }
        return [UInt8](data)
    }
}

extension Kubeconfig.Named {
    // A kubeconfig list entry is `{name: X, cluster|context|user: {...}}`; the
    // key of the value depends on the list, so try each.
    enum CodingKeys: String, CodingKey { case name, cluster, context, user }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        value =
            try container.decodeIfPresent(Value.self, forKey: .cluster)
            ?? container.decodeIfPresent(Value.self, forKey: .context)
            ?? container.decodeIfPresent(Value.self, forKey: .user)
    }
}
