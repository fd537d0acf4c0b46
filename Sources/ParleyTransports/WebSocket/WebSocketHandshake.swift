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

    /// Parses a head without its final CRLF CRLF; nil for anything but the plain handshake. One pass over the
    /// lines, comparing bytes: only the values kept become strings (a string per line cost ~30,000 instructions a
    /// connection).
    private static func parse(_ head: UnsafeRawBufferPointer) -> WebSocketHandshake? {
        var target: String? = nil
        var upgrades = 0
        var upgradeIsWebSocket = false
        var connectionUpgrade = false
        var key: String? = nil
        var keys = 0
        var versions = 0
        var versionIs13 = false
        var contentLengths = 0
        var contentLengthIsZero = false
        var protocols: [String] = []
        var forwardedFor: [String] = []
        let count = head.count
        var start = 0
        while true {
            var end = start
            while end < count {
                let byte = head[end]
                if byte == 13 {
                    // Only CRLF ends a line; a bare CR (or a bare LF below) is not the plain form.
                    guard end + 1 < count, head[end + 1] == 10 else { return nil }
                    break
                }
                if byte == 10 { return nil }
                end += 1
            }
            let line = UnsafeRawBufferPointer(rebasing: head[start..<end])
            if target == nil {
                guard let requestTarget = WebSocketHandshake.target(of: line) else { return nil }
                target = requestTarget
            } else {
                guard let (name, value) = WebSocketHandshake.field(line) else { return nil }
                switch name {
                case .upgrade:
                    upgrades += 1
                    upgradeIsWebSocket = WebSocketHandshake.equalsIgnoringCase(value, Name.websocket)
                case .connection:
                    WebSocketHandshake.forEachListElement(value) {
                        if WebSocketHandshake.equalsIgnoringCase($0, Name.upgradeToken) { connectionUpgrade = true }
                    }
                case .key:
                    keys += 1
                    key = String(decoding: value, as: UTF8.self)
                case .version:
                    versions += 1
                    versionIs13 = value.elementsEqual(Name.thirteen)
                case .protocols:
                    WebSocketHandshake.forEachListElement(value) {
                        protocols.append(String(decoding: $0, as: UTF8.self))
                    }
                case .forwardedFor: forwardedFor.append(String(decoding: value, as: UTF8.self))
                case .contentLength:
                    contentLengths += 1
                    contentLengthIsZero = value.elementsEqual(Name.zero)
                case .transferEncoding: return nil
                case .other: break
                }
            }
            if end >= count { break }
            start = end + 2
        }
        guard let target, upgrades == 1, upgradeIsWebSocket, connectionUpgrade,
            keys == 1, let key, !key.isEmpty, versions == 1, versionIs13,
            // NIO's client upgrader (and so `parley load`) sends `Content-Length: 0`: no body either way.
            contentLengths == 0 || (contentLengths == 1 && contentLengthIsZero)
        else { return nil }
        return WebSocketHandshake(target: target, key: key, protocols: protocols, forwardedFor: forwardedFor)
    }

    /// Whether `bytes` are `lowercase` in any ASCII case.
    private static func equalsIgnoringCase(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercase: [UInt8]) -> Bool {
        guard bytes.count == lowercase.count else { return false }
        var index = bytes.startIndex
        for expected in lowercase {
            let byte = bytes[index]
            guard (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == expected else { return false }
            index += 1
        }
        return true
    }

    /// A comma-separated list's elements, trimmed, empty ones left out (RFC 9110 §5.6.1).
    private static func forEachListElement(
        _ value: Slice<UnsafeRawBufferPointer>,
        _ body: (Slice<UnsafeRawBufferPointer>) -> Void
    ) {
        var start = value.startIndex
        while start <= value.endIndex {
            var end = start
            while end < value.endIndex, value[end] != UInt8(ascii: ",") { end += 1 }
            let element = WebSocketHandshake.trimmed(value[start..<end])
            if !element.isEmpty { body(element) }
            start = end + 1
        }
    }

    /// `bytes` without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var lower = bytes.startIndex
        var upper = bytes.endIndex
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 9 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 9 { upper -= 1 }
        return bytes[lower..<upper]
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
                if WebSocketHandshake.equalsIgnoringCase(token, bytes) {
                    self = name
                    return
                }
            }
            self = .other
        }

        static let websocket: [UInt8] = Array("websocket".utf8)
        static let upgradeToken: [UInt8] = Array("upgrade".utf8)
        static let thirteen: [UInt8] = Array("13".utf8)
        static let zero: [UInt8] = Array("0".utf8)
    }

    /// A header line `name: value` (RFC 9110 §5.1, §5.5): the field and the value without surrounding blanks.
    /// Nil for a folded line, a name that is not a token, or a value with anything but visible ASCII, spaces and
    /// tabs.
    private static func field(_ line: UnsafeRawBufferPointer) -> (Name, Slice<UnsafeRawBufferPointer>)? {
        var colon = 0
        while colon < line.count, line[colon] != UInt8(ascii: ":") {
            guard WebSocketHandshake.isTokenByte(line[colon]) else { return nil }
            colon += 1
        }
        guard colon > 0, colon < line.count else { return nil }
        var index = colon + 1
        while index < line.count {
            let byte = line[index]
            guard byte == 9 || (byte >= 0x20 && byte <= 0x7E) else { return nil }
            index += 1
        }
        return (Name(line[..<colon]), WebSocketHandshake.trimmed(line[(colon + 1)...]))
    }

    /// `tchar` (RFC 9110 §5.6.2), as two 64-bit masks over ASCII.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (WebSocketHandshake.tokenMasks.0 >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (WebSocketHandshake.tokenMasks.1 >> UInt64(byte - 64)) & 1 == 1 }
        return false
    }

    private static let tokenMasks: (UInt64, UInt64) = {
        var low: UInt64 = 0
        var high: UInt64 = 0
        let bytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~".utf8)
        for byte in bytes {
            if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
        }
        return (low, high)
    }()
}
