import Testing

@testable import Shared

@Suite struct ContainerIDTests {
    @Test(arguments: [
        Fixtures.podmanID, "myctr", "a", "k8s_nginx_web-1_shop_5d0c9d37-7b5f_0", "A.b-c_d",
        String(repeating: "f", count: 128),
    ])
    func accepts(id: String) throws {
        #expect(try ContainerID.validate(id) == id)
    }

    @Test(arguments: [
        ("", "empty"), ("a/b", "'/'"), ("/", "'/'"), ("..", "'..'"), ("a..b", "'..'"),
        (".hidden", "starts with '.'"),
        ("-rf", "starts with '-'"), ("a\u{0}b", "NUL"), ("a\nb", "control"), ("a\u{7f}", "control"),
        ("tab\there", "control"), ("sp ace", "outside"), ("caf\u{e9}", "outside"), ("_x", "outside"),
        ("a:b", "outside"),
        (String(repeating: "f", count: 129), "longer than 128"),
    ])
    func rejects(id: String, why: String) {
        do {
            try ContainerID.validate(id)
            Issue.record("accepted \(id)")
        } catch {
            #expect("\(error)".hasPrefix("container id: "))
            #expect("\(error)".contains(why), "\(error)")
        }
    }

    @Test func namesMayBeLongerButNotUnsafe() throws {
        let crioName = "k8s_nginx_" + String(repeating: "p", count: 200) + "_default_5d0c9d37_0"
        #expect(!ContainerID.isValid(crioName))
        #expect(ContainerID.isValidName(crioName))
        #expect(!ContainerID.isValidName(String(repeating: "n", count: 256)))
        #expect(throws: ContainerInputError.self) { try ContainerID.validateName("../x") }
    }

    @Test func shortID() {
        #expect(ContainerID.short(Fixtures.podmanID) == "979c5931c781")
        #expect(ContainerID.short("abc") == "abc")
    }

    @Test func quotingKeepsALogLineOneLine() {
        #expect(ContainerID.quoted("a\nb\"\\") == #""a\x0ab\"\\""#)
        #expect(
            ContainerID.quoted(String(repeating: "x", count: 100), limit: 4) == "\"xxxx...(100 bytes)\"")
    }
}
