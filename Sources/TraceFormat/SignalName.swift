/// A signal's name as the formatter writes it (`SIGSEGV`), for messages and tables.
public enum SignalName {
    public static func of(_ signo: Int32) -> String {
        var out: [UInt8] = []
        out.appendSignal(UInt64(max(signo, 0)))
        return String(decoding: out, as: UTF8.self)
    }
}
