import ParleyCore

/// A browser's WebSocket opening handshake (RFC 6455 §4.1), read from the first bytes of a connection, for the
/// server to answer without NIO's general HTTP pipeline and upgrade machinery: profiles counted those at ~150,000
/// instructions a connection, an eighth of a browser's whole login and join (Docs/benchmark-details.md).
///
/// Only the plainest form is recognised: `GET <target> HTTP/1.1`, header lines of visible ASCII, no folding, no
/// body (none, or `Content-Length: 0`), exactly one `Upgrade: websocket`, `Connection` listing `upgrade`, exactly one non-empty
/// `Sec-WebSocket-Key` and exactly one `Sec-WebSocket-Version: 13` (§4.2.1). Anything else is `.notRecognized`
/// and goes to NIO's HTTP pipeline, which answers it as it always has: this reader never refuses a request.
public struct WebSocketHandshake: Sendable, Equatable {
    /// The request-target (RFC 9112 §3.2): the path and query.
    public let target: String
    /// `Sec-WebSocket-Key`, as sent.
    public let key: String
    /// The subprotocols the client offers (`Sec-WebSocket-Protocol`, §4.2.1 item 8), in order.
    public let protocols: [String]
    /// The values of every `X-Forwarded-For` line, as sent (comma lists unsplit).
    public let forwardedFor: [String]

    /// What the first bytes of a connection hold.
    public enum Reading: Sendable, Equatable {
        /// A prefix of a request head this reader may recognise: wait for more bytes.
        case needMore
        /// Not the plain handshake (another method, a malformed or unusual head, more than the bound): NIO's
        /// HTTP pipeline takes the bytes.
        case notRecognized
        /// The handshake, in the first `headLength` bytes; what follows is the client's first frames.
        case handshake(WebSocketHandshake, headLength: Int)
    }

    /// The most bytes a head may take here; a longer one goes to NIO's pipeline and its own limits.
    public static let maxHeadBytes = 8192

    private static let get: [UInt8] = Array("GET ".utf8)
    private static let version: [UInt8] = Array(" HTTP/1.1".utf8)

    /// Reads a request head from the start of `bytes`.
    public static func read(_ bytes: UnsafeRawBufferPointer) -> Reading {
        let prefix = min(bytes.count, WebSocketHandshake.get.count)
        guard bytes.prefix(prefix).elementsEqual(WebSocketHandshake.get.prefix(prefix)) else { return .notRecognized }
        guard let end = WebSocketHandshake.headEnd(in: bytes) else {
            return bytes.count >= WebSocketHandshake.maxHeadBytes ? .notRecognized : .needMore
        }
        guard let handshake = WebSocketHandshake.parse(UnsafeRawBufferPointer(rebasing: bytes[..<end])) else {
            return .notRecognized
        }
        return .handshake(handshake, headLength: end + 4)
    }

    /// `Sec-WebSocket-Accept` for this key (§4.2.2 item 5.4): base64 of SHA-1 of the key and the protocol's GUID.
    public var accept: String { WebSocketHandshake.accept(forKey: self.key) }

