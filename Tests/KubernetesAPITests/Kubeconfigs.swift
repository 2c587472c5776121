import Foundation

@testable import TestSupport

/// Writes kubeconfig YAML the way kubectl does (clusters/contexts/users lists).
enum Kubeconfigs {
    static func yaml(
        server: String, cluster: [String] = [], user: [String] = [], contextName: String = "test",
        currentContext: String? = "test"
    ) -> String {
        func block(_ lines: [String]) -> String {
            lines.map { "    \($0)" }.joined(separator: "\n")
        }
        return """
            apiVersion: v1
            kind: Config
            preferences: {}
            \(currentContext.map { "current-context: \($0)" } ?? "")
            clusters:
            - name: test-cluster
              cluster:
                server: \(server)
            \(block(cluster))
            contexts:
            - name: \(contextName)
              context:
                cluster: test-cluster
                user: test-user
                namespace: default
            users:
            - name: test-user
              user:
            \(block(user))

            """
    }

    static func base64(_ path: String) throws -> String {
        try Data(contentsOf: URL(fileURLWithPath: path)).base64EncodedString()
    }
}
