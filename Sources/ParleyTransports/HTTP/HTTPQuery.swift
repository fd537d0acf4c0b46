/// The query string of a URL as name → value (`application/x-www-form-urlencoded`: `+` is a space,
/// percent-escapes decoded; the first occurrence of a name wins). Jitsi puts `room`, `token`, `previd`
/// and nginx's `prefix` there.
public struct HTTPQuery: Sendable, Hashable {
    public let path: String
    public let parameters: [String: String]

    public init(uri: String) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = parts.first.map(String.init) ?? "/"
        var parameters: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = kv.first.map({ HTTPQuery.decode($0) }), !name.isEmpty, parameters[name] == nil else {
                    continue
                }
                parameters[name] = kv.count == 2 ? HTTPQuery.decode(kv[1]) : ""
            }
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
