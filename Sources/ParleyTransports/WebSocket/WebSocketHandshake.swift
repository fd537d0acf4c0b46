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
    public static let maxHeadBytes = HTTPHeadScanner.maxHeadBytes

    private static let get: [UInt8] = Array("GET ".utf8)

    /// Reads a request head from the start of `bytes`.
    public static func read(_ bytes: UnsafeRawBufferPointer) -> Reading {
        guard HTTPHeadScanner.mayStart(bytes, with: WebSocketHandshake.get) else { return .notRecognized }
        guard let end = HTTPHeadScanner.headEnd(in: bytes) else {
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
        let plain = HTTPHeadScanner.forEachLine(head) { line in
            if target == nil {
                // RFC 6455 §4.1: the handshake is HTTP/1.1.
                guard
                    let (requestTarget, minor) = HTTPHeadScanner.requestLine(of: line, method: WebSocketHandshake.get),
                    minor == 1
                else { return false }
                target = requestTarget
                return true
            }
            guard let (name, value) = HTTPHeadScanner.field(line) else { return false }
            switch Name(name) {
            case .upgrade:
                upgrades += 1
                upgradeIsWebSocket = HTTPHeadScanner.equalsIgnoringCase(value, Name.websocket)
            case .connection:
                HTTPHeadScanner.forEachListElement(value) {
                    if HTTPHeadScanner.equalsIgnoringCase($0, Name.upgradeToken) { connectionUpgrade = true }
                }
            case .key:
                keys += 1
                key = String(decoding: value, as: UTF8.self)
            case .version:
                versions += 1
                versionIs13 = value.elementsEqual(Name.thirteen)
            case .protocols:
                HTTPHeadScanner.forEachListElement(value) {
                    protocols.append(String(decoding: $0, as: UTF8.self))
                }
            case .forwardedFor: forwardedFor.append(String(decoding: value, as: UTF8.self))
            case .contentLength:
                contentLengths += 1
                contentLengthIsZero = value.elementsEqual(Name.zero)
            case .transferEncoding: return false
            case .other: break
            }
            return true
        }
        guard plain, let target, upgrades == 1, upgradeIsWebSocket, connectionUpgrade,
            keys == 1, let key, !key.isEmpty, versions == 1, versionIs13,
            // NIO's client upgrader (and so `parley load`) sends `Content-Length: 0`: no body either way.
            contentLengths == 0 || (contentLengths == 1 && contentLengthIsZero)
        else { return nil }
        return WebSocketHandshake(target: target, key: key, protocols: protocols, forwardedFor: forwardedFor)
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
                if HTTPHeadScanner.equalsIgnoringCase(token, bytes) {
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
}
