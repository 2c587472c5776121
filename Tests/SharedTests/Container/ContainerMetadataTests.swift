import Testing

@testable import Shared

@Suite struct ContainerMetadataTests {
    /// A containers/storage root in a temp dir, shaped like podman's.
    private func podmanStorage() throws -> (TemporaryDirectory, bundle: String) {
        let root = TemporaryDirectory()
        try root.write(Fixtures.podmanContainersJSON, to: "overlay-containers/containers.json")
        try root.write(
            Fixtures.podmanConfig, to: "overlay-containers/\(Fixtures.podmanID)/userdata/config.json")
        return (root, root.path + "/overlay-containers/\(Fixtures.podmanID)/userdata")
    }

    @Test func podmanNameComesFromContainersJSON() throws {
        let (root, bundle) = try podmanStorage()
        let state = try OCIState(json: bytes(Fixtures.podmanPrestartState))
        let metadata = ContainerMetadata.derive(
            id: state.id, annotations: state.annotations, bundle: bundle)
        #expect(metadata.name == "tt-capture")
        #expect(metadata.runtime == .podman)
        #expect(metadata.namespace == nil && metadata.pod == nil && metadata.container == nil)
        #expect(metadata.tailtraceAnnotations == ["io.tailtrace.trace": "true"])
        _ = root
    }

    /// At poststop podman passes neither a name nor io.container.manager.
    @Test func podmanPoststopStillFindsTheName() throws {
        let (root, bundle) = try podmanStorage()
        let state = try OCIState(json: bytes(Fixtures.podmanPoststopState))
        let metadata = ContainerMetadata.derive(
            id: state.id, annotations: state.annotations, bundle: bundle)
        #expect(metadata.name == "tt-capture")
        #expect(metadata.runtime == .podman)
        _ = root
    }

