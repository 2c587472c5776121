import Foundation

@testable import TestSupport

/// Pods shaped like a real kube-apiserver answer (spec, managedFields,
/// conditions...), so the decoder is tested against the fields it must skip.
enum PodFixtures {
    static func containerID(_ n: Int) -> String {
        // 64 hex digits, like containerd and CRI-O ids.
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    static func pod(
        name: String, namespace: String, uid: String, node: String, labels: [String: String] = [:],
        containers: [(name: String, id: String?)], initContainers: [(name: String, id: String?)] = [],
        ephemeralContainers: [(name: String, id: String?)] = [], previousIDs: [String: String] = [:]
    ) -> [String: Any] {
        func statuses(_ list: [(name: String, id: String?)]) -> [[String: Any]] {
            list.map { container in
                var status: [String: Any] = [
                    "name": container.name, "image": "docker.io/library/busybox:1.36",
                    "imageID": "docker.io/library/busybox@sha256:" + containerID(7),
                    "ready": container.id != nil, "restartCount": previousIDs[container.name] == nil ? 0 : 1,
                    "started": container.id != nil,
                    "state": container.id != nil
                        ? ["running": ["startedAt": "2024-05-01T10:00:00Z"]]
                        : ["waiting": ["reason": "ContainerCreating"]],
                ]
                if let id = container.id { status["containerID"] = id }
                if let previous = previousIDs[container.name] {
                    status["lastState"] = [
                        "terminated": [
                            "exitCode": 139, "reason": "Error", "containerID": previous,
                            "startedAt": "2024-05-01T09:00:00Z", "finishedAt": "2024-05-01T09:59:59Z",
                        ]
                    ]
                } else {
                    status["lastState"] = [String: Any]()
                }
                return status
            }
        }
        var status: [String: Any] = [
            "phase": "Running", "hostIP": "10.0.0.5", "podIP": "10.244.1.7",
            "podIPs": [["ip": "10.244.1.7"]], "qosClass": "BestEffort", "startTime": "2024-05-01T10:00:00Z",
            "conditions": [
                [
                    "type": "Ready", "status": "True", "lastProbeTime": NSNull(),
                    "lastTransitionTime": "2024-05-01T10:00:01Z",
                ]
            ],
            "containerStatuses": statuses(containers),
        ]
        if !initContainers.isEmpty { status["initContainerStatuses"] = statuses(initContainers) }
        if !ephemeralContainers.isEmpty { status["ephemeralContainerStatuses"] = statuses(ephemeralContainers) }
        return [
            "metadata": [
                "name": name, "namespace": namespace, "uid": uid, "resourceVersion": "4711",
                "creationTimestamp": "2024-05-01T10:00:00Z", "generateName": "\(name)-",
                "labels": labels,
                "annotations": ["kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"],
                "ownerReferences": [
                    [
                        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "\(name)-rs", "uid": "owner-uid",
                        "controller": true,
                    ]
                ],
                "managedFields": [
                    [
                        "manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                        "time": "2024-05-01T10:00:01Z", "fieldsType": "FieldsV1",
                        "fieldsV1": ["f:status": ["f:conditions": ["k:{\"type\":\"Ready\"}": ["f:status": [:]]]]],
                        "subresource": "status",
                    ]
                ],
            ],
            "spec": [
                "nodeName": node, "restartPolicy": "Always", "serviceAccountName": "default",
                "containers": containers.map { container in
                    [
                        "name": container.name, "image": "busybox:1.36", "command": ["sleep", "3600"],
                        "resources": [String: Any](), "imagePullPolicy": "IfNotPresent",
                        "volumeMounts": [
                            [
                                "name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                "readOnly": true,
                            ]
                        ],
                    ] as [String: Any]
                },
                "tolerations": [
                    [
                        "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                        "tolerationSeconds": 300,
                    ]
                ],
            ],
            "status": status,
        ]
    }

    static func podList(_ pods: [[String: Any]], resourceVersion: String = "12345") throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "kind": "PodList", "apiVersion": "v1", "metadata": ["resourceVersion": resourceVersion], "items": pods,
        ])
    }

    /// `count` real-shaped pods with two containers each ("main" with id 2n,
    /// "sidecar" with id 2n+1), built from one serialized pod by substitution:
    /// serializing 10,000 dictionaries takes seconds in a debug build.
    static func manyPods(_ count: Int, node: String) throws -> Data {
        let template = pod(
            name: "~~NAME~~", namespace: "~~NS~~", uid: "~~UID~~", node: node,
            labels: ["app": "~~APP~~", "pod-template-hash": "5d8f9c"],
            containers: [("main", "containerd://~~MAIN~~"), ("sidecar", "containerd://~~SIDECAR~~")])
        // Odd parts are marker names, even parts literal JSON.
        let parts = String(decoding: try JSONSerialization.data(withJSONObject: template), as: UTF8.self)
            .components(separatedBy: "~~")
        var out = #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"777"},"items":["#
        out.reserveCapacity(count * (parts.reduce(0) { $0 + $1.utf8.count } + 200))
        for n in 0..<count {
            if n > 0 { out += "," }
            for (index, part) in parts.enumerated() {
                guard index % 2 == 1 else {
                    out += part
                    continue
                }
                switch part {
                case "NAME": out += "pod-\(n)"
                case "NS": out += "ns-\(n % 50)"
                case "UID": out += "uid-\(n)"
                case "APP": out += "app-\(n % 100)"
                case "MAIN": out += containerID(2 * n)
                default: out += containerID(2 * n + 1)
                }
            }
        }
        out += "]}"
        return Data(out.utf8)
    }

    /// Two nodes: node-a runs "web" (containerd, with an init container, an
    /// ephemeral debug container and a restarted sidecar) and "cache" (CRI-O);
    /// node-b runs "db" (docker).
    static func twoNodes() throws -> Data {
        try podList([
            pod(
                name: "web-7d9f", namespace: "shop", uid: "11111111-aaaa-4bbb-8ccc-000000000001", node: "node-a",
                labels: ["app": "web", "tier": "frontend"],
                containers: [
                    ("nginx", "containerd://" + containerID(1)), ("sidecar", "containerd://" + containerID(2)),
                    ("starting", nil),
                ],
                initContainers: [("migrate", "containerd://" + containerID(3))],
                ephemeralContainers: [("debugger", "containerd://" + containerID(4))],
                previousIDs: ["sidecar": "containerd://" + containerID(5)]),
            pod(
                name: "cache-0", namespace: "infra", uid: "11111111-aaaa-4bbb-8ccc-000000000002", node: "node-a",
                labels: ["app": "cache"], containers: [("redis", "cri-o://" + containerID(6))]),
            pod(
                name: "db-0", namespace: "shop", uid: "11111111-aaaa-4bbb-8ccc-000000000003", node: "node-b",
                labels: ["app": "db"], containers: [("postgres", "docker://" + containerID(8))]),
        ])
    }
}
