// libFuzzer target for the stream parser and the stanza layer above it. Built by Scripts/fuzz with
// -sanitize=fuzzer,address and -DFUZZING; a plain `swift build` builds a stub so the target always compiles.
import ParleyCore
import ParleyXML

#if canImport(Glibc)
import Glibc
#endif

/// Feeds the input as a c2s stream (in two pieces split at its first byte's value, so splits get fuzzed
/// too) and runs every element through the stanza envelope and JID parsing, as the server would.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXMLStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 64 * 1024, maxDepth: 40))
    let split = min(Int(bytes[0]), size)
    let handle: (XMLStreamEvent) -> Void = { event in
        if case .element(let element) = event {
            _ = try? Stanza(element)
            _ = element.serialized(inheritedNamespace: "jabber:client")
            if let to = element[attribute: "to"], let jid = try? JID(to) {
                // A prepared JID is its own preparation: its string parses back to the same JID.
                precondition((try? JID(jid.description)) == jid, "JID round trip failed")
            }
        }
    }
    do {
        try parser.feed(UnsafeRawBufferPointer(rebasing: bytes[..<split]), handle)
        try parser.feed(UnsafeRawBufferPointer(rebasing: bytes[split...]), handle)
    } catch {}
    fuzzToken(Array(bytes))
    return 0
}

/// The same bytes as a JSON Web Token (what a client puts on its URL): verification never traps, and base64url
/// is canonical (whatever decodes encodes back to the same text).
private let tokenVerifier = TokenVerifier(configuration: .init(appID: "fuzz"), key: .secret(Array("fuzz".utf8)))

func fuzzToken(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    _ = tokenVerifier.verify(text, now: 1_800_000_000)
    _ = tokenVerifier.keyID(forFetching: text)
    if let decoded = Base64URL.decode(bytes) {
        precondition(Base64URL.encode(decoded) == String(decoding: bytes, as: UTF8.self), "base64url is not canonical")
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzXMLStream))
#else
print("ParleyFuzzer: build it with Scripts/fuzz")
#endif