    /// `Sec-WebSocket-Accept` for `key` (§4.2.2 item 5.4).
    public static func accept(forKey key: String) -> String {
        Base64.encode(HashAlgorithm.sha1.hash(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
    }

    /// The index of the CR of the first CRLF CRLF within the bound.
    private static func headEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        let limit = min(bytes.count, WebSocketHandshake.maxHeadBytes)
        guard limit >= 4 else { return nil }
        var index = 0
        while index + 3 < limit {
            if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Parses a head without its final CRLF CRLF; nil for anything but the plain handshake.
    private static func parse(_ head: UnsafeRawBufferPointer) -> WebSocketHandshake? {
        var lines: [UnsafeRawBufferPointer] = []
        var start = 0
        var index = 0
        while index < head.count {
            let byte = head[index]
            if byte == 13 {
                // Only CRLF ends a line; a bare CR (or a bare LF below) is not the plain form.
                guard index + 1 < head.count, head[index + 1] == 10 else { return nil }
                lines.append(UnsafeRawBufferPointer(rebasing: head[start..<index]))
                index += 2
                start = index
                continue
            }
            if byte == 10 { return nil }
            index += 1
        }
        lines.append(UnsafeRawBufferPointer(rebasing: head[start..<head.count]))
        guard let requestLine = lines.first, let target = WebSocketHandshake.target(of: requestLine) else {
            return nil
        }
        var upgrade: [String] = []
        var connection: [String] = []
        var key: [String] = []
        var version: [String] = []
        var protocols: [String] = []
        var forwardedFor: [String] = []
        var contentLength: [String] = []
        for line in lines.dropFirst() {
            guard let (name, valueBytes) = WebSocketHandshake.field(line) else { return nil }
            guard name != .other else { continue }
            let value = String(decoding: valueBytes, as: UTF8.self)
            switch name {
            case .upgrade: upgrade.append(value)
            case .connection: connection.append(value)
            case .key: key.append(value)
            case .version: version.append(value)
            case .protocols: protocols.append(value)
            case .forwardedFor: forwardedFor.append(value)
            case .contentLength: contentLength.append(value)
            case .transferEncoding: return nil
            case .other: continue
            }
        }
        guard upgrade.count == 1, upgrade[0].lowercased() == "websocket",
            connection.flatMap(WebSocketHandshake.list).contains(where: { $0.lowercased() == "upgrade" }),
            key.count == 1, !key[0].isEmpty, version == ["13"],
            // NIO's client upgrader (and so `parley load`) sends `Content-Length: 0`: no body either way.
            contentLength.isEmpty || contentLength == ["0"]
        else { return nil }
        return WebSocketHandshake(
            target: target,
            key: key[0],
            protocols: protocols.flatMap(WebSocketHandshake.list),
            forwardedFor: forwardedFor
        )
    }

    /// The target of `GET <target> HTTP/1.1`: origin form, visible ASCII.
    private static func target(of line: UnsafeRawBufferPointer) -> String? {
        let get = WebSocketHandshake.get.count
        let version = WebSocketHandshake.version
        guard line.count > get + version.count, line.prefix(get).elementsEqual(WebSocketHandshake.get),
            line.suffix(version.count).elementsEqual(version)
        else { return nil }
        let target = UnsafeRawBufferPointer(rebasing: line[get..<(line.count - version.count)])
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return String(decoding: target, as: UTF8.self)
    }

    /// The header fields the handshake reads; the rest are only checked for their form.
    private enum Name: CaseIterable {
        case upgrade, connection, key, version, protocols, forwardedFor, contentLength, transferEncoding, other

        /// The lower-cased name.
        var bytes: [UInt8] {
            switch self {
            case .upgrade: Array("upgrade".utf8)
            case .connection: Array("connection".utf8)
            case .key: Array("sec-websocket-key".utf8)
            case .version: Array("sec-websocket-version".utf8)
            case .protocols: Array("sec-websocket-protocol".utf8)
            case .forwardedFor: Array("x-forwarded-for".utf8)
            case .contentLength: Array("content-length".utf8)
            case .transferEncoding: Array("transfer-encoding".utf8)
            case .other: []
            }
        }

        static let known: [(Name, [UInt8])] = Name.allCases.filter { $0 != .other }.map { ($0, $0.bytes) }

        /// The field a token names, in any case (RFC 9110 §5.1: names are case-insensitive).
        init(_ token: Slice<UnsafeRawBufferPointer>) {
            for (name, bytes) in Name.known where bytes.count == token.count {
                if zip(token, bytes).allSatisfy({ (0x41...0x5A).contains($0) ? $0 | 0x20 == $1 : $0 == $1 }) {
                    self = name
                    return
                }
            }
            self = .other
        }
    }

    /// A header line `name: value` (RFC 9110 §5.1, §5.5): the field and the value without surrounding blanks.
    /// Nil for a folded line, a name that is not a token, or a value with anything but visible ASCII, spaces and
    /// tabs.
    private static func field(_ line: UnsafeRawBufferPointer) -> (Name, Slice<UnsafeRawBufferPointer>)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return nil }
        let name = line[..<colon]
        guard name.allSatisfy(WebSocketHandshake.isTokenByte) else { return nil }
        var value = line[(colon + 1)...]
        guard value.allSatisfy({ $0 == 9 || (0x20...0x7E).contains($0) }) else { return nil }
        while let first = value.first, first == 0x20 || first == 9 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 9 { value = value.dropLast() }
        return (Name(name), value)
    }

    /// `tchar` (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// A comma-separated list's elements, trimmed, empty ones left out (RFC 9110 §5.6.1).
    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
    }
}

extension Substring {
    fileprivate func trimmingBlanks() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
