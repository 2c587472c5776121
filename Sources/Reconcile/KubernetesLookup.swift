import Foundation
import Glibc
import KubernetesAPI

/// The pods of this node, fetched once per reconcile pass. Without
/// credentials, reconcile does the runtime part only and says so once.
public struct KubernetesLookup {
    public let kubeconfig: String?
    public let node: String

    /// `node`: this node's name in Kubernetes (default: the host name).
    public init(kubeconfig: String?, node: String?) {
        self.kubeconfig = kubeconfig
        self.node = node ?? Self.hostName()
    }

    public struct Result {
        /// Container id → its pod container (nil: no Kubernetes to ask).
        public var lookup: ((String) -> PodContainer?)?
        public var problems: [String]
    }

    public func fetch() -> Result {
        let credentials: KubeCredentials
        do {
            credentials = try KubeCredentials.load(
                kubeconfig: kubeconfig, context: nil, environment: ProcessInfo.processInfo.environment)
        } catch let error as KubeError where error.kind == .noCredentials && kubeconfig == nil {
            return Result(lookup: nil, problems: [])  // not a Kubernetes node: nothing to ask
        } catch {
            return Result(lookup: nil, problems: ["kubernetes: \(error)"])
        }
        let node = self.node
        let outcome = BlockingTask.run {
            try await KubeClient.withClient(credentials) { try await $0.pods(onNode: node) }
        }
        switch outcome {
        case .success(let pods):
            return Result(lookup: { pods.container(id: $0) }, problems: [])
        case .failure(let error):
            return Result(lookup: nil, problems: ["kubernetes: \(error)"])
        }
    }
}

extension KubernetesLookup {
    public static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Runs async work to completion from synchronous code (the CLI's commands
/// are synchronous; only the Kubernetes client is async).
enum BlockingTask {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, Error> {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
            done.signal()
        }
        done.wait()
        return box.value!
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var value: Result<T, Error>?
    }
}
