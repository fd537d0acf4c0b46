/// The query string of a URL as name → value (`application/x-www-form-urlencoded`: `+` is a space,
/// percent-escapes decoded; the first occurrence of a name wins). Jitsi puts `room`, `token`, `previd`
/// and nginx's `prefix` there.
public struct HTTPQuery: Sendable, Hashable {
    public let path: String
    public let parameters: [String: String]

    public init(uri: String) {
        // Found by byte ('?' is ASCII, so its index is a character boundary): most requests (BOSH's, every
        // second) have no query at all, and splitting the whole URI by Character cost more than the rest.
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else {
            self.path = uri
            self.parameters = [:]
            return
        }
        self.path = String(uri[..<mark])
        var parameters: [String: String] = [:]
        for pair in uri[uri.utf8.index(after: mark)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = kv.first.map({ HTTPQuery.decode($0) }), !name.isEmpty, parameters[name] == nil else {
                continue
            }
            parameters[name] = kv.count == 2 ? HTTPQuery.decode(kv[1]) : ""
        }
        self.parameters = parameters
    }

    public subscript(name: String) -> String? { self.parameters[name] }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
