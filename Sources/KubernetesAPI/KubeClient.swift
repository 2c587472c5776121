import AsyncHTTPClient
import Foundation
import NIOSSL

/// Lists the pods of one node from the Kubernetes API over verified HTTPS.
///
/// One client owns one `HTTPClient` (and its pooled connections); call
/// ``shutdown()`` when done, or use ``withClient(_:limits:_:)``.
public final class KubeClient: Sendable {
    public struct Limits: Sendable {
        /// TCP connect and TLS handshake.
        public var connectTimeout: Duration = .seconds(10)
        /// Longest silence between two reads of the answer.
        public var readTimeout: Duration = .seconds(10)
        /// The whole request, body included: a 10,000-pod list is tens of MiB.
        public var requestTimeout: Duration = .seconds(60)
        /// A PodList of 10,000 real pods is ~50-100 MiB of JSON; beyond this the
        /// answer is refused rather than held in memory.
        public var maxResponseBytes: Int = 256 << 20

        public init() {}
    }

    public let credentials: KubeCredentials
    public let limits: Limits
    private let http: HTTPClient

    public init(_ credentials: KubeCredentials, limits: Limits = Limits()) throws {
        self.credentials = credentials
        self.limits = limits
        let operation = "set up TLS for \(credentials.server)"

        var tls = TLSConfiguration.makeClientConfiguration()
        if credentials.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let ca = credentials.certificateAuthorityPEM {
            // Like client-go: a configured CA replaces the system roots; it does not add to them.
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            } catch {
                throw KubeError(.configuration, operation, "certificate authority is not PEM (\(error))")
            }
        }
        if let client = credentials.clientCertificate {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(client.certificatePEM).map {
                    .certificate($0)
                }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: client.keyPEM, format: .pem))
            } catch {
                throw KubeError(.configuration, operation, "client certificate or key is not PEM (\(error))")
            }
        }

        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // The pods endpoint never redirects; following one could hand the
            // bearer token to another host.
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .nanoseconds(Self.nanoseconds(limits.connectTimeout)),
                read: .nanoseconds(Self.nanoseconds(limits.readTimeout))))
        // Fail at once with the real cause (refused, bad CA) instead of retrying
        // with backoff until the connect timeout hides it; `reconcile --watch`
        // retries on its own schedule.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit {
        // Safety net only: AsyncHTTPClient traps in debug builds when a client is
        // released without shutdown. Shutting down twice is harmless.
        http.shutdown(queue: .global()) { _ in }
    }

    /// Runs `body` with a client and shuts the client down afterwards, also when
    /// `body` throws.
    public static func withClient<Result: Sendable>(
        _ credentials: KubeCredentials, limits: Limits = Limits(),
        _ body: (KubeClient) async throws -> Result
    ) async throws -> Result {
        let client = try KubeClient(credentials, limits: limits)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes pooled connections. Calling it again is a no-op.
    public func shutdown() async throws {
        do {
            try await http.shutdown()
        } catch let error as HTTPClientError where error == .alreadyShutdown {
            return
        }
    }

    /// `GET /api/v1/pods?fieldSelector=spec.nodeName=<node>`: the pods bound to
    /// `node`, in all namespaces (needs RBAC `list pods` at cluster scope, as a
    /// DaemonSet's service account usually has).
    public func pods(onNode node: String) async throws -> PodList {
        try NodeName.validate(node)
        // resourceVersion=0 lets the apiserver answer from its watch cache instead
        // of a quorum read from etcd, as kubelet does: a DaemonSet listing on every
        // node must stay cheap, and a list at most moments old is good enough for
        // naming containers (the next reconcile sees what this one missed).
        let selector = Self.percentEncode("spec.nodeName=\(node)")
        let url = "\(credentials.server)/api/v1/pods?fieldSelector=\(selector)&resourceVersion=0"
        let operation = "GET \(credentials.server)/api/v1/pods?fieldSelector=spec.nodeName=\(node)"

        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "tailtrace")
        if let token = try currentToken() {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }

        let (status, body) = try await fetch(request, operation: operation)
        switch status {
        case 200:
            return try PodList(json: body, node: node)
        case 401:
            throw KubeError(
                .unauthorized, operation,
                "HTTP 401 Unauthorized: the API server did not accept the credentials from "
                    + "\(credentials.source)\(Self.statusMessage(body))")
        case 403:
            throw KubeError(.forbidden, operation, "HTTP 403 Forbidden\(Self.statusMessage(body))")
        default:
            throw KubeError(.httpStatus(status), operation, "HTTP \(status)\(Self.statusMessage(body))")
        }
    }

    private func currentToken() throws -> String? {
        switch credentials.bearerToken {
        case nil: nil
        case .inline(let token): token
        case .file(let path): try KubeCredentials.readToken(path)
        }
    }

    /// Sends the request and reads the whole body, bounded by `maxResponseBytes`.
    private func fetch(_ request: HTTPClientRequest, operation: String) async throws -> (Int, Data) {
        let limit = limits.maxResponseBytes
        do {
            let response = try await http.execute(
                request, timeout: .nanoseconds(Self.nanoseconds(limits.requestTimeout)))
            if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                throw KubeError(
                    .responseTooLarge, operation, "answer of \(length) bytes exceeds the limit of \(limit) bytes")
            }
            var body = Data()
            for try await chunk in response.body {
                guard body.count + chunk.readableBytes <= limit else {
                    throw KubeError(.responseTooLarge, operation, "answer exceeds the limit of \(limit) bytes")
                }
                body.append(contentsOf: chunk.readableBytesView)
            }
            return (Int(response.status.code), body)
        } catch {
            throw Self.classify(error, operation: operation, credentials: credentials)
        }
    }

    /// Maps transport errors to what the user should check. The NIO error types
    /// for refused connections live in NIOPosix, which this module does not
    /// import: whatever is not TLS, a timeout or an HTTP answer is "unreachable".
    static func classify(_ error: Error, operation: String, credentials: KubeCredentials) -> KubeError {
        switch error {
        case let error as KubeError:
            return error
        case is NIOSSLError, is NIOSSLExtraError:
            return KubeError(.tls, operation, "TLS handshake failed: \(tlsExplanation(error, credentials))")
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return KubeError(.timeout, operation, "no connection within the connect timeout (\(error))")
            case .readTimeout, .deadlineExceeded:
                return KubeError(.timeout, operation, "the API server did not answer in time (\(error))")
            default:
                return KubeError(.unreachable, operation, "cannot talk to the API server: \(error)")
            }
        default:
            return KubeError(.unreachable, operation, "cannot connect to the API server: \(socketExplanation(error))")
        }
    }

    /// NIO's socket errors (IOError, in NIOCore) end their description with
    /// `(errno: N)`; the errno's own text is what a user recognises
    /// ("Connection refused", "No route to host").
    private static func socketExplanation(_ error: Error) -> String {
        let text = "\(error)"
        guard let marker = text.range(of: "errno: ", options: .backwards),
            let code = Int32(text[marker.upperBound...].prefix(while: \.isNumber))
        else { return text }
        return "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// BoringSSL names the reason (`...:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`);
    /// NIOSSL keeps it only in the error's description, so it is taken from there.
    private static func tlsExplanation(_ error: Error, _ credentials: KubeCredentials) -> String {
        let text = "\(error)"
        var reason: String?
        if let marker = text.range(of: "OPENSSL_internal:") {
            reason = String(text[marker.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" })
        }
        let trust =
            credentials.certificateAuthorityPEM != nil
            ? "the CA of \(credentials.source)" : "the system CA store"
        switch reason {
        case "CERTIFICATE_VERIFY_FAILED"?:
            return "the server certificate is not signed by \(trust), or does not name the host of "
                + "\(credentials.server) (CERTIFICATE_VERIFY_FAILED)"
        case let reason? where reason.contains("ALERT"):
            return "the server aborted the handshake (\(reason)); does it accept our client certificate?"
        case let reason? where !reason.isEmpty:
            return reason
        default:
            return text
        }
    }

    /// The `message` of a `kind: Status` body, which the apiserver sends with every
    /// error (e.g. the RBAC rule that denied a 403); otherwise a short excerpt.
    static func statusMessage(_ body: Data) -> String {
        struct Status: Decodable {
            var kind: String?
            var message: String?
            var reason: String?
        }
        if let status = try? JSONDecoder().decode(Status.self, from: body), status.kind == "Status",
            let message = status.message, !message.isEmpty
        {
            return ": \(message)"
        }
        let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
            .map { $0.isASCII && ($0.isLetter || $0.isNumber || $0.isPunctuation || $0 == " ") ? $0 : " " }
        let text = String(excerpt).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : ": \(text)"
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
