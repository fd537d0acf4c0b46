import Testing

@testable import ParleyXML

/// `appendUTF8` copies exactly a string's UTF-8, whatever its storage: small (inline), native, bridged from a
/// substring, with multi-byte scalars.
@Suite struct UTF8AppendingTests {
    @Test(arguments: [
        "", "a", "jabber:client", "http://jabber.org/protocol/muc#user", "ü🎉 grüße", String(repeating: "x", count: 300),
    ])
    func appendsTheStringsBytes(_ string: String) {
        var out: [UInt8] = [0x3C]
        out.appendUTF8(string)
        #expect(out == [0x3C] + Array(string.utf8))
        let substring = String(("<" + string + ">").dropFirst().dropLast())
        var fromSubstring: [UInt8] = []
        fromSubstring.appendUTF8(substring)
        #expect(fromSubstring == Array(string.utf8))
    }

    @Test func appendsALiteral() {
        var out: [UInt8] = []
        out.appendUTF8(" xmlns='")
        #expect(out == Array(" xmlns='".utf8))
    }
}
