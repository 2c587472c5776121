import Glibc
import Testing

@testable import Shared

@Suite struct OCIBundleConfigTests {
    @Test func podmanConfig() throws {
        let config = try OCIBundleConfig(json: bytes(Fixtures.podmanConfig))
        #expect(config.annotations["io.container.manager"] == "libpod")
        #expect(config.cgroupsPath == "/libpod_parent/libpod-\(Fixtures.podmanID)")
        #expect(config.hostname == "979c5931c781")
        #expect(config.args == ["/bin/true"])
    }

    @Test func crioConfig() throws {
        let config = try OCIBundleConfig(json: bytes(Fixtures.crioConfig))
        #expect(config.cgroupsPath?.hasSuffix(":crio:\(Fixtures.crioID)") == true)
        #expect(config.hostname == "web-7c5ddbdf54-2x8kq")
        #expect(config.args == ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"])
        #expect(config.annotations["io.kubernetes.cri-o.ContainerType"] == "container")
    }

    @Test func containerdConfigs() throws {
        let config = try OCIBundleConfig(json: bytes(Fixtures.containerdConfig))
        #expect(config.hostname == nil)
        #expect(config.args.first == "redis-server")
        let sandbox = try OCIBundleConfig(json: bytes(Fixtures.containerdSandboxConfig))
        #expect(sandbox.annotations["io.kubernetes.cri.container-type"] == "sandbox")
    }

    @Test func configWithoutOptionalParts() throws {
        let config = try OCIBundleConfig(
            json: bytes(#"{"ociVersion":"1.0.2","linux":{"cgroupsPath":""}}"#))
        #expect(config == (try OCIBundleConfig()))
    }

    @Test(arguments: [
        (#"{"annotations":["a"]}"#, "field \"annotations\""),
        (#"{"linux":{"cgroupsPath":7}}"#, "field \"linux.cgroupsPath\": expected String"),
        (#"{"process":{"args":"sh -c x"}}"#, "field \"process.args\""),
        (#"{"process":{"args":["sh",null]}}"#, "field \"process.args[1]\""),
        (#"{"linux":{"cgroupsPath":"/a\u0000b"}}"#, "bad linux.cgroupsPath"),
        ("{", "config.json"),
    ])
    func rejects(json: String, expected: String) {
        do {
            _ = try OCIBundleConfig(json: bytes(json))
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".hasPrefix("config.json: "), "\(error)")
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func loadsFromTheBundleWithASizeBound() throws {
        let bundle = TemporaryDirectory()
        try bundle.write(Fixtures.crioConfig, to: "config.json")
        #expect(try OCIBundleConfig.load(bundle: bundle.path).hostname == "web-7c5ddbdf54-2x8kq")
        #expect(throws: ContainerInputError.self) {
            try OCIBundleConfig.load(bundle: bundle.path, limit: 100)
        }
        let empty = TemporaryDirectory()
        #expect(throws: FileSystemError.self) { try OCIBundleConfig.load(bundle: empty.path) }
        // A FIFO in place of config.json is refused, not waited on.
        #expect(mkfifo(empty.path + "/config.json", 0o600) == 0)
        #expect(throws: ContainerInputError.self) { try OCIBundleConfig.load(bundle: empty.path) }
    }
}
