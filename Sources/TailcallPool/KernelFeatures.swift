import BPFObjects
import CTailtrace
import Glibc

/// What the running kernel offers the BPF programs, probed (never guessed
/// from the version string: distributions backport features) by loading
/// tiny test programs through libbpf, and the program variant that follows.
public struct KernelFeatures: Sendable, Equatable {
    /// /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF): CO-RE and tp_btf need it.
    public var btf: Bool
    /// bpf_probe_read_kernel (5.5), the oldest helper both variants use.
    public var probeReadKernel: Bool
    /// bpf_per_cpu_ptr (5.10): stands for the 5.10 verifier, the first to
    /// allow tail calls from programs with BPF-to-BPF calls on x86-64 (the
    /// dispatcher makes both).
    public var kernel510: Bool
    /// bpf_get_current_task_btf (5.11): a typed task pointer.
    public var currentTaskBTF: Bool
    /// bpf_loop (5.17).
    public var loop: Bool

    public init(btf: Bool, probeReadKernel: Bool, kernel510: Bool, currentTaskBTF: Bool, loop: Bool) {
        self.btf = btf
        self.probeReadKernel = probeReadKernel
        self.kernel510 = kernel510
        self.currentTaskBTF = currentTaskBTF
        self.loop = loop
    }

    /// The running kernel's release (`uname -r`), for messages.
    public static var release: String {
        var uts = utsname()
        uname(&uts)
        return withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Probes the running kernel (needs CAP_BPF; a few ms).
    public static func probe() -> KernelFeatures {
        BPFLog.start()  // libbpf's probes print nothing we keep
        func helper(_ id: bpf_func_id) -> Bool {
            // raw tracepoint programs get every tracing helper and load without attach BTF
            libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, id, nil) == 1
        }
        return KernelFeatures(
            btf: access("/sys/kernel/btf/vmlinux", R_OK) == 0,
            probeReadKernel: helper(BPF_FUNC_probe_read_kernel),
            kernel510: helper(BPF_FUNC_per_cpu_ptr),
            currentTaskBTF: helper(BPF_FUNC_get_current_task_btf),
            loop: helper(BPF_FUNC_loop))
    }

    /// The variant to load, and why; or what the kernel lacks. `asked`
    /// forces a variant (`install --bpf-variant`), if the kernel can run it.
    public func choice(asked: BPFVariant? = nil) -> Result<VariantChoice, KernelTooOld> {
        if !btf {
            return .failure(KernelTooOld(missing: "BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF=y)"))
        }
        if !probeReadKernel || !kernel510 {
            return .failure(
                KernelTooOld(missing: "the BPF features of Linux 5.10 (bpf_probe_read_kernel, bpf_per_cpu_ptr)"))
        }
        let missing = [currentTaskBTF ? nil : "bpf_get_current_task_btf (5.11)", loop ? nil : "bpf_loop (5.17)"]
            .compactMap { $0 }
        switch asked {
        case .core: return .success(VariantChoice(variant: .core, reason: "asked for with --bpf-variant"))
        case .btf where !missing.isEmpty:
            return .failure(KernelTooOld(missing: missing.joined(separator: " and ") + ", which the btf variant needs"))
        case .btf: return .success(VariantChoice(variant: .btf, reason: "asked for with --bpf-variant"))
        case nil where missing.isEmpty:
            return .success(VariantChoice(variant: .btf, reason: "bpf_get_current_task_btf and bpf_loop present"))
        case nil: return .success(VariantChoice(variant: .core, reason: "no " + missing.joined(separator: ", no ")))
        }
    }
}

public struct VariantChoice: Sendable, Equatable {
    public var variant: BPFVariant
    public var reason: String
}

/// The kernel lacks what every variant needs: one line, nothing installed.
public struct KernelTooOld: Error, CustomStringConvertible, Sendable, Equatable {
    public let missing: String
    public var description: String {
        return "kernel \(KernelFeatures.release) lacks \(missing); tailtrace needs Linux 5.10 or later with BTF"
    }
}
