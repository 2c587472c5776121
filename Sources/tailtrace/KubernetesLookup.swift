import Foundation
import KubernetesAPI
import Reconcile
import Shared
import TailcallPool

/// The pods of this node, fetched once per reconcile pass. Without
/// credentials, reconcile does the runtime part only and says so once.
struct KubernetesLookup {
    let kubeconfig: String?
    let node: String

    struct Result {
        var lookup: ((String) -> KubernetesIdentity?)?
        var problems: [String]
    }

    func fetch() -> Result {
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
            return Result(
                lookup: { id in
                    pods.container(id: id).map {
                        KubernetesIdentity(
                            namespace: $0.namespace, pod: $0.pod, podUID: $0.podUID, container: $0.container,
                            labels: $0.labels)
                    }
                }, problems: [])
        case .failure(let error):
            return Result(lookup: nil, problems: ["kubernetes: \(error)"])
        }
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