    @Test func containersJSONPathIsDerivedFromTheBundleShape() {
        let id = Fixtures.podmanID
        #expect(
            ContainersStorage.containersJSONPath(
                bundle: "/var/lib/containers/storage/overlay-containers/\(id)/userdata", id: id)
                == "/var/lib/containers/storage/overlay-containers/containers.json")
        #expect(
            ContainersStorage.containersJSONPath(
                bundle: "/run/containerd/io.containerd.runtime.v2.task/default/\(id)", id: id)
                == nil)
        #expect(
            ContainersStorage.containersJSONPath(bundle: "/s/overlay-containers/other/userdata", id: id)
                == nil)
    }

    @Test func containersJSONProblemsGiveNoName() throws {
        let id = Fixtures.podmanID
        #expect(ContainersStorage.name(ofContainer: id, containersJSON: bytes("not json")) == nil)
        #expect(
            ContainersStorage.name(ofContainer: id, containersJSON: bytes(#"[{"id":"x","names":["a"]}]"#))
                == nil)
        #expect(
            ContainersStorage.name(
                ofContainer: "x", containersJSON: bytes(#"[{"id":"x","names":["../evil"]}]"#)) == nil)
        #expect(
            ContainersStorage.name(ofContainer: "x", containersJSON: bytes(#"[{"id":"x"}]"#)) == nil)
        let (root, bundle) = try podmanStorage()
        #expect(ContainersStorage.name(ofContainer: id, bundle: bundle, limit: 64) == nil)  // over the bound
        #expect(ContainersStorage.name(ofContainer: id, bundle: bundle) == "tt-capture")
        _ = root
    }

    @Test func crio() throws {
        let config = try OCIBundleConfig(json: bytes(Fixtures.crioConfig))
        let metadata = ContainerMetadata.derive(id: Fixtures.crioID, annotations: config.annotations)
        #expect(metadata.runtime == .crio)
        #expect(
            metadata.name == "k8s_nginx_web-7c5ddbdf54-2x8kq_shop_5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44_0")
        #expect(metadata.namespace == "shop")
        #expect(metadata.pod == "web-7c5ddbdf54-2x8kq")
        #expect(metadata.podUID == Fixtures.crioPodUID)
        #expect(metadata.container == "nginx")
        #expect(metadata.labels["io.kubernetes.pod.namespace"] == "shop")
        #expect(metadata.labels.count == 4)
        #expect(!metadata.isSandbox)
    }

    /// Older CRI-O: only the Labels JSON carries the pod fields.
    @Test func crioFromLabelsOnly() {
        let labels =
            #"{"io.kubernetes.container.name":"app","io.kubernetes.pod.name":"p","io.kubernetes.pod.namespace":"ns","io.kubernetes.pod.uid":"u-1","app":"web"}"#
        let metadata = ContainerMetadata.derive(
            id: "abc",
            annotations: [
                "io.kubernetes.cri-o.ContainerType": "container", "io.kubernetes.cri-o.Labels": labels,
            ])
        #expect(metadata.runtime == .crio)
        #expect(metadata.name == "app")
        #expect(metadata.pod == "p" && metadata.namespace == "ns" && metadata.podUID == "u-1")
        #expect(metadata.labels["app"] == "web")
        let broken = ContainerMetadata.derive(
            id: "abcdef0123456789",
            annotations: [
                "io.kubernetes.cri-o.ContainerType": "container", "io.kubernetes.cri-o.Labels": "{",
            ])
        #expect(broken.labels.isEmpty)
        #expect(broken.name == "abcdef012345")
    }

    @Test func crioSandbox() {
        let metadata = ContainerMetadata.derive(
            id: Fixtures.crioSandboxID,
            annotations: [
                "io.kubernetes.cri-o.ContainerType": "sandbox",
                "io.kubernetes.cri-o.ContainerName":
                    "k8s_POD_web-7c5ddbdf54-2x8kq_shop_5d0c9d37-7b5f-4c39-9b0e-0f2b6a8d1e44_0",
                "io.kubernetes.cri-o.Labels":
                    #"{"app":"web","io.kubernetes.container.name":"POD","io.kubernetes.pod.name":"web-7c5ddbdf54-2x8kq"}"#,
            ])
        #expect(metadata.isSandbox)
        #expect(metadata.container == nil)
        #expect(metadata.name.hasPrefix("k8s_POD_"))
        #expect(metadata.labels["app"] == "web")
    }

    @Test func podmanIsNotMistakenForCRIO() throws {
        // podman sets io.kubernetes.cri-o.Created and .TTY too.
        let state = try OCIState(json: bytes(Fixtures.podmanPrestartState))
        #expect(
            ContainerMetadata.derive(id: state.id, annotations: state.annotations).runtime == .podman)
    }

    @Test func containerdCRI() throws {
        let config = try OCIBundleConfig(json: bytes(Fixtures.containerdConfig))
        let metadata = ContainerMetadata.derive(
            id: Fixtures.containerdID, annotations: config.annotations)
        #expect(metadata.runtime == .containerd)
        #expect(metadata.name == "redis")
        #expect(metadata.container == "redis")
        #expect(metadata.pod == "cache-0")
        #expect(metadata.namespace == "data")
        #expect(metadata.podUID == "0c3e0a9e-2b4b-4df1-8d9a-9e1c6b2f7a10")
        #expect(metadata.labels.isEmpty)

        let sandbox = try OCIBundleConfig(json: bytes(Fixtures.containerdSandboxConfig))
        let pause = ContainerMetadata.derive(id: "0e8d5bd3fbd1", annotations: sandbox.annotations)
        #expect(pause.isSandbox && pause.container == nil && pause.name == "cache-0")
    }

    @Test func ctrRunIsNamedByItsCgroup() {
        let metadata = ContainerMetadata.derive(
            id: "myctr", annotations: [:], cgroupPath: "/default/myctr")
        #expect(metadata.runtime == .containerd)
        #expect(metadata.name == "myctr")
    }

    @Test func unknownRuntimeGetsTheShortID() {
        let metadata = ContainerMetadata.derive(id: Fixtures.crioID, annotations: ["x": "y"])
        #expect(metadata.runtime == .oci)
        #expect(metadata.name == "3b0a3ee3a4a1")
    }

    @Test func badKubernetesTextIsDropped() {
        let metadata = ContainerMetadata.derive(
            id: "abc",
            annotations: [
                "io.kubernetes.cri.container-name": "bad/name\n",
                "io.kubernetes.cri.sandbox-name": "p\u{1b}[31m",
                "io.kubernetes.cri.sandbox-namespace": String(repeating: "n", count: 300),
            ])
        #expect(metadata.name == "abc")
        #expect(metadata.container == nil && metadata.pod == nil && metadata.namespace == nil)
    }

    @Test func tracePolicy() {
        #expect(
            TracePolicy(annotations: [:]) == TracePolicy(annotations: ["io.tailtrace.trace": "false"]))
        #expect(!TracePolicy(annotations: [:]).trace)
        #expect(TracePolicy(annotations: ["io.tailtrace.trace": "TRUE"]).trace)
        #expect(!TracePolicy(annotations: ["io.tailtrace.trace": "yes"]).trace)
        let strict = TracePolicy(annotations: ["io.tailtrace.required": "true"])
        #expect(strict.trace && strict.required)
        #expect(!TracePolicy(annotations: ["io.tailtrace.trace": "true"]).required)
    }
}
