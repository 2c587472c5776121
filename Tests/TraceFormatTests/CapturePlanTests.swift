import CTailtrace
import Foundation
import Shared
import Testing

@testable import TraceFormat

/// The capture plan (Sources/Shared/CapturePlan.swift) against the two
/// other sources of syscall knowledge: libseccomp's numbers and the
/// kernel's own argument types in tracefs.
@Suite struct CapturePlanTests {
    /// The tracefs event of a syscall name, as the formatter finds it.
    static func event(_ name: String) -> String { SyscallAliases.native[name] ?? name }

    static let pointerTypes = [
        "char *", "const char *", "struct sockaddr *", "struct iovec *", "const struct iovec *",
        "struct user_msghdr *", "void *", "const void *", "unsigned char *",
    ]

    @Test func everyPlannedNameIsASyscall() {
        var catalog = TracefsCatalog()
        for plan in CapturePlan.all {
            let known =
                SyscallTable.number(named: plan.syscall, arch: .x86_64) != nil
                || SyscallTable.number(named: plan.syscall, arch: .i386) != nil
                || catalog.format(forSyscall: Self.event(plan.syscall)) != nil
            #expect(known, "\(plan.syscall) is no syscall libseccomp or this kernel knows")
        }
        let names = CapturePlan.all.map(\.syscall)
        #expect(Set(names).count == names.count, "a syscall has two plans")
    }

    @Test func tableIsIndexedByNumberPerArchitecture() throws {
        let table = CapturePlan.resolvedTable()
        #if arch(x86_64)
            let openat = try #require(table[257])
            #expect(openat.enter.0.kind == UInt8(TT_CAP_STRING.rawValue))
            #expect(openat.enter.0.arg == 1)
            #expect(openat.exit.0.kind == 0)
            let compatOpenat = try #require(table[Int(TT_PLAN_COMPAT_BASE) + 295])
            #expect(compatOpenat.enter.0.arg == 1)
            let accept = try #require(table[43])
            #expect(accept.exit.0.kind == UInt8(TT_CAP_SOCKADDR.rawValue))
            #expect(accept.exit.0.len == UInt8(8 + 2), "addrlen is what argument 2 points to")
            #expect(table[39] == nil, "getpid captures nothing")
        #endif
        #expect(table.keys.allSatisfy { $0 >= 0 && $0 < Int(TT_PLAN_ENTRIES) })
    }

    /// Each capture reads the argument the kernel declares with that type:
    /// a string from a char pointer, an address from a sockaddr pointer...
    @Test func capturesMatchTheKernelsArgumentTypes() throws {
        var catalog = TracefsCatalog()
        guard catalog.root != nil else {
            print("skipped: tracefs is not mounted, so the kernel's argument types cannot be read")
            return
        }
        for plan in CapturePlan.all {
            guard let format = catalog.format(forSyscall: Self.event(plan.syscall)) else { continue }
            for capture in plan.enter + plan.exit {
                let field = try #require(
                    format.args.indices.contains(capture.arg) ? format.args[capture.arg] : nil,
                    "\(plan.syscall) has no argument \(capture.arg)")
                let type = field.type
                switch capture.kind {
                case .string, .argv: #expect(type.contains("char"), "\(plan.syscall).\(field.name) is \(type)")
                case .buffer: #expect(type.hasSuffix("*"), "\(plan.syscall).\(field.name) is \(type)")
                case .sockaddr: #expect(type.contains("sockaddr"), "\(plan.syscall).\(field.name) is \(type)")
                case .iovec: #expect(type.contains("iovec"), "\(plan.syscall).\(field.name) is \(type)")
                case .msghdr: #expect(type.contains("msghdr"), "\(plan.syscall).\(field.name) is \(type)")
                }
                switch capture.length {
                case .arg(let n), .pointedBy(let n):
                    #expect(format.args.indices.contains(n), "\(plan.syscall) has no length argument \(n)")
                case .none, .ret: break
                }
            }
        }
    }

    /// Every syscall of this kernel with a path, buffer, address or vector
    /// argument has a plan, or is listed with the reason it has none.
    @Test func everyDataArgumentIsPlannedOrListed() throws {
        guard let root = TracefsCatalog.discoverRoot() else {
            print("skipped: tracefs is not mounted, so the kernel's syscall list cannot be read")
            return
        }
        var catalog = TracefsCatalog(root: root)
        let planned = Set(CapturePlan.all.map { Self.event($0.syscall) })
        let listed = Set(CapturePlan.uncaptured.keys.map { String($0.split(separator: ".")[0]) })
        let events = try FileManager.default.contentsOfDirectory(atPath: root + "/events/syscalls")
        var missing: [String] = []
        for event in events.sorted() where event.hasPrefix("sys_enter_") {
            let name = String(event.dropFirst("sys_enter_".count))
            guard let format = catalog.format(forSyscall: name) else { continue }
            let data = format.args.filter { f in Self.pointerTypes.contains { f.type == $0 || f.type == $0 + "const" } }
            let native = SyscallAliases.native.first { $0.value == name }?.key ?? name
            if !data.isEmpty && !planned.contains(name) && !listed.contains(native) && !listed.contains(name) {
                missing.append("\(name)(\(data.map(\.name).joined(separator: ", ")))")
            }
        }
        #expect(missing.isEmpty, "no capture plan and not listed as uncaptured: \(missing)")
    }
}
