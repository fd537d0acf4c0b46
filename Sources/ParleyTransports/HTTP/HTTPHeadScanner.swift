/// The byte-level pieces of reading the plainest form of an HTTP/1.1 request head (RFC 9112 §2–§5), shared by the
/// readers that answer common requests without NIO's general HTTP pipeline (`WebSocketHandshake`,
/// `BOSHRequestHead`). They recognise, they never refuse: a reader that finds anything unusual says so, and NIO's
/// pipeline answers the request as it always has.
public enum HTTPHeadScanner {
    /// The most bytes a head may take on the fast paths; a longer one goes to NIO's pipeline and its own limits.
    public static let maxHeadBytes = 8192

    /// The index of the CR of the first CRLF CRLF within `maxHeadBytes`.
    static func headEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        let limit = min(bytes.count, HTTPHeadScanner.maxHeadBytes)
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

    /// Whether `bytes` begin with `prefix`, or with all of `bytes` when they are shorter: a head that may still
    /// turn out to be this method's.
    static func mayStart(_ bytes: UnsafeRawBufferPointer, with prefix: [UInt8]) -> Bool {
        let count = min(bytes.count, prefix.count)
        return bytes.prefix(count).elementsEqual(prefix.prefix(count))
    }

    /// Calls `body` with each line of a head given without its final CRLF CRLF. False when a line ends in a bare
    /// CR or LF (not the plain form) or when `body` returns false.
    static func forEachLine(
        _ head: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) -> Bool {
        let count = head.count
        var start = 0
        while true {
            var end = start
            while end < count {
                let byte = head[end]
                if byte == 13 {
                    guard end + 1 < count, head[end + 1] == 10 else { return false }
                    break
                }
                if byte == 10 { return false }
                end += 1
            }
            guard body(UnsafeRawBufferPointer(rebasing: head[start..<end])) else { return false }
            if end >= count { return true }
            start = end + 2
        }
    }

    /// The target and minor version of `<method> <target> HTTP/1.<minor>`, where `method` includes its space and the
    /// version is 1.0 or 1.1: origin form (RFC 9112 §3.2.1), visible ASCII.
    static func requestLine(of line: UnsafeRawBufferPointer, method: [UInt8]) -> (target: String, minor: Int)? {
        let version = HTTPHeadScanner.version
        guard line.count > method.count + version.count + 1, line.prefix(method.count).elementsEqual(method) else {
            return nil
        }
        let minorIndex = line.count - 1
        guard line[(minorIndex - version.count)..<minorIndex].elementsEqual(version),
            line[minorIndex] == UInt8(ascii: "0") || line[minorIndex] == UInt8(ascii: "1")
        else { return nil }
        let target = UnsafeRawBufferPointer(rebasing: line[method.count..<(minorIndex - version.count)])
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return (String(decoding: target, as: UTF8.self), Int(line[minorIndex] - UInt8(ascii: "0")))
    }

    private static let version: [UInt8] = Array(" HTTP/1.".utf8)

    /// A header line `name: value` (RFC 9110 §5.1, §5.5): the name and the value without surrounding blanks.
    /// Nil for a folded line, a name that is not a token, or a value with anything but visible ASCII, spaces and
    /// tabs.
    static func field(
        _ line: UnsafeRawBufferPointer
    ) -> (name: Slice<UnsafeRawBufferPointer>, value: Slice<UnsafeRawBufferPointer>)? {
        var colon = 0
        while colon < line.count, line[colon] != UInt8(ascii: ":") {
            guard HTTPHeadScanner.isTokenByte(line[colon]) else { return nil }
            colon += 1
        }
        guard colon > 0, colon < line.count else { return nil }
        var index = colon + 1
        while index < line.count {
            let byte = line[index]
            guard byte == 9 || (byte >= 0x20 && byte <= 0x7E) else { return nil }
            index += 1
        }
        return (line[..<colon], HTTPHeadScanner.trimmed(line[(colon + 1)...]))
    }

    /// Whether `bytes` are `lowercase` in any ASCII case (RFC 9110 §5.1: field names are case-insensitive).
    static func equalsIgnoringCase(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercase: [UInt8]) -> Bool {
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
    static func forEachListElement(
        _ value: Slice<UnsafeRawBufferPointer>,
        _ body: (Slice<UnsafeRawBufferPointer>) -> Void
    ) {
        var start = value.startIndex
        while start <= value.endIndex {
            var end = start
            while end < value.endIndex, value[end] != UInt8(ascii: ",") { end += 1 }
            let element = HTTPHeadScanner.trimmed(value[start..<end])
            if !element.isEmpty { body(element) }
            start = end + 1
        }
    }

    /// A decimal `Content-Length` (RFC 9110 §8.6): digits only, at most `limit`; nil otherwise.
    static func decimal(_ value: Slice<UnsafeRawBufferPointer>, limit: Int) -> Int? {
        guard !value.isEmpty, value.count <= 18 else { return nil }
        var result = 0
        for byte in value {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            result = result * 10 + Int(byte - 0x30)
        }
        return result <= limit ? result : nil
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var lower = bytes.startIndex
        var upper = bytes.endIndex
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 9 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 9 { upper -= 1 }
        return bytes[lower..<upper]
    }

    /// `tchar` (RFC 9110 §5.6.2), as two 64-bit masks over ASCII.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (HTTPHeadScanner.tokenMasks.0 >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (HTTPHeadScanner.tokenMasks.1 >> UInt64(byte - 64)) & 1 == 1 }
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
