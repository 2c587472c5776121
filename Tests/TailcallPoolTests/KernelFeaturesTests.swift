import BPFObjects
import CTailtrace
import Glibc
import XCTest

@testable import TailcallPool

/// Which program variant a kernel gets, from its probed features; the
/// verifier's reason picked out of libbpf's log; the key mode of a host.
final class KernelFeaturesTests: XCTestCase {
    func features(
        btf: Bool = true, probeReadKernel: Bool = true, kernel510: Bool = true, currentTaskBTF: Bool = true,
        loop: Bool = true
    ) -> KernelFeatures {
        KernelFeatures(
            btf: btf, probeReadKernel: probeReadKernel, kernel510: kernel510, currentTaskBTF: currentTaskBTF, loop: loop
        )
    }

    /// The decision table, one row per kernel generation of the matrix.
    func testVariantDecisionTable() throws {
        // 5.17 and later (6.1, 6.12, 6.18): the fast path.
        XCTAssertEqual(try features().choice().get().variant, .btf)
        // 5.11-5.16: a typed task pointer but no bpf_loop.
        let noLoop = try features(loop: false).choice().get()
        XCTAssertEqual(noLoop.variant, .core)
        XCTAssertEqual(noLoop.reason, "no bpf_loop (5.17)")
        // 5.10: neither.
        let k510 = try features(currentTaskBTF: false, loop: false).choice().get()
        XCTAssertEqual(k510.variant, .core)
        XCTAssertEqual(k510.reason, "no bpf_get_current_task_btf (5.11), no bpf_loop (5.17)")
        // Below 5.10, or without BTF: nothing loads; one line says what is missing.
        XCTAssertThrowsError(try features(kernel510: false, currentTaskBTF: false, loop: false).choice().get()) {
            XCTAssertTrue("\($0)".contains("Linux 5.10"), "\($0)")
        }
        XCTAssertThrowsError(try features(btf: false).choice().get()) {
            XCTAssertTrue("\($0)".contains("CONFIG_DEBUG_INFO_BTF"), "\($0)")
        }
    }

    func testAskedVariant() throws {
        XCTAssertEqual(try features().choice(asked: .core).get().variant, .core)
        XCTAssertEqual(try features(currentTaskBTF: false, loop: false).choice(asked: .core).get().variant, .core)
        XCTAssertThrowsError(try features(loop: false).choice(asked: .btf).get()) {
            XCTAssertTrue("\($0)".contains("bpf_loop (5.17)"), "\($0)")
        }
    }

    /// What the running kernel really offers: every variant this kernel is
    /// new enough for must be found (the host runs 5.17+ in CI).
    func testProbeOfThisKernel() throws {
        try XCTSkipUnless(geteuid() == 0, "probes load BPF programs: root only")
        let found = KernelFeatures.probe()
        XCTAssertTrue(found.btf && found.probeReadKernel && found.kernel510)
        let release = KernelFeatures.release
        let version = release.split(separator: ".").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
        if version.count == 2, version[0] > 5 || (version[0] == 5 && version[1] >= 17) {
            XCTAssertEqual(try found.choice().get().variant, .btf, "\(release): \(found)")
        }
    }

    /// libbpf's log of the 5.10 verifier refusing the btf variant's dispatcher.
    func testVerifierReasonIsPickedFromTheLog() {
        let log = """
            libbpf: prog 'tt_dispatch_enter': BPF program load failed: Invalid argument
            libbpf: prog 'tt_dispatch_enter': -- BEGIN PROG LOAD LOG --
            func#0 @0
            0: R1=ctx(id=0,off=0,imm=0) R10=fp0
            ; return bpf_get_current_task_btf();
            1: (85) call unknown#158
            invalid func unknown#158
            verification time 437 usec
            stack depth 0+0
            processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
            -- END PROG LOAD LOG --
            libbpf: prog 'tt_dispatch_enter': failed to load: -22
            libbpf: failed to load object 'dispatcher'

            """
        let error = BPFLoadError(object: "dispatcher", variant: .btf, errno: EINVAL, log: log)
        XCTAssertEqual(error.program, "tt_dispatch_enter")
        XCTAssertEqual(
            error.reason,
            ["; return bpf_get_current_task_btf();", "1: (85) call unknown#158", "invalid func unknown#158"])
        let text = error.description
        XCTAssertTrue(
            text.contains("refused BPF dispatcher program tt_dispatch_enter (btf variant): Invalid argument"), text)
        XCTAssertTrue(text.contains("verifier: invalid func unknown#158"), text)
        XCTAssertTrue(text.contains("TAILTRACE_DEBUG=1"), text)
    }

    /// Without a verifier log (e.g. a map creation failed) the last messages stand in.
    func testLoadErrorWithoutVerifierLog() {
        let error = BPFLoadError(
            object: "recorder", variant: .core, errno: EPERM,
            log:
                "libbpf: map 'ring': failed to create: Operation not permitted(-1)\nlibbpf: failed to load object 'recorder'\n"
        )
        XCTAssertNil(error.program)
        XCTAssertEqual(
            error.reason,
            ["map 'ring': failed to create: Operation not permitted(-1)", "failed to load object 'recorder'"])
    }

    /// cgroup v1 only: keyed by mount namespace, with a line saying so.
    func testKeyModeFollowsTheHost() throws {
        XCTAssertEqual(try Installation.keyMode(asked: nil, cgroup2Mounted: true).0, .cgroup)
        let v1 = try Installation.keyMode(asked: nil, cgroup2Mounted: false)
        XCTAssertEqual(v1.0, .mntns)
        XCTAssertNotNil(v1.note)
        XCTAssertEqual(try Installation.keyMode(asked: .mntns, cgroup2Mounted: true).0, .mntns)
        XCTAssertThrowsError(try Installation.keyMode(asked: .cgroup, cgroup2Mounted: false))
    }

    /// Both compiled variants of each object offer the interface generated
    /// from the first (bpf-embed refuses a build where they differ): checked
    /// again here with libbpf on the embedded bytes.
    func testEveryVariantHasTheGeneratedInterface() throws {
        func check<Spec: BPFObjectSpec>(_: Spec.Type) throws {
            for variant in BPFVariant.allCases {
                let object = try BPFProgramObject<Spec>(variant)
                for map in Spec.Map.allCases {
                    XCTAssertNotNil(
                        bpf_object__find_map_by_name(object.handle, map.rawValue), "\(Spec.name).\(variant) \(map)")
                }
                for program in Spec.Program.allCases {
                    XCTAssertNotNil(
                        bpf_object__find_program_by_name(object.handle, program.rawValue),
                        "\(Spec.name).\(variant) \(program)")
                }
            }
        }
        try check(DispatcherBPF.self)
        try check(RecorderBPF.self)
    }
}
