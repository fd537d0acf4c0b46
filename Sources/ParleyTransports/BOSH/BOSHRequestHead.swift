/// The head of a plain BOSH request (XEP-0124 §4, XEP-0206), read from a connection's bytes, for the server to answer
/// without NIO's general HTTP pipeline: its decoder, pipelining handler, encoder and header validator cost ~25,000
/// instructions a request, and a BOSH login and join makes about eight (Docs/benchmark-details.md).
///
/// Only the plainest form is recognised: `POST /http-bind[?query] HTTP/1.1` (or 1.0), header lines of visible ASCII, no
/// folding, exactly one decimal `Content-Length` of at most the body limit, at most one `Origin`, and no
/// `Transfer-Encoding`, `Expect` or `Upgrade`. Anything else is `.notRecognized` and goes to NIO's HTTP pipeline,
/// which answers it as it always has (a 413 for a body over the limit): this reader never refuses a request.
public struct BOSHRequestHead: Sendable, Equatable {
    /// The request-target (RFC 9112 §3.2): `/http-bind` and its query.
    public let target: String
    /// The body's length in bytes (RFC 9110 §8.6).
    public let contentLength: Int
    /// `Origin`, for CORS (XEP-0124 §4 leaves cross-domain access to the server).
    public let origin: String?
    /// HTTP/1.0 (nginx's default towards an upstream) rather than 1.1; the response is given in the same version.
    public let isHTTP10: Bool
    /// The connection stays open after the response (RFC 9112 §9.3): HTTP/1.1 without `Connection: close`, or
    /// HTTP/1.0 with `Connection: keep-alive`.
    public let keepAlive: Bool

    public init(target: String, contentLength: Int, origin: String?, isHTTP10: Bool, keepAlive: Bool) {
        self.target = target
        self.contentLength = contentLength
        self.origin = origin
        self.isHTTP10 = isHTTP10
        self.keepAlive = keepAlive
    }

    /// What the bytes at a request boundary hold.
    public enum Reading: Sendable, Equatable {
        /// A prefix of a head this reader may recognise: wait for more bytes.
        case needMore
        /// Not a plain BOSH request: NIO's HTTP pipeline takes the bytes.
        case notRecognized
        /// A plain BOSH request whose head is the first `headLength` bytes; its body follows.
        case request(BOSHRequestHead, headLength: Int)
    }

    private static let post: [UInt8] = Array("POST ".utf8)
    private static let path: [UInt8] = Array("/http-bind".utf8)

    /// Reads a request head from the start of `bytes`; a body longer than `maxBodyBytes` is not recognised.
    public static func read(_ bytes: UnsafeRawBufferPointer, maxBodyBytes: Int) -> Reading {
        guard HTTPHeadScanner.mayStart(bytes, with: BOSHRequestHead.post) else { return .notRecognized }
        guard let end = HTTPHeadScanner.headEnd(in: bytes) else {
            return bytes.count >= HTTPHeadScanner.maxHeadBytes ? .notRecognized : .needMore
        }
        let head = UnsafeRawBufferPointer(rebasing: bytes[..<end])
        guard let request = BOSHRequestHead.parse(head, maxBodyBytes: maxBodyBytes) else { return .notRecognized }
        return .request(request, headLength: end + 4)
    }

    /// Parses a head without its final CRLF CRLF; nil for anything but the plain form.
    private static func parse(_ head: UnsafeRawBufferPointer, maxBodyBytes: Int) -> BOSHRequestHead? {
        var target: String? = nil
        var minor = 1
        var contentLength: Int? = nil
        var contentLengths = 0
        var origin: String? = nil
        var origins = 0
        var close = false
        var keepAlive = false
        let plain = HTTPHeadScanner.forEachLine(head) { line in
            if target == nil {
                guard
                    let (requestTarget, version) = HTTPHeadScanner.requestLine(of: line, method: BOSHRequestHead.post),
                    BOSHRequestHead.isBOSHPath(requestTarget)
                else { return false }
                target = requestTarget
                minor = version
                return true
            }
            guard let (name, value) = HTTPHeadScanner.field(line) else { return false }
            switch Name(name) {
            case .contentLength:
                contentLengths += 1
                contentLength = HTTPHeadScanner.decimal(value, limit: maxBodyBytes)
            case .origin:
                origins += 1
                origin = String(decoding: value, as: UTF8.self)
            case .connection:
                HTTPHeadScanner.forEachListElement(value) {
                    if HTTPHeadScanner.equalsIgnoringCase($0, Name.close) { close = true }
                    if HTTPHeadScanner.equalsIgnoringCase($0, Name.keepAlive) { keepAlive = true }
                }
            case .unusual: return false
            case .other: break
            }
            return true
        }
        guard plain, let target, contentLengths == 1, let contentLength, origins <= 1 else { return nil }
        return BOSHRequestHead(
            target: target,
            contentLength: contentLength,
            origin: origin,
            isHTTP10: minor == 0,
            keepAlive: minor == 0 ? keepAlive && !close : !close
        )
    }

    /// `/http-bind`, alone or with a query.
    private static func isBOSHPath(_ target: String) -> Bool {
        let utf8 = target.utf8
        guard utf8.starts(with: BOSHRequestHead.path) else { return false }
        let rest = utf8.dropFirst(BOSHRequestHead.path.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "?")
    }

    /// The header fields the reader acts on; the rest are only checked for their form.
    private enum Name {
        case contentLength, origin, connection, unusual, other

        private static let contentLengthName: [UInt8] = Array("content-length".utf8)
        private static let originName: [UInt8] = Array("origin".utf8)
        private static let connectionName: [UInt8] = Array("connection".utf8)
        /// Fields that change how the message is framed or answered (RFC 9112 §6.1, RFC 9110 §10.1.1, §7.8).
        private static let unusualNames: [[UInt8]] = ["transfer-encoding", "expect", "upgrade"].map { Array($0.utf8) }

        /// The field a token names, in any case (RFC 9110 §5.1).
        init(_ token: Slice<UnsafeRawBufferPointer>) {
            if HTTPHeadScanner.equalsIgnoringCase(token, Name.contentLengthName) {
                self = .contentLength
            } else if HTTPHeadScanner.equalsIgnoringCase(token, Name.originName) {
                self = .origin
            } else if HTTPHeadScanner.equalsIgnoringCase(token, Name.connectionName) {
                self = .connection
            } else if Name.unusualNames.contains(where: { HTTPHeadScanner.equalsIgnoringCase(token, $0) }) {
                self = .unusual
            } else {
                self = .other
            }
        }

        static let close: [UInt8] = Array("close".utf8)
        static let keepAlive: [UInt8] = Array("keep-alive".utf8)
    }
}
