import BPFObjects
import CTailtrace
import Glibc
import Testing

@testable import TailcallPool

/// The parts of loading a copy that need no kernel: where its functions
/// start, and how a refused copy is reported. (Copies on the kernel:
/// RecorderTests.testCopiedModulesRunTheFirstsProgramsOnRingsOfTheirOwn.)
@Suite struct BPFObjectImageTests {
    typealias Image = BPFObjectImage<RecorderBPF>

    func insn(_ code: Int32, src: Int32 = 0, imm: Int32 = 0) -> bpf_insn {
        var i = bpf_insn()
        i.code = UInt8(code)
        i.src_reg = UInt8(src)
        i.imm = imm
        return i
    }

    /// A program, a BPF-to-BPF call to the function at 4, and a callback
    /// reference (ld_imm64 of a function, in two instructions) to the one at 7.
    var instructions: [bpf_insn] {
        [
            insn(BPF_ALU64 | BPF_MOV | BPF_K),
            insn(BPF_JMP | BPF_CALL, src: BPF_PSEUDO_CALL, imm: 2),
            insn(BPF_LD | BPF_IMM | BPF_DW, src: BPF_PSEUDO_FUNC, imm: 4), insn(0),
            insn(BPF_JMP | BPF_EXIT),
            insn(BPF_JMP | BPF_CALL, src: BPF_PSEUDO_CALL, imm: -6),  // a call to 0, the main function: no new one
            insn(BPF_JMP | BPF_EXIT),
            insn(BPF_JMP | BPF_CALL, imm: 1),  // a helper call: no function
            insn(BPF_JMP | BPF_EXIT),
        ]
    }

    /// The kernel's types, in order, at the starts in the instructions given
    /// (the kernel reports starts in the instructions it rewrote).
    @Test func functionsStartWhereTheVerifierSaysTheyDo() throws {
        let kernel = [(3, 10), (9, 20), (15, 30)].map { bpf_func_info(insn_off: $0, type_id: $1) }
        let functions = try Image.functions(kernel, startingIn: instructions, name: .ttRecordExit)
        #expect(functions.map(\.insn_off) == [0, 4, 7])
        #expect(functions.map(\.type_id) == [10, 20, 30])
        #expect(try Image.functions([], startingIn: instructions, name: .ttRecordExit).isEmpty)
    }

    @Test func aFunctionCountOtherThanTheKernelsIsRefused() {
        let two = [bpf_func_info(insn_off: 0, type_id: 1), bpf_func_info(insn_off: 5, type_id: 2)]
        #expect(throws: BPFError.self) { try Image.functions(two, startingIn: instructions, name: .ttRecordExit) }
    }

    /// A copy refused by the verifier: its own log's last lines, without the statistics.
    @Test func aRefusedCopyQuotesTheVerifier() {
        let log = """
            func#0 @0
            0: (b7) r0 = 0
            1: (61) r1 = *(u32 *)(r0 +0)
            R0 invalid mem access 'scalar'
            processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0

            """
        let error = BPFLoadError(
            object: "recorder", variant: .btf, errno: EACCES, program: "tt_record_exit", verifierLog: log)
        #expect(error.program == "tt_record_exit")
        #expect(error.reason == ["0: (b7) r0 = 0", "1: (61) r1 = *(u32 *)(r0 +0)", "R0 invalid mem access 'scalar'"])
        #expect(error.description.contains("refused BPF recorder program tt_record_exit (btf variant)"))
    }
}
