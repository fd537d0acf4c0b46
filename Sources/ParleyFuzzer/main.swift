// libFuzzer target for the stream parser and the stanza layer above it. Built by Scripts/fuzz with
// -sanitize=fuzzer,address and -DFUZZING; a plain `swift build` builds a stub so the target always compiles.
import Foundation
import ParleyCore
import ParleyTransports
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
    fuzzSharedParsers(Array(bytes))
    fuzzJSON(Array(bytes))
    fuzzHandshake(bytes)
    fuzzBOSHRequestHead(bytes)
    return 0
}

/// The input as the first bytes of a web connection (`WebSocketHandshake`): whatever it reads, reading any
/// prefix of a recognised head needs more, and the head's length is within the input.
func fuzzHandshake(_ bytes: UnsafeRawBufferPointer) {
    guard case .handshake(let handshake, let length) = WebSocketHandshake.read(bytes) else { return }
    precondition(length <= bytes.count && length >= 4, "head length outside the input")
    precondition(
        WebSocketHandshake.read(UnsafeRawBufferPointer(rebasing: bytes[..<(length - 1)])) == .needMore,
        "a prefix of a handshake was not waited for"
    )
    _ = handshake.accept
}

/// The input at a request boundary of a web connection (`BOSHRequestHead`): reading any prefix of a recognised head
/// needs more, the head's length is within the input, and the body's length within the limit.
func fuzzBOSHRequestHead(_ bytes: UnsafeRawBufferPointer) {
    let limit = 64 * 1024
    guard case .request(let head, let length) = BOSHRequestHead.read(bytes, maxBodyBytes: limit) else { return }
    precondition(length <= bytes.count && length >= 4, "head length outside the input")
    precondition(head.contentLength >= 0 && head.contentLength <= limit, "body length outside the limit")
    precondition(
        BOSHRequestHead.read(UnsafeRawBufferPointer(rebasing: bytes[..<(length - 1)]), maxBodyBytes: limit)
            == .needMore,
        "a prefix of a request head was not waited for"
    )
}

/// The same bytes cut at each 0xFF (never in UTF-8) into WebSocket frames and BOSH bodies, read in turn by one
/// loop's shared parsers: each must read exactly as a parser of its own reads it, whatever came before.
/// (The fuzzer runs on one thread, as a loop does.)
nonisolated(unsafe) private let sharedFrames = ElementSequenceParser()
nonisolated(unsafe) private let sharedBodies = BOSHBodyParser()
nonisolated(unsafe) private let frameCodec = WebSocketXMPPCodec(maxStanzaBytes: 16 * 1024, maxDepth: 40)

func fuzzSharedParsers(_ bytes: [UInt8]) {
    func outcome(_ read: () throws -> String) -> String {
        do { return try read() } catch { return "error \(error)" }
    }
    for piece in bytes.split(separator: 0xFF, omittingEmptySubsequences: false) {
        Array(piece).withUnsafeBytes { frame in
            let shared = outcome { "\(try frameCodec.decode(frame: frame, with: sharedFrames))" }
            let alone = outcome { "\(try frameCodec.decode(frame: frame))" }
            precondition(shared == alone, "a WebSocket frame read differently by the shared parser")
            let body = outcome {
                let body = try sharedBodies.body(parsing: frame, maxBytes: 16 * 1024)
                return "\(body.attributes) \(body.elements)"
            }
            let bodyAlone = outcome {
                let body = try BOSHBody(parsing: frame, maxBytes: 16 * 1024)
                return "\(body.attributes) \(body.elements)"
            }
            precondition(body == bodyAlone, "a BOSH body read differently by the shared parser")
        }
    }
}

/// The same bytes as JSON a client sends (polls, room metadata): what decodes is written back by `JSONValue.text`
/// exactly as `JSONEncoder` writes it.
func fuzzJSON(_ bytes: [UInt8]) {
    guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let expected = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    precondition(JSONValue.text(value) == expected, "JSONWriter differs from JSONEncoder")
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
