/// A read-only view of one complete XML element as it arrived on the wire, for the generator's hot path.
///
/// The load generator never builds a tree for what it receives: it needs an element's name, a few attributes of
/// its start tag (`type`, `id`, `from`) and whether some bytes occur inside it (`code='110'`). Those questions are
/// answered on the raw bytes. Namespaces are not resolved; prefixes are dropped from names
/// (`stream:features` → `features`), which is enough to follow an RFC 6120 session.
///
/// The bytes belong to the caller (`XMLFramer`); a view is only valid inside the callback that receives it.
public struct ElementView {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The index just past the start tag's name.
    private var nameEnd: Int {
        var index = 1
        while index < self.bytes.count {
            switch self.bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "/"),
                UInt8(ascii: ">"):
                return index
            default:
                index += 1
            }
        }
        return index
    }

    /// The local name (prefix dropped) of the element, as bytes.
    public var localName: UnsafeRawBufferPointer {
        let end = self.nameEnd
        var start = 1
        var index = 1
        while index < end {
            if self.bytes[index] == UInt8(ascii: ":") { start = index + 1 }
            index += 1
        }
        return UnsafeRawBufferPointer(rebasing: self.bytes[start..<end])
    }

    /// The local name as a `String` (error reports and tests; not for the hot path).
    public var name: String { String(decoding: self.localName, as: UTF8.self) }

    /// Whether the local name equals `name`.
    public func isNamed(_ name: StaticString) -> Bool {
        ElementView.equal(self.localName, name)
    }

    /// The index of the `>` that ends the start tag, honouring quoted attribute values.
    public var startTagEnd: Int {
        var quote: UInt8 = 0
        var index = 1
        while index < self.bytes.count {
            let byte = self.bytes[index]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index
            }
            index += 1
        }
        return self.bytes.count
    }

    /// The raw (still escaped) value of attribute `name` on the start tag, or nil.
    public func attribute(_ name: StaticString) -> UnsafeRawBufferPointer? {
        let end = self.startTagEnd
        var index = self.nameEnd
        let nameLength = name.utf8CodeUnitCount
        while index < end {
            // Skip white space to the next attribute name.
            let byte = self.bytes[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">") { return nil }
            let nameStart = index
            while index < end && self.bytes[index] != UInt8(ascii: "=") && self.bytes[index] != UInt8(ascii: " ") {
                index += 1
            }
            let attributeName = UnsafeRawBufferPointer(rebasing: self.bytes[nameStart..<index])
            while index < end && self.bytes[index] != UInt8(ascii: "'") && self.bytes[index] != UInt8(ascii: "\"") {
                index += 1
            }
            guard index < end else { return nil }
            let quote = self.bytes[index]
            let valueStart = index + 1
            index = valueStart
            while index < end && self.bytes[index] != quote { index += 1 }
            if attributeName.count == nameLength && ElementView.equal(attributeName, name) {
                return UnsafeRawBufferPointer(rebasing: self.bytes[valueStart..<min(index, end)])
            }
            index += 1
        }
        return nil
    }

    /// The value of attribute `name` as a `String` (cold paths and tests).
    public func attributeString(_ name: StaticString) -> String? {
        self.attribute(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether attribute `name` is present and equals `value`.
    public func attribute(_ name: StaticString, is value: StaticString) -> Bool {
        guard let found = self.attribute(name) else { return false }
        return ElementView.equal(found, value)
    }

    /// Whether attribute `name` is present and equals `value`.
    public func attribute(_ name: StaticString, equals value: UnsafeRawBufferPointer) -> Bool {
        guard let found = self.attribute(name), found.count == value.count else { return false }
        return found.elementsEqual(value)
    }

    /// Whether `needle` occurs anywhere in the element.
    public func contains(_ needle: StaticString) -> Bool {
        self.firstIndex(of: needle, from: 0) != nil
    }

    /// The first index of `needle` at or after `from`.
    public func firstIndex(of needle: StaticString, from: Int) -> Int? {
        let count = needle.utf8CodeUnitCount
        guard count > 0, self.bytes.count >= count else { return nil }
        return needle.withUTF8Buffer { pattern -> Int? in
            let first = pattern[0]
            var index = from
            let last = self.bytes.count - count
            while index <= last {
                if self.bytes[index] == first {
                    var matched = 1
                    while matched < count && self.bytes[index + matched] == pattern[matched] { matched += 1 }
                    if matched == count { return index }
                }
                index += 1
            }
            return nil
        }
    }

    /// Whether a MUC status code (XEP-0045 §15.6) such as `110` appears, in either quote style.
    public func hasStatusCode(_ code: StaticString) -> Bool {
        var from = 0
        while let index = self.firstIndex(of: "code=", from: from) {
            let valueStart = index + 6
            let count = code.utf8CodeUnitCount
            if valueStart + count < self.bytes.count {
                let value = UnsafeRawBufferPointer(rebasing: self.bytes[valueStart..<(valueStart + count)])
                let quote = self.bytes[valueStart - 1]
                if (quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"")) && ElementView.equal(value, code)
                    && self.bytes[valueStart + count] == quote
                {
                    return true
                }
            }
            from = index + 5
        }
        return false
    }

    /// The local name of the first child element after the start tag of the first descendant named `container`
    /// (or of this element's own children when `container` is this element), skipping `<text/>`: the condition of
    /// a stanza, stream or SASL error.
    public func firstChildName(under container: StaticString) -> String? {
        var position: Int
        if self.isNamed(container) {
            position = self.startTagEnd + 1
        } else {
            guard let found = self.findStartTag(container, from: 0) else { return nil }
            position = found
        }
        while position < self.bytes.count {
            guard let open = self.nextByte(UInt8(ascii: "<"), from: position), open + 1 < self.bytes.count else {
                return nil
            }
            if self.bytes[open + 1] == UInt8(ascii: "/") { return nil }  // the container ended
            let child = ElementView(UnsafeRawBufferPointer(rebasing: self.bytes[open...]))
            if !child.isNamed("text") { return child.name }
            position = open + 1 + child.startTagEnd
            // Skip the text element's content and end tag.
            if let close = self.firstIndex(of: "</", from: position), self.bytes[position - 1] != UInt8(ascii: "/") {
                position = close + 2
                if let gt = self.nextByte(UInt8(ascii: ">"), from: position) { position = gt + 1 }
            } else {
                position += 1
            }
        }
        return nil
    }

    /// The index just past the `>` of the first start tag whose local name is `name`.
    private func findStartTag(_ name: StaticString, from: Int) -> Int? {
        var position = from + 1
        while let open = self.nextByte(UInt8(ascii: "<"), from: position) {
            let candidate = ElementView(UnsafeRawBufferPointer(rebasing: self.bytes[open...]))
            if open + 1 < self.bytes.count, self.bytes[open + 1] != UInt8(ascii: "/"), candidate.isNamed(name) {
                return open + candidate.startTagEnd + 1
            }
            position = open + 1
        }
        return nil
    }

    private func nextByte(_ byte: UInt8, from: Int) -> Int? {
        var index = from
        while index < self.bytes.count {
            if self.bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    static func equal(_ bytes: UnsafeRawBufferPointer, _ string: StaticString) -> Bool {
        guard bytes.count == string.utf8CodeUnitCount else { return false }
        return string.withUTF8Buffer { pattern in
            var index = 0
            while index < pattern.count {
                if bytes[index] != pattern[index] { return false }
                index += 1
            }
            return true
        }
    }
}

extension ElementView {
    /// The raw value of the first attribute called `name` anywhere in the element (a child's attribute, such as
    /// the `room` of a Jitsi `<conference/>`).
    public func descendantAttribute(_ name: StaticString) -> UnsafeRawBufferPointer? {
        var from = 0
        let length = name.utf8CodeUnitCount
        while let index = self.firstIndex(of: name, from: from) {
            let equals = index + length
            if index > 0, equals + 1 < self.bytes.count, self.bytes[equals] == UInt8(ascii: "="),
                self.bytes[index - 1] == UInt8(ascii: " ") || self.bytes[index - 1] == UInt8(ascii: "\t")
                    || self.bytes[index - 1] == UInt8(ascii: "\n")
            {
                let quote = self.bytes[equals + 1]
                let start = equals + 2
                var end = start
                while end < self.bytes.count && self.bytes[end] != quote { end += 1 }
                return UnsafeRawBufferPointer(rebasing: self.bytes[start..<end])
            }
            from = index + 1
        }
        return nil
    }
}
