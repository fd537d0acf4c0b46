/// Appending UTF-8 to a byte array through a buffer pointer. `append(contentsOf: string.utf8)` goes through the
/// generic sequence path, ~175 instructions for a short name; a serialized Jitsi presence makes ~250 such appends
/// (Docs/benchmark-details.md). A native or small string's bytes are contiguous, so one copy does.
extension Array where Element == UInt8 {
    /// Appends `string`'s UTF-8 bytes.
    @inlinable
    public mutating func appendUTF8(_ string: String) {
        var string = string
        string.withUTF8 { self.append(contentsOf: $0) }
    }

    /// Appends a literal's UTF-8 bytes.
    @inlinable
    public mutating func appendUTF8(_ literal: StaticString) {
        literal.withUTF8Buffer { self.append(contentsOf: $0) }
    }
}
